//! Flowmeter's own metrics, in the one registry `/metrics` encodes: what was
//! stored (cost, tokens, events, stage durations), how ingest requests
//! ended, the writer's group commits, HTTP traffic, webhook deliveries and
//! budget use. Counters count from process start, as Prometheus expects
//! (`rate()` and `increase()` handle restarts); label values are capped
//! ([`LabelCap`]) so a flood of distinct model or stage names cannot
//! explode the series count.

use domain::Event;
use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::Registry;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Distinct values a label keeps before the rest count as `other`.
pub const MAX_MODELS: usize = 50;
pub const MAX_PROVIDERS: usize = 20;
pub const MAX_STAGES: usize = 50;
pub const MAX_BUDGETS: usize = 100;
/// The label value of everything past a cap.
pub const OTHER: &str = "other";
/// The label value of an absent model or provider.
pub const NONE: &str = "none";

/// Stage durations, seconds: 10 ms to about 41 s.
const STAGE_BUCKETS: [f64; 13] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0];
/// HTTP request durations, seconds: 1 ms to 10 s.
const HTTP_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// Group commit durations, seconds: 0.5 ms to 10 s.
const COMMIT_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Events per group commit: one request of one event up to a full group.
const GROUP_BUCKETS: [f64; 9] = [1.0, 10.0, 50.0, 100.0, 500.0, 1000.0, 5000.0, 10000.0, 20000.0];

/// How an ingest request ended.
pub enum IngestOutcome {
    Accepted {
        events: usize,
    },
    /// Refused for the client's fault (4xx): invalid events, bad keys, …
    Rejected {
        status: u16,
    },
    /// Failed on our side (5xx): nothing was stored.
    Failed {
        status: u16,
    },
}

/// The first `limit` distinct values seen keep their name; later ones are
/// [`OTHER`]. (First seen rather than most used: a label must not change
/// series under a running counter.)
#[derive(Debug)]
pub struct LabelCap {
    limit: usize,
    seen: RwLock<HashSet<String>>,
}

impl LabelCap {
    pub fn new(limit: usize) -> LabelCap {
        LabelCap { limit, seen: RwLock::new(HashSet::new()) }
    }

    pub fn admit(&self, value: &str) -> String {
        if self.seen.read().map(|s| s.contains(value)).unwrap_or(false) {
            return value.to_string();
        }
        let Ok(mut seen) = self.seen.write() else { return OTHER.to_string() };
        if seen.contains(value) || seen.len() < self.limit {
            seen.insert(value.to_string());
            value.to_string()
        } else {
            OTHER.to_string()
        }
    }
}

/// A money counter: exact integer nano-dollars inside, USD on the wire.
#[derive(Clone, Debug, Default)]
pub struct UsdCounter(Arc<AtomicU64>);

impl UsdCounter {
    pub fn add_nanos(&self, nanos: u64) {
        self.0.fetch_add(nanos, Ordering::Relaxed);
    }

