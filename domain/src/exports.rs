//! Export jobs: an export too big to stream while the user waits is written
//! to a file in the background, and polled until it is ready to download.

use crate::time::serde_ts;
use serde::{Deserialize, Serialize};

/// Above this many events an export becomes a job (or with `async=1`).
pub const SYNC_MAX_EVENTS: i64 = 100_000;
/// A finished export's file is kept this long, then deleted.
pub const KEEP_MS: i64 = 24 * 3_600_000;
/// A running job whose runner has not reported for this long has stopped
/// (its replica restarted or died): it is marked failed.
pub const STALE_MS: i64 = 60_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ExportFormat {
    Csv,
    Json,
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }
    pub fn parse(s: &str) -> Option<ExportFormat> {
        [ExportFormat::Csv, ExportFormat::Json].into_iter().find(|f| f.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 5] =
        [JobStatus::Queued, JobStatus::Running, JobStatus::Done, JobStatus::Failed, JobStatus::Cancelled];
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<JobStatus> {
        JobStatus::ALL.into_iter().find(|v| v.as_str() == s)
    }
    /// Still to finish (queued or running).
    pub fn is_open(self) -> bool {
        matches!(self, JobStatus::Queued | JobStatus::Running)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportJob {
    pub id: String,
    pub format: ExportFormat,
    pub status: JobStatus,
    /// Events to write, counted when the job started.
    pub total: i64,
    pub written: i64,
    /// Why it failed (or was cancelled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Where to download it, once done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<i64>,
    /// The window and filters exported, as the summary API takes them.
    pub query: crate::summary::SummaryQuery,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    #[serde(with = "serde_ts")]
    pub created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
}

impl ExportJob {
    /// Percent written, 0–100.
    pub fn progress_pct(&self) -> f64 {
        match (self.status, self.total) {
            (JobStatus::Done, _) => 100.0,
            (_, 0) => 0.0,
            (_, t) => (self.written as f64 * 100.0 / t as f64).clamp(0.0, 100.0),
        }
    }
}
