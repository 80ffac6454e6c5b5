//! The telemetry switch and the retention: read on every ingest request and
//! by the retention task, changed in the admin area. Both are stored, so
//! every replica (and a restart) sees the same; a change is announced on
//! the bus so the other replicas reload it at once, and each replica also
//! reloads every few seconds in case a notice is lost. Price overrides
//! follow the same path (see `pricing`).

use super::error::Context;
use super::{Service, ServiceError, Viewer};
use crate::bus::Change;
use crate::store::{Store, StoreError};
use domain::audit::AuditAction;
use domain::rules;
use domain::settings::AdminSettings;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

/// The `settings` row that keeps the retention.
pub const RETENTION_SETTING: &str = "retention_days";
/// The `settings` row that keeps the telemetry switch once an admin used it.
pub const TELEMETRY_SETTING: &str = "telemetry_enabled";
/// How often a replica reloads the shared settings without a notice.
pub const RELOAD_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub(super) struct Switches {
    telemetry: AtomicBool,
    /// `TELEMETRY_ENABLED`: the switch until an admin first uses it.
    telemetry_default: bool,
    retention_days: AtomicI64,
}

impl Switches {
    pub(super) fn new(telemetry_default: bool, telemetry: bool, retention_days: i64) -> Switches {
        Switches {
            telemetry: AtomicBool::new(telemetry),
            telemetry_default,
            retention_days: AtomicI64::new(retention_days),
        }
    }
}

/// The retention to start with: the stored one, else `configured`.
pub async fn stored_retention(store: &Store, configured: i64) -> Result<i64, StoreError> {
    Ok(store.setting(RETENTION_SETTING).await?.and_then(|d| d.parse().ok()).unwrap_or(configured))
}

/// The telemetry switch to start with: as an admin last set it, else
/// `configured` (`TELEMETRY_ENABLED`).
pub async fn stored_telemetry(store: &Store, configured: bool) -> Result<bool, StoreError> {
    Ok(store.setting(TELEMETRY_SETTING).await?.map_or(configured, |v| v == "true"))
}

const NOT_CHANGED: &str = "the store is unavailable; nothing was changed";

impl Service {
    /// Whether ingest accepts events right now.
    pub fn telemetry_enabled(&self) -> bool {
        self.switches.telemetry.load(Ordering::Relaxed)
    }

    pub fn retention_days(&self) -> i64 {
        self.switches.retention_days.load(Ordering::Relaxed)
    }

    pub fn settings(&self) -> AdminSettings {
        AdminSettings {
            telemetry_enabled: self.telemetry_enabled(),
            telemetry_default: self.switches.telemetry_default,
            retention_days: self.retention_days(),
        }
    }

    pub async fn set_telemetry(&self, by: &Viewer, enabled: bool) -> Result<(), ServiceError> {
        self.store.set_setting(TELEMETRY_SETTING, &enabled.to_string()).await.or_unavailable(NOT_CHANGED)?;
        self.switches.telemetry.store(enabled, Ordering::Relaxed);
        self.bus.publish_change(Change::Telemetry).await;
        self.audit(by, AuditAction::TelemetrySwitched, "telemetry ingest", &format!("enabled={enabled}")).await;
        Ok(())
    }

    pub async fn set_retention_days(&self, by: &Viewer, days: i64) -> Result<(), ServiceError> {
        let days = rules::retention_days(days).map_err(|m| ServiceError::invalid("days", m))?;
        self.store.set_setting(RETENTION_SETTING, &days.to_string()).await.or_unavailable(NOT_CHANGED)?;
        self.switches.retention_days.store(days, Ordering::Relaxed);
        self.bus.publish_change(Change::Retention).await;
        self.audit(by, AuditAction::RetentionChanged, "retention", &format!("days={days}")).await;
        Ok(())
    }

    /// Reloads a shared setting from the database (what another replica
    /// changed).
    pub async fn reload(&self, change: Change) -> Result<(), StoreError> {
        match change {
            Change::Telemetry => {
                if let Some(v) = self.store.setting(TELEMETRY_SETTING).await? {
                    self.switches.telemetry.store(v == "true", Ordering::Relaxed);
                }
            }
            Change::Retention => {
                let days = stored_retention(&self.store, self.retention_days()).await?;
                self.switches.retention_days.store(days, Ordering::Relaxed);
            }
            Change::Pricing => {
                let overrides = self.store.price_overrides().await?;
                match self.pricing.current().with_admin_overrides(overrides) {
                    Ok(table) => self.pricing.replace(table),
                    Err(e) => tracing::error!(error = %e, "Stored price overrides do not compile; kept the table."),
                }
            }
        }
        Ok(())
    }

    /// Keeps this replica's copy of the shared settings current: reloads
    /// what a bus notice names at once, and everything every
    /// [`RELOAD_EVERY`]. Runs until the bus closes.
    pub async fn follow_changes(&self) {
        let mut notices = self.bus.subscribe_changes();
        let mut every = tokio::time::interval(RELOAD_EVERY);
        let closed = self.bus.closed();
        tokio::pin!(closed);
        loop {
            let changes = tokio::select! {
                _ = &mut closed => return,
                _ = every.tick() => Change::ALL.to_vec(),
                notice = notices.recv() => match notice {
                    Ok(change) => vec![change],
                    Err(_) => Change::ALL.to_vec(), // missed some: reload them all
                },
            };
            for change in changes {
                if let Err(e) = self.reload(change).await {
                    tracing::warn!(error = %e, ?change, "Reloading a shared setting failed; will retry.");
                }
            }
        }
    }
}
