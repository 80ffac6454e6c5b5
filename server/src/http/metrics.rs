//! `GET /metrics`: the Prometheus text format (0.0.4). Open, like
//! `/api/ping`: counts and sums, no user data. The counters live in the
//! pipeline's registry (`pipeline::ops::metrics`); what is read at scrape
//! time — streams, the database and Redis, the process, what retention
//! keeps — is gathered here, into a registry of its own for this scrape.

use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::prometheus_text::{encode, CONTENT_TYPE};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Registry;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Kind {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Source {
    source: &'static str,
}

#[utoipa::path(get, path = "/metrics", tag = "operations",
    description = "Prometheus text exposition: ingest, streams, store, alerts (see docs/operations.md).",
    responses((status = 200, description = "The metrics", content_type = "text/plain; version=0.0.4", body = String)),
    security(()))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut now = Registry::default();
    let service = &state.service;
    now.register("flowmeter_open_streams", "Live streams open on this replica", gauge(service.bus().subscribers()));
    now.register(
        "flowmeter_telemetry_enabled",
        "1 while ingest accepts events",
        gauge(u8::from(service.telemetry_enabled())),
    );
    if let Some(redis) = service.bus().redis().map(|r| r.health()) {
        now.register("flowmeter_redis_up", "1 when the Redis bus answers", gauge(u8::from(redis.ok)));
        now.register(
            "flowmeter_bus_lag_seconds",
            "How far the Redis relay was behind its newest entry",
            ConstGauge::new(redis.lag_ms.max(0) as f64 / 1e3),
        );
    }
    let memo = service.memo().stats();
    let reads = Family::<Source, Counter>::default();
    reads.get_or_create(&Source { source: "memo" }).inc_by(memo.hits);
    reads.get_or_create(&Source { source: "store" }).inc_by(memo.misses);
    now.register(
        "flowmeter_rollup_reads",
        "Summary reads of whole days, hours and ten-minute blocks, answered from what this replica kept (memo) or from the store",
        reads,
    );
    let retained = service.store().retained_totals().await;
    now.register(
        "flowmeter_database_up",
        "1 when the database answered this scrape",
        gauge(u8::from(retained.is_ok())),
    );
    match retained {
        Ok(t) => {
            now.register("flowmeter_retained_events", "Events kept within retention", gauge(t.events));
            now.register(
                "flowmeter_retained_cost_usd",
                "Priced cost of the events kept within retention, USD",
                ConstGauge::new(t.cost_nanos as f64 / 1e9),
            );
            let tokens = Family::<Kind, Gauge<i64>>::default();
            tokens.get_or_create(&Kind { kind: "input" }).set(t.input_tokens);
            tokens.get_or_create(&Kind { kind: "output" }).set(t.output_tokens);
            now.register("flowmeter_retained_tokens", "Tokens of the events kept within retention", tokens);
        }
        Err(e) => tracing::warn!(error = %e, "Metrics: database unavailable."),
    }
    process(&mut now);
    let mut out = String::new();
    let _ = encode(&mut out, service.metrics().registry());
    let _ = encode(&mut out, &now);
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], out)
}

/// Counts and times every request by its route template (`other` for
/// paths no route matched: the label set stays small whatever is asked).
pub async fn observe(State(state): State<AppState>, route: Option<MatchedPath>, req: Request, next: Next) -> Response {
    let route = route.as_ref().map_or("other", MatchedPath::as_str).to_string();
    let method = req.method().as_str().to_string();
    let t0 = Instant::now();
    let resp = next.run(req).await;
    state.service.metrics().http(&route, &method, resp.status().as_u16(), t0.elapsed().as_secs_f64());
    resp
}

fn gauge(v: impl TryInto<i64>) -> ConstGauge<i64> {
    ConstGauge::new(v.try_into().unwrap_or(i64::MAX))
}

/// The process, from `/proc/self` (absent where there is none).
fn process(r: &mut Registry) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return };
    // Fields after the command name (which may hold spaces): state is 3rd.
    let Some(fields) = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect::<Vec<_>>()) else {
        return;
    };
    let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime + stime (fields 14, 15) in clock ticks; starttime (22) in
    // ticks since boot; rss (24) in pages. Linux ticks are 100 per second
    // and pages 4 KiB on the machines this runs on.
    const TICKS: f64 = 100.0;
    const PAGE: f64 = 4096.0;
    r.register(
        "process_cpu_seconds",
        "User and system CPU time spent",
        ConstCounter::new((field(14) + field(15)) / TICKS),
    );
    r.register("process_resident_memory_bytes", "Resident memory size", ConstGauge::new(field(24) * PAGE));
    let boot = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("btime ").and_then(|v| v.trim().parse::<f64>().ok())));
    if let Some(boot) = boot {
        r.register(
            "process_start_time_seconds",
            "Start time of the process since the epoch",
            ConstGauge::new(boot + field(22) / TICKS),
        );
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        r.register("process_open_fds", "Open file descriptors", gauge(fds.count()));
    }
}
