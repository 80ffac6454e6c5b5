//! `/metrics` against the real server: the counters count what was stored
//! (the cost counter equals the summary's total, to the nano-dollar), HTTP
//! requests by route template, summaries' kept reads, and label values stay
//! capped.

use crate::common;

use common::{eventually, Backend, TestServer};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

both_backends!(the_counters_count_what_was_stored, label_values_are_capped);

/// `name{labels} value` samples of one metric, as (labels, value).
async fn samples(t: &TestServer, name: &str) -> Vec<(HashMap<String, String>, f64)> {
    let resp = t.client.get(t.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = resp.text().await.unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (head, value) = l.rsplit_once(' ')?;
            let (metric, labels) = head.split_once('{').map_or((head, ""), |(m, l)| (m, l.trim_end_matches('}')));
            (metric == name).then(|| {
                let labels = labels
                    .split(',')
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
                    .collect();
                (labels, value.parse().unwrap())
            })
        })
        .collect()
}

/// The sum of a metric's samples over all its label sets.
async fn sum_of(t: &TestServer, name: &str) -> f64 {
    samples(t, name).await.iter().map(|(_, v)| v).sum()
}

fn stage(chat: &str, stage: &str, model: &str, input: i64, status: &str) -> Value {
    json!({"chatId": chat, "stage": stage, "model": model, "provider": "openai", "status": status, "durationMs": 1200,
           "usage": {"inputTokens": input, "outputTokens": 100, "cachedInputTokens": input / 2}})
}

async fn the_counters_count_what_was_stored(b: Backend) {
    let t = TestServer::start(b).await;
    t.post_ok(&json!([
        stage("m1", "intent", "gpt-4o", 1000, "success"),
        stage("m1", "response", "gpt-4o-mini", 3333, "success"),
        stage("m2", "response", "claude-sonnet-4-5", 777, "error"),
        stage("m2", "send", "my-finetune", 10, "success"),
    ]))
    .await;
    // Counted beside the writer: a moment after the answer.
    eventually(Duration::from_secs(5), "the 4 events are counted", || async {
        sum_of(&t, "flowmeter_events_total").await == 4.0
    })
    .await;

    // Money: the counter's USD, back in nano-dollars, is the summary's total.
    let (status, summary) = t.get_json("/api/telemetry/summary?range=1h").await;
    assert_eq!(status, 200, "{summary}");
    let total = summary["cost"]["totalNanos"].as_i64().unwrap();
    assert!(total > 0);
    let cost = samples(&t, "flowmeter_cost_usd_total").await;
    let nanos: i64 = cost.iter().map(|(_, usd)| (usd * 1e9).round() as i64).sum();
    assert_eq!(nanos, total, "{cost:?}");
    assert!(cost.iter().all(|(l, _)| l["model"] != "my-finetune"), "an unpriced model has no cost series");

    let tokens = samples(&t, "flowmeter_tokens_total").await;
    let of = |kind: &str| tokens.iter().filter(|(l, _)| l["kind"] == kind).map(|(_, v)| *v).sum::<f64>();
    assert_eq!((of("input"), of("cached_input"), of("output")), (5120.0, 2559.0, 400.0));

    let events = samples(&t, "flowmeter_events_total").await;
    let errors: f64 = events.iter().filter(|(l, _)| l["status"] == "error").map(|(_, v)| v).sum();
    assert_eq!((events.iter().map(|(_, v)| v).sum::<f64>(), errors), (4.0, 1.0));
    let durations = samples(&t, "flowmeter_stage_duration_seconds_count").await;
    assert_eq!(durations.iter().map(|(_, v)| v).sum::<f64>(), 4.0);

    let ingest = samples(&t, "flowmeter_ingest_requests_total").await;
    assert_eq!(ingest.iter().find(|(l, _)| l["outcome"] == "accepted").map(|(_, v)| *v), Some(1.0));
    // The one request went in one group commit, observed before its answer.
    assert_eq!(sum_of(&t, "flowmeter_group_commit_events_count").await, 1.0);
    assert_eq!(sum_of(&t, "flowmeter_group_commit_events_sum").await, 4.0);
    assert_eq!(sum_of(&t, "flowmeter_group_commit_duration_seconds_count").await, 1.0);
    assert!(sum_of(&t, "flowmeter_group_commit_duration_seconds_sum").await > 0.0);

    // HTTP by route template, never by raw path.
    t.get_json("/api/telemetry/conversations?chatId=m1").await;
    let http = samples(&t, "flowmeter_http_requests_total").await;
    let routes: BTreeSet<&str> = http.iter().map(|(l, _)| l["route"].as_str()).collect();
    assert!(routes.contains("/api/events") && routes.contains("/api/telemetry/conversations"), "{routes:?}");
    assert!(http.iter().any(|(l, _)| l["route"] == "/api/events" && l["status_class"] == "2xx"));
    assert_eq!(samples(&t, "flowmeter_database_up").await[0].1, 1.0);

    // A week's whole days and hours, read once, then kept while unchanged.
    let reads = |source: &'static str| {
        let t = &t;
        async move {
            samples(t, "flowmeter_rollup_reads_total").await.iter().find(|(l, _)| l["source"] == source).unwrap().1
        }
    };
    let (kept, read) = (reads("memo").await, reads("store").await);
    let to = domain::time::now_ms() + 60_000;
    let week = format!("/api/telemetry/summary?from={}&to={to}", to - 7 * 86_400_000);
    for _ in 0..2 {
        let (status, body) = t.get_json(&week).await;
        assert_eq!(status, 200, "{body}");
    }
    assert!(reads("store").await > read, "the first week read the store");
    assert!(reads("memo").await > kept, "the second was answered from what the first kept");
    assert!(samples(&t, "process_resident_memory_bytes").await[0].1 > 1e6);
    t.stop().await;
}

async fn label_values_are_capped(b: Backend) {
    let t = TestServer::start(b).await;
    let flood: Vec<Value> = (0..60).map(|i| stage("flood", "s", &format!("made-up-{i}"), 10, "success")).collect();
    t.post_ok(&Value::Array(flood)).await;
    eventually(Duration::from_secs(5), "the 60 events are counted", || async {
        sum_of(&t, "flowmeter_events_total").await == 60.0
    })
    .await;
    let tokens = samples(&t, "flowmeter_tokens_total").await;
    let models: BTreeSet<&str> = tokens.iter().map(|(l, _)| l["model"].as_str()).collect();
    assert_eq!(models.len(), 51, "50 names and `other`: {models:?}");
    assert!(models.contains("other"));
    let input: f64 = tokens.iter().filter(|(l, _)| l["kind"] == "input").map(|(_, v)| v).sum();
    assert_eq!(input, 600.0, "nothing is lost to the cap");
    t.stop().await;
}
