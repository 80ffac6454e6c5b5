//! Budgets, alert rules and the alerts they raised: the forms checked field
//! by field, what each budget has spent, and the budget check agents ask
//! before spending.

use super::error::Context;
use super::{Service, ServiceError};
use crate::alerts;
use domain::alerts::{Alert, AlertRule, Budget, BudgetInput, BudgetScope, BudgetStatus, Period, RuleKind};
use domain::money::parse_decimal_nanos;
use domain::rules;
use serde::Serialize;

/// Most alerts listed at once.
pub const MAX_ALERTS: i64 = 500;

fn invalid(field: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::invalid(field, message)
}

/// A webhook must be an http(s) URL (or empty for none).
pub fn webhook(url: &str) -> Result<Option<String>, ServiceError> {
    let url = url.trim();
    if url.is_empty() {
        return Ok(None);
    }
    if !(url.starts_with("https://") || url.starts_with("http://"))
        || url.len() > 2000
        || url.contains(char::is_whitespace)
    {
        return Err(invalid("webhookUrl", "must be an http(s) URL"));
    }
    Ok(Some(url.to_string()))
}

/// Checks a budget form and turns it into a budget.
pub fn budget_from(input: &BudgetInput) -> Result<Budget, ServiceError> {
    let name = rules::name(&input.name).map_err(|m| invalid("name", m))?;
    let scope = BudgetScope::parse(&input.scope).ok_or_else(|| invalid("scope", "global, model or persona"))?;
    let scope_value = input.scope_value.trim().to_string();
    if scope != BudgetScope::Global && scope_value.is_empty() {
        return Err(invalid("scopeValue", "name the model or persona"));
    }
    let period = Period::parse(&input.period).ok_or_else(|| invalid("period", "daily or monthly"))?;
    let limit_nanos = parse_decimal_nanos(&input.limit_usd).map_err(|m| invalid("limitUsd", m))?;
    if limit_nanos == 0 {
        return Err(invalid("limitUsd", "must be above 0"));
    }
    if !(1..=1000).contains(&input.warn_pct)
        || !(1..=1000).contains(&input.critical_pct)
        || input.warn_pct > input.critical_pct
    {
        return Err(invalid("warnPct", "warn and critical are 1–1000 %, warn at most critical"));
    }
    Ok(Budget {
        id: input.id,
        name,
        scope,
        scope_value: if scope == BudgetScope::Global { String::new() } else { scope_value },
        period,
        limit_nanos,
        warn_pct: input.warn_pct,
        critical_pct: input.critical_pct,
        webhook_url: webhook(&input.webhook_url)?,
    })
}

/// Checks an alert rule.
pub fn rule_checked(mut r: AlertRule) -> Result<AlertRule, ServiceError> {
    r.name = rules::name(&r.name).map_err(|m| invalid("name", m))?;
    if !(r.threshold.is_finite() && r.threshold > 0.0) {
        return Err(invalid("threshold", "must be above 0"));
    }
    if !(1..=1440).contains(&r.window_minutes) {
        return Err(invalid("windowMinutes", "1 to 1440 minutes"));
    }
    if r.kind == RuleKind::P95Latency && r.stage.as_deref().is_none_or(|s| s.trim().is_empty()) {
        return Err(invalid("stage", "a latency rule watches one stage"));
    }
    r.min_events = r.min_events.max(0);
    r.webhook_url = webhook(r.webhook_url.as_deref().unwrap_or(""))?;
    Ok(r)
}

/// May a pipeline spend more? Every budget that applies, with what is left.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BudgetCheck {
    /// False once any budget that applies is used up.
    pub allow: bool,
    /// The smallest remaining amount among the budgets that apply.
    pub remaining_nanos: Option<i64>,
    pub budgets: Vec<BudgetStatus>,
}

const UNAVAILABLE: &str = "the store is unavailable";

