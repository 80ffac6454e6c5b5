//! The telemetry switch and the retention: read on every ingest request and
//! by the retention task, changed in the admin area. The switch lasts until
//! a restart (`TELEMETRY_ENABLED` is where a restart starts); the retention
//! is stored, so it outlasts one.

use super::error::Context;
use super::{Service, ServiceError};
use crate::store::{Store, StoreError};
use domain::rules;
use domain::settings::AdminSettings;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

/// The `settings` row that keeps the retention across restarts.
pub const RETENTION_SETTING: &str = "retention_days";

#[derive(Debug)]
pub(super) struct Switches {
    telemetry: AtomicBool,
    telemetry_default: bool,
    retention_days: AtomicI64,
}

impl Switches {
    pub(super) fn new(telemetry: bool, retention_days: i64) -> Switches {
        Switches {
            telemetry: AtomicBool::new(telemetry),
            telemetry_default: telemetry,
            retention_days: AtomicI64::new(retention_days),
        }
    }
}

/// The retention to start with: the stored one, else `configured`.
pub async fn stored_retention(store: &Store, configured: i64) -> Result<i64, StoreError> {
    Ok(store.setting(RETENTION_SETTING).await?.and_then(|d| d.parse().ok()).unwrap_or(configured))
}

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

    pub fn set_telemetry(&self, enabled: bool) {
        self.switches.telemetry.store(enabled, Ordering::Relaxed);
    }

    pub async fn set_retention_days(&self, days: i64) -> Result<(), ServiceError> {
        let days = rules::retention_days(days).map_err(|m| ServiceError::invalid("days", m))?;
        self.store
            .set_setting(RETENTION_SETTING, &days.to_string())
            .await
            .or_unavailable("the store is unavailable; nothing was changed")?;
        self.switches.retention_days.store(days, Ordering::Relaxed);
        Ok(())
    }
}
