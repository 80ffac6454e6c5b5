//! `GET /metrics`: Prometheus text format. Open (like `/api/ping`): it holds
//! counts and sums, no user data.

use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use pipeline::ops::IngestCounters;
use std::fmt::Write;

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let c = state.service.counters();
    let mut out = String::new();
    let mut line = |name: &str, kind: &str, help: &str, samples: &[(&str, f64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, v) in samples {
            let _ = writeln!(out, "{name}{labels} {v}");
        }
    };
    line(
        "flowmeter_ingest_requests_total",
        "counter",
        "Ingest requests since start, by outcome.",
        &[
            ("{outcome=\"accepted\"}", IngestCounters::get(&c.accepted_requests) as f64),
            ("{outcome=\"rejected\"}", IngestCounters::get(&c.rejected_requests) as f64),
            ("{outcome=\"failed\"}", IngestCounters::get(&c.failed_requests) as f64),
        ],
    );
    line(
        "flowmeter_ingested_events_total",
        "counter",
        "Events stored since start.",
        &[("", IngestCounters::get(&c.accepted_events) as f64)],
    );
    line(
        "flowmeter_stream_subscribers",
        "gauge",
        "Open live streams.",
        &[("", state.service.bus().subscribers() as f64)],
    );
    line(
        "flowmeter_telemetry_enabled",
        "gauge",
        "1 when ingest accepts events.",
        &[("", f64::from(u8::from(state.service.telemetry_enabled())))],
    );
    match state.service.store().retained_totals().await {
        Ok(t) => {
            line("flowmeter_retained_events", "gauge", "Events within retention.", &[("", t.events as f64)]);
            line(
                "flowmeter_retained_cost_usd",
                "gauge",
                "Priced cost of the events within retention, USD.",
                &[("", t.cost_nanos as f64 / 1e9)],
            );
            line(
                "flowmeter_retained_tokens",
                "gauge",
                "Tokens of the events within retention.",
                &[("{kind=\"input\"}", t.input_tokens as f64), ("{kind=\"output\"}", t.output_tokens as f64)],
            );
            line("flowmeter_database_up", "gauge", "1 when the database answers.", &[("", 1.0)]);
        }
        Err(e) => {
            tracing::warn!(error = %e, "Metrics: database unavailable.");
            line("flowmeter_database_up", "gauge", "1 when the database answers.", &[("", 0.0)]);
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
