//! The audit log's rows: appended, listed newest first.

use super::{on_pool, on_writer, Store, StoreError};
use domain::audit::{AuditAction, AuditEntry};
use sqlx::FromRow;

#[derive(FromRow)]
struct Row {
    id: i64,
    at_ms: i64,
    actor: String,
    action: String,
    target: String,
    detail: String,
}

impl Store {
    pub async fn record_audit(
        &self,
        at_ms: i64,
        actor: (Option<i64>, &str),
        action: AuditAction,
        target: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        on_writer!(self, pool => sqlx::query(
            "INSERT INTO audit_log (at_ms, actor_id, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(at_ms).bind(actor.0).bind(actor.1).bind(action.as_str()).bind(target).bind(detail)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }

    /// The latest `limit` entries, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<Row> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, at_ms, actor, action, target, detail FROM audit_log ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(pool)
        .await?);
        rows.into_iter()
            .map(|r| {
                let action = AuditAction::parse(&r.action)
                    .ok_or_else(|| StoreError::Corrupt(format!("audit entry {}: action `{}`", r.id, r.action)))?;
                Ok(AuditEntry { id: r.id, at: r.at_ms, actor: r.actor, action, target: r.target, detail: r.detail })
            })
            .collect()
    }
}
