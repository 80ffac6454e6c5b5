//! The runtime settings the admin area shows and changes.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminSettings {
    pub telemetry_enabled: bool,
    /// `TELEMETRY_ENABLED`, what a restart returns to.
    pub telemetry_default: bool,
    pub retention_days: i64,
}
