//! Flowmeter's own telemetry: counters of what ingest did since start, for
//! `/metrics` and the ingest-failure alert. Each outcome is recorded once,
//! with a log line, where the request is answered.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct IngestCounters {
    pub accepted_requests: AtomicU64,
    pub accepted_events: AtomicU64,
    /// Refused for the client's fault (4xx): invalid events, bad keys, …
    pub rejected_requests: AtomicU64,
    /// Failed on our side (5xx): the store was unavailable, nothing stored.
    pub failed_requests: AtomicU64,
}

/// How an ingest request ended.
pub enum IngestOutcome {
    Accepted { events: usize },
    Rejected { status: u16 },
    Failed { status: u16 },
}

impl IngestCounters {
    pub fn emit(&self, outcome: IngestOutcome) {
        match outcome {
            IngestOutcome::Accepted { events } => {
                self.accepted_requests.fetch_add(1, Ordering::Relaxed);
                self.accepted_events.fetch_add(events as u64, Ordering::Relaxed);
                tracing::debug!(events, "Events accepted.");
            }
            IngestOutcome::Rejected { status } => {
                self.rejected_requests.fetch_add(1, Ordering::Relaxed);
                tracing::info!(status, "Ingest request rejected.");
            }
            IngestOutcome::Failed { status } => {
                self.failed_requests.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(status, "Ingest request failed; nothing stored.");
            }
        }
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
