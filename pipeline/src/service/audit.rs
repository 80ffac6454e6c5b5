//! The audit log: every admin change — users, keys, prices, budgets, alert
//! rules, retention, the telemetry switch — is recorded here with who made
//! it, once the change has succeeded. The service's own write methods call
//! [`Service::audit`], so no door (server function, command line) can
//! change state unrecorded. The detail names what changed, never a secret:
//! no password, key, webhook URL or bot token.
//!
//! The record follows the change rather than sharing its transaction: if
//! the store fails in between, the change stands and the miss is logged at
//! error level with everything the row would have held.

use super::error::Context;
use super::{Service, ServiceError, Viewer};
use crate::store::Store;
use domain::audit::{AuditAction, AuditEntry};

/// Most entries one listing returns.
pub const MAX_ENTRIES: i64 = 500;

/// Records `action` by `actor` (user id, name) on `target`: in the log and
/// in the store.
pub async fn record(
    store: &Store,
    actor: (Option<i64>, &str),
    action: AuditAction,
    target: &str,
    detail: &str,
    now_ms: i64,
) {
    tracing::info!(by = actor.1, action = action.as_str(), target, detail, "Admin action.");
    if let Err(e) = store.record_audit(now_ms, actor, action, target, detail).await {
        tracing::error!(
            error = %e, by = actor.1, action = action.as_str(), target, detail,
            "The audit log could not record an admin action (the change itself was made)."
        );
    }
}

impl Service {
    /// Records what `by` just changed.
    pub(super) async fn audit(&self, by: &Viewer, action: AuditAction, target: &str, detail: &str) {
        record(&self.store, by.actor(), action, target, detail, domain::time::now_ms()).await;
    }

    /// The latest entries, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, ServiceError> {
        self.store.audit_log(limit.clamp(1, MAX_ENTRIES)).await.or_unavailable("the store is unavailable")
    }
}
