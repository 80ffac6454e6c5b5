//! Budgets, alert rules and the alert history.

use super::{on_pool, on_writer, Store, StoreError};
use domain::alerts::{Alert, AlertRule, Budget, BudgetScope, Notify, Period, RuleKind, Severity};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;

#[derive(FromRow)]
struct BudgetRow {
    id: i64,
    name: String,
    scope: String,
    scope_value: String,
    period: String,
    limit_nanos: i64,
    warn_pct: i64,
    critical_pct: i64,
    notify: Option<String>,
}

/// `notify` as stored: JSON, or NULL for none.
fn notify_json(n: &Option<Notify>) -> Result<Option<String>, StoreError> {
    n.as_ref().map(|n| serde_json::to_string(n).map_err(|e| StoreError::Corrupt(e.to_string()))).transpose()
}

fn notify_parsed(what: &str, json: Option<String>) -> Result<Option<Notify>, StoreError> {
    json.map(|j| serde_json::from_str(&j).map_err(|e| StoreError::Corrupt(format!("{what}: notify: {e}")))).transpose()
}

impl TryFrom<BudgetRow> for Budget {
    type Error = StoreError;
    fn try_from(r: BudgetRow) -> Result<Budget, StoreError> {
        Ok(Budget {
            id: r.id,
            name: r.name,
            scope: BudgetScope::parse(&r.scope).unwrap_or(BudgetScope::Global),
            scope_value: r.scope_value,
            period: Period::parse(&r.period).unwrap_or(Period::Daily),
            limit_nanos: r.limit_nanos,
            warn_pct: r.warn_pct,
            critical_pct: r.critical_pct,
            notify: notify_parsed(&format!("budget {}", r.id), r.notify)?,
        })
    }
}

#[derive(FromRow)]
struct RuleRow {
    id: i64,
    name: String,
    kind: String,
    severity: String,
    params: String,
    notify: Option<String>,
    enabled: i64,
}

/// The part of a rule kept as JSON (`alert_rules.params`).
#[derive(Serialize, Deserialize)]
struct RuleParams {
    threshold: f64,
    window_minutes: i64,
    #[serde(default)]
    stage: Option<String>,
    #[serde(default)]
    min_events: i64,
}

#[derive(FromRow)]
struct AlertRow {
    id: i64,
    source: String,
    source_id: i64,
    level: String,
    severity: String,
    name: String,
    message: String,
    value: f64,
    threshold: f64,
    fired_at: i64,
    resolved_at: Option<i64>,
    webhook_status: String,
    webhook_attempts: i64,
    webhook_error: Option<String>,
}

impl From<AlertRow> for Alert {
    fn from(r: AlertRow) -> Alert {
        Alert {
            id: r.id,
            source: r.source,
            source_id: r.source_id,
            level: r.level,
            severity: Severity::parse(&r.severity).unwrap_or_default(),
            name: r.name,
            message: r.message,
            value: r.value,
            threshold: r.threshold,
            fired_at: r.fired_at,
            resolved_at: r.resolved_at,
            webhook_status: r.webhook_status,
            webhook_attempts: r.webhook_attempts,
            webhook_error: r.webhook_error,
        }
    }
}

const ALERT_COLUMNS: &str =
    "id, source, source_id, level, severity, name, message, value, threshold, fired_at, resolved_at, \
    webhook_status, webhook_attempts, webhook_error";