    pub fn nanos(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl TypedMetric for UsdCounter {
    const TYPE: MetricType = MetricType::Counter;
}

impl EncodeMetric for UsdCounter {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        encoder.encode_counter::<NoLabelSet, f64, f64>(&(self.nanos() as f64 / 1e9), None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ModelProvider {
    pub model: String,
    pub provider: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ModelKind {
    pub model: String,
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageStatus {
    pub stage: String,
    pub status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageLabel {
    pub stage: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Outcome {
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpRequest {
    pub route: String,
    pub method: String,
    pub status_class: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Route {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BudgetLabel {
    pub budget: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every metric Flowmeter keeps, and the registry that encodes them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    cost: Family<ModelProvider, UsdCounter>,
    tokens: Family<ModelKind, Counter>,
    events: Family<StageStatus, Counter>,
    stage_duration: HistogramFamily<StageLabel>,
    ingest_requests: Family<Outcome, Counter>,
    commit_duration: Histogram,
    commit_events: Histogram,
    http_requests: Family<HttpRequest, Counter>,
    http_duration: HistogramFamily<Route>,
    webhook_deliveries: Family<Outcome, Counter>,
    budget_used: Family<BudgetLabel, Gauge<f64, AtomicU64>>,
    models: LabelCap,
    providers: LabelCap,
    stages: LabelCap,
    budgets: LabelCap,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut m = Metrics {
            registry: Registry::default(),
            cost: Family::default(),
            tokens: Family::default(),
            events: Family::default(),
            stage_duration: Family::new_with_constructor(|| Histogram::new(STAGE_BUCKETS)),
            ingest_requests: Family::default(),
            commit_duration: Histogram::new(COMMIT_BUCKETS),
            commit_events: Histogram::new(GROUP_BUCKETS),
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(|| Histogram::new(HTTP_BUCKETS)),
            webhook_deliveries: Family::default(),
            budget_used: Family::default(),
            models: LabelCap::new(MAX_MODELS),
            providers: LabelCap::new(MAX_PROVIDERS),
            stages: LabelCap::new(MAX_STAGES),
            budgets: LabelCap::new(MAX_BUDGETS),
        };
        let r = &mut m.registry;
        r.register("flowmeter_cost_usd", "Priced cost of the events stored since start, USD", m.cost.clone());
        r.register(
            "flowmeter_tokens",
            "Tokens of the events stored since start, by kind (input, cached_input, cache_write, output, reasoning; cached and cache-write tokens are part of input, reasoning part of output)",
            m.tokens.clone(),
        );
        r.register("flowmeter_events", "Events stored since start", m.events.clone());
        r.register("flowmeter_stage_duration_seconds", "Stage durations the agents reported", m.stage_duration.clone());
        r.register(
            "flowmeter_ingest_requests",
            "Ingest requests (native and OTLP) since start, by outcome: accepted, rejected (4xx), failed (5xx)",
            m.ingest_requests.clone(),
        );
        r.register(
            "flowmeter_group_commit_duration_seconds",
            "Time the writer took per group commit: every request queued while the last one ran, stored in one transaction",
            m.commit_duration.clone(),
        );
        r.register(
            "flowmeter_group_commit_events",
            "Events per group commit (events stored, requests refused by the database included)",
            m.commit_events.clone(),
        );
        r.register(
            "flowmeter_http_requests",
            "HTTP requests since start, by route template, method and status class",
            m.http_requests.clone(),
        );
        r.register(
            "flowmeter_http_request_duration_seconds",
            "HTTP request durations by route template",
            m.http_duration.clone(),
        );
        r.register(
            "flowmeter_webhook_deliveries",
            "Alert webhook deliveries since start, by outcome: delivered, failed (after every retry), retried",
            m.webhook_deliveries.clone(),
        );
        r.register(
            "flowmeter_budget_used_ratio",
            "Spend in the current period over the budget's limit (1 = the whole budget)",
            m.budget_used.clone(),
        );
        // Outcomes exist at zero from the start, so rates and alerts on
        // them have a series before the first one happens.
        for outcome in ["accepted", "rejected", "failed"] {
            drop(m.ingest_requests.get_or_create(&Outcome { outcome }));
        }
        for outcome in ["delivered", "retried", "failed"] {
            drop(m.webhook_deliveries.get_or_create(&Outcome { outcome }));
        }
        m
    }

    /// The registry, for `/metrics` to encode.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Counts committed events (called once their transaction committed,
    /// beside the writer: a scrape right after an answer may miss them).
    /// A group is summed by label set first, so each series is touched
    /// once per group, not once per event.
    pub fn stored(&self, events: &[Event]) {
        let mut cost: HashMap<(&str, &str), u64> = HashMap::new();
        let mut tokens: HashMap<(&str, &'static str), u64> = HashMap::new();
        let mut counts: HashMap<(&str, &'static str), u64> = HashMap::new();
        let mut durations: HashMap<&str, Vec<f64>> = HashMap::new();
        for e in events {
            let model = e.model.as_deref().unwrap_or(NONE);
            if let Some(nanos) = e.cost().filter(|n| *n > 0) {
                *cost.entry((model, e.provider.as_deref().unwrap_or(NONE))).or_default() += nanos as u64;
            }
            let u = &e.usage;
            for (kind, n) in [
                ("input", u.input_tokens),
                ("cached_input", u.cached_input_tokens),
                ("cache_write", u.cache_write_tokens),
                ("output", u.output_tokens),
                ("reasoning", u.reasoning_tokens),
            ] {
                if n > 0 {
                    *tokens.entry((model, kind)).or_default() += n as u64;
                }
            }
            if let Some(ms) = e.duration_ms {
                durations.entry(&e.stage).or_default().push(ms as f64 / 1e3);
            }
            *counts.entry((&e.stage, e.status.as_str())).or_default() += 1;
        }
        for ((model, provider), nanos) in cost {
            let key = ModelProvider { model: self.models.admit(model), provider: self.providers.admit(provider) };
            self.cost.get_or_create(&key).add_nanos(nanos);
        }
        for ((model, kind), n) in tokens {
            self.tokens.get_or_create(&ModelKind { model: self.models.admit(model), kind }).inc_by(n);
        }
        for (stage, seconds) in durations {
            let histogram = self.stage_duration.get_or_create(&StageLabel { stage: self.stages.admit(stage) });
            for s in seconds {
                histogram.observe(s);
            }
        }
        for ((stage, status), n) in counts {
            self.events.get_or_create(&StageStatus { stage: self.stages.admit(stage), status }).inc_by(n);
        }
    }

    /// Counts how an ingest request ended, with a log line.
    pub fn ingest(&self, outcome: IngestOutcome) {
        let label = match outcome {
            IngestOutcome::Accepted { events } => {
                tracing::debug!(events, "Events accepted.");
                "accepted"
            }
            IngestOutcome::Rejected { status } => {
                tracing::info!(status, "Ingest request rejected.");
                "rejected"
            }
            IngestOutcome::Failed { status } => {
                tracing::warn!(status, "Ingest request failed; nothing stored.");
                "failed"
            }
        };
        self.ingest_requests.get_or_create(&Outcome { outcome: label }).inc();
    }

    /// One group commit of `events` events that took `seconds`, whatever
    /// its outcome (a group that failed whole still held the writer).
    pub fn group_commit(&self, events: usize, seconds: f64) {
        self.commit_duration.observe(seconds);
        self.commit_events.observe(events as f64);
    }

    /// Ingest requests refused or failed since start (the ingest alert).
    pub fn ingest_failures(&self) -> u64 {
        ["rejected", "failed"]
            .into_iter()
            .map(|outcome| self.ingest_requests.get_or_create(&Outcome { outcome }).get())
            .sum()
    }

    /// One HTTP request: its route template (`/replay/{chat}`, or `other`
    /// for paths no route matched), method, status and time taken.
    pub fn http(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let status_class = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        let route = route.to_string();
        self.http_requests
            .get_or_create(&HttpRequest { route: route.clone(), method: method.to_string(), status_class })
            .inc();
        self.http_duration.get_or_create(&Route { route }).observe(seconds);
    }

    /// One webhook delivery attempt's end: `delivered`, `failed` or `retried`.
    pub fn webhook(&self, outcome: &'static str) {
        self.webhook_deliveries.get_or_create(&Outcome { outcome }).inc();
    }

    /// A budget's spend over its limit in the current period.
    pub fn budget_used(&self, budget: &str, ratio: f64) {
        let budget = self.budgets.admit(budget);
        self.budget_used.get_or_create(&BudgetLabel { budget }).set(ratio);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_past_the_cap_count_as_other() {
        let cap = LabelCap::new(2);
        assert_eq!(
            (cap.admit("a"), cap.admit("b"), cap.admit("c"), cap.admit("a")),
            ("a".into(), "b".into(), OTHER.into(), "a".into())
        );
    }
}
