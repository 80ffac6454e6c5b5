//! Flowmeter's own telemetry: the metrics `/metrics` exposes and the
//! ingest-failure alert reads ([`metrics`]).

pub mod metrics;

pub use metrics::{IngestOutcome, Metrics};