impl Store {
    pub async fn budgets(&self) -> Result<Vec<Budget>, StoreError> {
        let rows: Vec<BudgetRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, name, scope, scope_value, period, limit_nanos, warn_pct, critical_pct, notify FROM budgets ORDER BY id",
        )
        .fetch_all(pool)
        .await?);
        rows.into_iter().map(Budget::try_from).collect()
    }

    /// Creates (id 0) or replaces a budget; returns its id.
    pub async fn save_budget(&self, b: &Budget, now_ms: i64) -> Result<i64, StoreError> {
        let notify = notify_json(&b.notify)?;
        Ok(on_writer!(self, pool => {
            if b.id == 0 {
                sqlx::query_scalar(
                    "INSERT INTO budgets (name, scope, scope_value, period, limit_nanos, warn_pct, critical_pct, notify, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                )
                .bind(&b.name).bind(b.scope.as_str()).bind(&b.scope_value).bind(b.period.as_str())
                .bind(b.limit_nanos).bind(b.warn_pct).bind(b.critical_pct).bind(&notify).bind(now_ms)
                .fetch_one(pool)
                .await?
            } else {
                sqlx::query(
                    "UPDATE budgets SET name = $1, scope = $2, scope_value = $3, period = $4, limit_nanos = $5, \
                     warn_pct = $6, critical_pct = $7, notify = $8 WHERE id = $9",
                )
                .bind(&b.name).bind(b.scope.as_str()).bind(&b.scope_value).bind(b.period.as_str())
                .bind(b.limit_nanos).bind(b.warn_pct).bind(b.critical_pct).bind(&notify).bind(b.id)
                .execute(pool)
                .await?;
                b.id
            }
        }))
    }

    pub async fn delete_budget(&self, id: i64) -> Result<bool, StoreError> {
        Ok(
            on_writer!(self, pool => sqlx::query("DELETE FROM budgets WHERE id = $1").bind(id).execute(pool).await?.rows_affected())
                == 1,
        )
    }

    pub async fn alert_rules(&self) -> Result<Vec<AlertRule>, StoreError> {
        let rows: Vec<RuleRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, name, kind, severity, params, notify, enabled FROM alert_rules ORDER BY id",
        )
        .fetch_all(pool)
        .await?);
        rows.into_iter()
            .map(|RuleRow { id, name, kind, severity, params, notify, enabled }| {
                let p: RuleParams =
                    serde_json::from_str(&params).map_err(|e| StoreError::Corrupt(format!("rule {id}: {e}")))?;
                Ok(AlertRule {
                    id,
                    name,
                    kind: RuleKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("rule {id}: kind {kind}")))?,
                    threshold: p.threshold,
                    window_minutes: p.window_minutes,
                    stage: p.stage,
                    min_events: p.min_events,
                    severity: Severity::parse(&severity)
                        .ok_or_else(|| StoreError::Corrupt(format!("rule {id}: severity {severity}")))?,
                    notify: notify_parsed(&format!("rule {id}"), notify)?,
                    enabled: enabled != 0,
                })
            })
            .collect()
    }

    /// Creates (id 0) or replaces a rule; returns its id.
    pub async fn save_alert_rule(&self, r: &AlertRule, now_ms: i64) -> Result<i64, StoreError> {
        let params = serde_json::to_string(&RuleParams {
            threshold: r.threshold,
            window_minutes: r.window_minutes,
            stage: r.stage.clone(),
            min_events: r.min_events,
        })
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let notify = notify_json(&r.notify)?;
        Ok(on_writer!(self, pool => {
            if r.id == 0 {
                sqlx::query_scalar(
                    "INSERT INTO alert_rules (name, kind, severity, params, notify, enabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(&r.name).bind(r.kind.as_str()).bind(r.severity.as_str()).bind(&params).bind(&notify).bind(i64::from(r.enabled)).bind(now_ms)
                .fetch_one(pool)
                .await?
            } else {
                sqlx::query("UPDATE alert_rules SET name = $1, kind = $2, severity = $3, params = $4, notify = $5, enabled = $6 WHERE id = $7")
                    .bind(&r.name).bind(r.kind.as_str()).bind(r.severity.as_str()).bind(&params).bind(&notify).bind(i64::from(r.enabled)).bind(r.id)
                    .execute(pool)
                    .await?;
                r.id
            }
        }))
    }

    pub async fn delete_alert_rule(&self, id: i64) -> Result<bool, StoreError> {
        Ok(
            on_writer!(self, pool => sqlx::query("DELETE FROM alert_rules WHERE id = $1").bind(id).execute(pool).await?.rows_affected())
                == 1,
        )
    }

    /// The unresolved alert of a source and level, if it is firing.
    pub async fn open_alert(&self, source: &str, source_id: i64, level: &str) -> Result<Option<Alert>, StoreError> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE source = $1 AND source_id = $2 AND level = $3 AND resolved_at IS NULL"
        );
        let row: Option<AlertRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(source).bind(source_id).bind(level)
            .fetch_optional(pool)
            .await?);
        Ok(row.map(Alert::from))
    }

    /// Records a new firing alert; returns it with its id.
    pub async fn insert_alert(&self, mut a: Alert) -> Result<Alert, StoreError> {
        a.id = on_writer!(self, pool => sqlx::query_scalar(
            "INSERT INTO alerts (source, source_id, level, severity, name, message, value, threshold, fired_at, webhook_status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(&a.source).bind(a.source_id).bind(&a.level).bind(a.severity.as_str()).bind(&a.name).bind(&a.message)
        .bind(a.value).bind(a.threshold).bind(a.fired_at).bind(&a.webhook_status)
        .fetch_one(pool)
        .await?);
        Ok(a)
    }

    pub async fn resolve_alert(&self, id: i64, now_ms: i64, value: f64) -> Result<(), StoreError> {
        on_writer!(self, pool => sqlx::query("UPDATE alerts SET resolved_at = $1, value = $2 WHERE id = $3")
            .bind(now_ms).bind(value).bind(id)
            .execute(pool)
            .await
            .map(drop)?);
        Ok(())
    }

    /// Alerts whose webhook has not been delivered or given up on yet.
    pub async fn pending_webhooks(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM alerts WHERE webhook_status = 'pending'")
            .fetch_one(pool)
            .await?))
    }

    pub async fn record_webhook(
        &self,
        id: i64,
        status: &str,
        attempts: i64,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        on_writer!(self, pool => sqlx::query(
            "UPDATE alerts SET webhook_status = $1, webhook_attempts = $2, webhook_error = $3 WHERE id = $4",
        )
        .bind(status).bind(attempts).bind(error).bind(id)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }

    /// The most recent alerts, newest first.
    pub async fn alerts(&self, limit: i64) -> Result<Vec<Alert>, StoreError> {
        let sql = format!("SELECT {ALERT_COLUMNS} FROM alerts ORDER BY id DESC LIMIT $1");
        let rows: Vec<AlertRow> = on_pool!(self, pool => sqlx::query_as(&sql).bind(limit).fetch_all(pool).await?);
        Ok(rows.into_iter().map(Alert::from).collect())
    }
}