impl Service {
    /// Every budget with what it has spent in its current period.
    pub async fn budgets(&self, now_ms: i64) -> Result<Vec<BudgetStatus>, ServiceError> {
        let mut out = Vec::new();
        for b in self.store.budgets().await.or_unavailable(UNAVAILABLE)? {
            out.push(alerts::status(&self.store, &b, now_ms).await.or_unavailable(UNAVAILABLE)?);
        }
        Ok(out)
    }

    /// Creates (id 0) or replaces a budget; returns its id.
    pub async fn save_budget(&self, input: &BudgetInput, now_ms: i64) -> Result<i64, ServiceError> {
        let b = budget_from(input)?;
        self.store.save_budget(&b, now_ms).await.or_unavailable(UNAVAILABLE)
    }

    pub async fn delete_budget(&self, id: i64) -> Result<(), ServiceError> {
        match self.store.delete_budget(id).await.or_unavailable(UNAVAILABLE)? {
            true => Ok(()),
            false => Err(ServiceError::NotFound { field: "id", what: "budget" }),
        }
    }

    pub async fn alert_rules(&self) -> Result<Vec<AlertRule>, ServiceError> {
        self.store.alert_rules().await.or_unavailable(UNAVAILABLE)
    }

    /// Creates (id 0) or replaces a rule; returns its id.
    pub async fn save_alert_rule(&self, rule: AlertRule, now_ms: i64) -> Result<i64, ServiceError> {
        let r = rule_checked(rule)?;
        self.store.save_alert_rule(&r, now_ms).await.or_unavailable(UNAVAILABLE)
    }

    pub async fn delete_alert_rule(&self, id: i64) -> Result<(), ServiceError> {
        match self.store.delete_alert_rule(id).await.or_unavailable(UNAVAILABLE)? {
            true => Ok(()),
            false => Err(ServiceError::NotFound { field: "id", what: "rule" }),
        }
    }

    /// The latest alerts, newest first.
    pub async fn alerts(&self, limit: i64) -> Result<Vec<Alert>, ServiceError> {
        self.store.alerts(limit.clamp(1, MAX_ALERTS)).await.or_unavailable(UNAVAILABLE)
    }

    /// The budgets that apply to spending on `model` for `persona`.
    pub async fn budget_check(
        &self,
        model: Option<&str>,
        persona: Option<&str>,
        now_ms: i64,
    ) -> Result<BudgetCheck, ServiceError> {
        let mut budgets = Vec::new();
        for b in self.store.budgets().await? {
            if alerts::applies(&b, model, persona) {
                budgets.push(alerts::status(&self.store, &b, now_ms).await?);
            }
        }
        Ok(BudgetCheck {
            allow: budgets.iter().all(|s| s.remaining_nanos > 0),
            remaining_nanos: budgets.iter().map(|s| s.remaining_nanos).min(),
            budgets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_forms_are_checked_field_by_field() {
        let ok = BudgetInput {
            name: "daily".into(),
            scope: "global".into(),
            period: "daily".into(),
            limit_usd: "25.50".into(),
            warn_pct: 80,
            critical_pct: 100,
            ..BudgetInput::default()
        };
        let b = budget_from(&ok).unwrap();
        assert_eq!(b.limit_nanos, 25_500_000_000);
        let field = |i: BudgetInput| budget_from(&i).unwrap_err().to_string();
        assert!(field(BudgetInput { scope: "team".into(), ..ok.clone() }).contains("`scope`"));
        assert!(field(BudgetInput { scope: "model".into(), ..ok.clone() }).contains("`scopeValue`"));
        assert!(field(BudgetInput { limit_usd: "lots".into(), ..ok.clone() }).contains("`limitUsd`"));
        assert!(field(BudgetInput { limit_usd: "0".into(), ..ok.clone() }).contains("`limitUsd`"));
        assert!(field(BudgetInput { warn_pct: 120, ..ok.clone() }).contains("`warnPct`"));
        assert!(field(BudgetInput { webhook_url: "ftp://x".into(), ..ok.clone() }).contains("`webhookUrl`"));
        assert!(field(BudgetInput { name: " ".into(), ..ok.clone() }).contains("`name`"));
    }
}
