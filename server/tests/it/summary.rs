//! Pricing, rollups and summaries against a real store, on SQLite and on
//! Postgres: hand-checked figures through the REST API, a property test that
//! compares every summary with a brute-force computation over the raw
//! events, repricing, the conversations endpoint, the per-hour counts
//! that active conversations are answered from, and the reads summaries
//! keep (the memo) through late events, repricing and retention.

use crate::common;

use common::{random_events, Backend, Rng, TestServer};
use domain::costs::ModelTrend;
use domain::summary::{Summary, SummaryQuery, Trend};
use domain::{Event, Status};
use pipeline::rollup::histogram::{bin_of, percentile, BINS};
use pipeline::rollup::Grain;
use pipeline::summary::memo::Memo;
use pipeline::summary::window::Window;
use pipeline::summary::{build, model_trend, summarize, TREND_MODELS};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

both_backends!(
    summary_endpoint_reports_exact_figures,
    summary_equals_brute_force_on_random_events,
    reprice_applies_an_effective_dated_override_and_corrects_the_rollups,
    conversations_list_and_detail,
    active_conversations_hold_through_ingest_and_retention,
    kept_reads_never_outlive_a_change_to_their_buckets,
);

const H: i64 = 3_600_000;

async fn summary_endpoint_reports_exact_figures(b: Backend) {
    let t = TestServer::start(b).await;
    let now = domain::time::now_ms();
    let at = now - 10 * 60_000;
    let events = json!([
        {"chatId": "c1", "turnId": "t1", "stage": "intent", "ts": at, "durationMs": 200, "model": "gpt-4o-mini",
         "usage": {"inputTokens": 1000, "outputTokens": 100}},
        {"chatId": "c1", "turnId": "t1", "stage": "response", "ts": at + 300, "durationMs": 1200, "persona": "sage", "model": "gpt-4o",
         "usage": {"prompt_tokens": 1000, "completion_tokens": 200, "prompt_tokens_details": {"cached_tokens": 600}}},
        {"chatId": "c2", "turnId": "t1", "stage": "response", "ts": at + 500, "status": "error", "persona": "muse",
         "model": "house-llm", "usage": {"inputTokens": 50, "outputTokens": 5}},
        {"chatId": "c2", "turnId": "t1", "stage": "send", "ts": at + 900, "durationMs": 30}
    ]);
    t.post_ok(&events).await;
    let (status, s) = t.get_json("/api/telemetry/summary?range=1h").await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["range"], "1h");
    assert_eq!(s["bucket"], "minute");
    assert_eq!(s["overview"]["events"], 4);
    assert_eq!(s["overview"]["requests"], 3);
    assert_eq!(s["overview"]["turns"], 2);
    assert_eq!(s["overview"]["activeConversations"], 2);
    assert_eq!(s["overview"]["errors"], 1);
    // gpt-4o-mini: 1000 × 0.15 + 100 × 0.60 = 150_000 + 60_000
    // gpt-4o: 400 × 2.50 + 600 × 1.25 + 200 × 10 = 3_750_000
    assert_eq!(s["cost"]["totalNanos"], 3_960_000);
    assert_eq!(s["cost"]["averagePerTurnNanos"], 1_980_000);
    assert_eq!(s["cost"]["unpricedEvents"], 1);
    assert_eq!(s["cost"]["unpricedTokens"], 55);
    assert_eq!(s["cost"]["previousTotalNanos"], 0);
    assert_eq!(s["cost"]["trend"], "increasing");
    assert_eq!(s["tokens"]["cachedInput"], 600);
    assert_eq!(s["modelUsage"][0]["model"], "gpt-4o");
    assert_eq!(s["modelUsage"][0]["costNanos"], 3_750_000);
    let house = s["modelUsage"].as_array().unwrap().iter().find(|m| m["model"] == "house-llm").unwrap();
    assert_eq!((house["costNanos"].as_i64(), house["unpricedEvents"].as_i64()), (Some(0), Some(1)));
    assert_eq!(s["trend"].as_array().unwrap().iter().map(|p| p["events"].as_i64().unwrap()).sum::<i64>(), 4);

    let (_, f) = t.get_json("/api/telemetry/summary?range=1h&model=gpt-4o").await;
    assert_eq!((f["overview"]["events"].as_i64(), f["cost"]["totalNanos"].as_i64()), (Some(1), Some(3_750_000)));
    assert_eq!(f["overview"]["turns"], 2, "turn counts ignore dimension filters");
    let (_, c) = t.get_json("/api/telemetry/summary?range=1h&chatId=c2").await;
    assert_eq!((c["overview"]["events"].as_i64(), c["overview"]["activeConversations"].as_i64()), (Some(2), Some(1)));
    let custom = format!("/api/telemetry/summary?from={}&to={}", at + 301, at + 10_000);
    let (_, w) = t.get_json(&custom).await;
    assert_eq!((w["overview"]["events"].as_i64(), w["range"].as_str()), (Some(2), Some("custom")));

    for (query, field) in [("range=2h", "range"), ("from=yesterday", "from"), ("from=10&to=5", "to"), ("to=5", "from")]
    {
        let (status, body) = t.get_json(&format!("/api/telemetry/summary?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body["error"].as_str().unwrap().contains(field), "{query}: {body}");
    }
    t.stop().await;
}

/// A tool's calls, errors, cost, p50 and p99.
type ToolRow = (i64, i64, i64, Option<i64>, Option<i64>);

/// The brute-force answer, straight from the raw events (in id order).
struct Brute {
    events: i64,
    requests: i64,
    errors: i64,
    turns: i64,
    active: i64,
    cost: i64,
    previous_cost: i64,
    unpriced_events: i64,
    unpriced_tokens: i64,
    tokens: [i64; 5],
    models: BTreeMap<String, (i64, i64, i64, i64)>, // requests, cost, unpriced, tokens
    personas: BTreeMap<String, (i64, i64, i64, i64)>, // events, errors, cost, tokens
    stages: BTreeMap<String, (i64, i64, Option<i64>, Option<i64>)>, // events, cost, avg, p95
    trend: BTreeMap<i64, (i64, i64, i64)>,          // events, errors, cost
    tenants: BTreeMap<String, (i64, i64, i64, i64)>, // cost, events, turns, previous cost
    tools: BTreeMap<String, ToolRow>,
}

/// The cost chart of `w` counted from the events one by one: cost per
/// model and trend bucket, the costliest shown apart.
fn brute_trend(all: &[Event], q: &SummaryQuery, w: &Window) -> ModelTrend {
    let mut cells: BTreeMap<(String, i64), i64> = BTreeMap::new();
    for e in all.iter().filter(|e| e.ts >= w.from && e.ts < w.to && dims_match(q, e)) {
        let cell = (e.model.clone().unwrap_or_default(), w.series.floor(e.ts));
        *cells.entry(cell).or_default() += e.cost().unwrap_or(0);
    }
    build::model_trend(w, cells, TREND_MODELS)
}

/// Whether `e` is in `q`'s tenant and pipeline (which scope turns and
/// conversations too).
fn tenant_match(q: &SummaryQuery, e: &Event) -> bool {
    q.tenant.as_ref().is_none_or(|t| e.tenant.as_deref().unwrap_or("") == t)
        && q.pipeline.as_ref().is_none_or(|p| e.pipeline.as_deref().unwrap_or("") == p)
}

/// Whether `e` passes every dimension filter of `q`.
fn dims_match(q: &SummaryQuery, e: &Event) -> bool {
    q.model.as_ref().is_none_or(|m| e.model.as_deref().unwrap_or("") == m)
        && q.persona.as_ref().is_none_or(|p| e.persona.as_deref().unwrap_or("") == p)
        && q.stage.as_ref().is_none_or(|s| &e.stage == s)
        && tenant_match(q, e)
}

fn brute(all: &[Event], q: &SummaryQuery, from: i64, to: i64, grain: Grain) -> Brute {
    let chat_match = |e: &Event| q.chat_id.as_ref().is_none_or(|c| &e.chat_id == c);
    let sel: Vec<&Event> =
        all.iter().filter(|e| e.ts >= from && e.ts < to && dims_match(q, e) && chat_match(e)).collect();
    let span = to - from;
    let previous_cost = all
        .iter()
        .filter(|e| e.ts >= from - span && e.ts < from && dims_match(q, e) && chat_match(e))
        .filter_map(|e| e.cost())
        .sum();

    let mut first_of_turn: HashMap<(String, String), &Event> = HashMap::new();
    let mut spans: HashMap<&str, (i64, i64)> = HashMap::new();
    for e in all.iter().filter(|e| tenant_match(q, e)) {
        first_of_turn.entry((e.chat_id.clone(), e.turn_id.clone().unwrap_or_default())).or_insert(e);
        let s = spans.entry(&e.chat_id).or_insert((e.ts, e.ts + e.duration_ms.unwrap_or(0)));
        s.0 = s.0.min(e.ts);
        s.1 = s.1.max(e.ts + e.duration_ms.unwrap_or(0));
    }
    // Turns and conversations honour the tenant and the pipeline, not the
    // other dimensions.
    let turns = first_of_turn.values().filter(|e| e.ts >= from && e.ts < to && chat_match(e)).count() as i64;
    let active = spans
        .iter()
        .filter(|(chat, (first, last))| *first < to && *last >= from && q.chat_id.as_ref().is_none_or(|c| c == *chat))
        .count() as i64;

    let mut b = Brute {
        events: sel.len() as i64,
        requests: sel.iter().filter(|e| e.model.is_some()).count() as i64,
        errors: sel.iter().filter(|e| e.status == Status::Error).count() as i64,
        turns,
        active,
        cost: sel.iter().filter_map(|e| e.cost()).sum(),
        previous_cost,
        unpriced_events: sel.iter().filter(|e| e.cost().is_none()).count() as i64,
        unpriced_tokens: sel.iter().filter(|e| e.cost().is_none()).map(|e| e.usage.total()).sum(),
        tokens: [0; 5],
        models: BTreeMap::new(),
        personas: BTreeMap::new(),
        stages: BTreeMap::new(),
        trend: BTreeMap::new(),
        tenants: BTreeMap::new(),
        tools: BTreeMap::new(),
    };
    let mut tool_hist: BTreeMap<String, [i64; BINS]> = BTreeMap::new();
    for e in sel.iter().filter(|e| e.tool.is_some()) {
        let tool = e.tool.clone().unwrap_or_default();
        let r = b.tools.entry(tool.clone()).or_default();
        r.0 += 1;
        r.1 += i64::from(e.status == Status::Error);
        r.2 += e.cost().unwrap_or(0);
        let h = tool_hist.entry(tool).or_insert([0; BINS]);
        if let Some(d) = e.duration_ms {
            h[bin_of(d)] += 1;
        }
    }
    for (tool, h) in tool_hist {
        let r = b.tools.get_mut(&tool).unwrap();
        (r.3, r.4) = (percentile(&h, 0.50), percentile(&h, 0.99));
    }
    // Cost by tenant: listed once any event in the window has a tenant
    // (then with the previous window's spend, even of tenants quiet now).
    let prev_sel: Vec<&Event> =
        all.iter().filter(|e| e.ts >= from - span && e.ts < from && dims_match(q, e) && chat_match(e)).collect();
    if sel.iter().any(|e| e.tenant.is_some()) {
        let key = |e: &Event| e.tenant.clone().unwrap_or_default();
        for e in &sel {
            let r = b.tenants.entry(key(e)).or_default();
            r.0 += e.cost().unwrap_or(0);
            r.1 += 1;
        }
        for e in first_of_turn.values().filter(|e| e.ts >= from && e.ts < to && chat_match(e) && tenant_match(q, e)) {
            b.tenants.entry(key(e)).or_default().2 += 1;
        }
        for e in &prev_sel {
            b.tenants.entry(key(e)).or_default().3 += e.cost().unwrap_or(0);
        }
    }
    let mut stage_hist: BTreeMap<String, ([i64; BINS], i64, i64, i64, i64)> = BTreeMap::new();
    for e in &sel {
        let u = &e.usage;
        for (slot, v) in b.tokens.iter_mut().zip([
            u.input_tokens,
            u.output_tokens,
            u.cached_input_tokens,
            u.cache_write_tokens,
            u.reasoning_tokens,
        ]) {
            *slot += v;
        }
        let cost = e.cost().unwrap_or(0);
        let unpriced = i64::from(e.cost().is_none());
        if let Some(m) = &e.model {
            let r = b.models.entry(m.clone()).or_default();
            *r = (r.0 + 1, r.1 + cost, r.2 + unpriced, r.3 + u.total());
        }
        let p = b.personas.entry(e.persona.clone().unwrap_or_default()).or_default();
        *p = (p.0 + 1, p.1 + i64::from(e.status == Status::Error), p.2 + cost, p.3 + u.total());
        let s = stage_hist.entry(e.stage.clone()).or_insert(([0; BINS], 0, 0, 0, 0));
        s.3 += 1;
        s.4 += cost;
        if let Some(d) = e.duration_ms {
            s.0[bin_of(d)] += 1;
            s.1 += 1;
            s.2 += d;
        }
        let tp = b.trend.entry(grain.floor(e.ts)).or_default();
        *tp = (tp.0 + 1, tp.1 + i64::from(e.status == Status::Error), tp.2 + cost);
    }
    for (stage, (hist, n, sum, events, cost)) in stage_hist {
        b.stages.insert(stage, (events, cost, (n > 0).then(|| sum / n), percentile(&hist, 0.95)));
    }
    b
}

fn grain_of(s: &Summary) -> Grain {
    match s.bucket.as_str() {
        "minute" => Grain::Minute,
        "hour" => Grain::Hour,
        _ => Grain::Day,
    }
}

fn check(s: &Summary, b: &Brute, label: &str) {
    let o = &s.overview;
    assert_eq!(
        (o.events, o.requests, o.errors, o.turns, o.active_conversations),
        (b.events, b.requests, b.errors, b.turns, b.active),
        "{label}: overview"
    );
    assert_eq!(s.cost.total_nanos, b.cost, "{label}: cost, to the nano-dollar");
    assert_eq!(s.cost.previous_total_nanos, b.previous_cost, "{label}: previous window");
    assert_eq!(
        (s.cost.unpriced_events, s.cost.unpriced_tokens),
        (b.unpriced_events, b.unpriced_tokens),
        "{label}: unpriced"
    );
    let t = &s.tokens;
    assert_eq!([t.input, t.output, t.cached_input, t.cache_write, t.reasoning], b.tokens, "{label}: tokens");
    let models: BTreeMap<String, (i64, i64, i64, i64)> = s
        .model_usage
        .iter()
        .map(|m| (m.model.clone(), (m.requests, m.cost_nanos, m.unpriced_events, m.tokens)))
        .collect();
    assert_eq!(models, b.models, "{label}: models");
    let personas: BTreeMap<String, (i64, i64, i64, i64)> =
        s.personas.iter().map(|p| (p.name.clone(), (p.events, p.errors, p.cost_nanos, p.tokens))).collect();
    assert_eq!(personas, b.personas, "{label}: personas");
    let stages: BTreeMap<String, (i64, i64, Option<i64>, Option<i64>)> = s
        .performance
        .iter()
        .map(|p| {
            let cost = s.stages.iter().find(|x| x.name == p.stage).map_or(0, |x| x.cost_nanos);
            (p.stage.clone(), (p.events, cost, p.avg_ms, p.p95_ms))
        })
        .collect();
    assert_eq!(stages, b.stages, "{label}: stages");
    let trend: BTreeMap<i64, (i64, i64, i64)> =
        s.trend.iter().filter(|p| p.events > 0).map(|p| (p.t, (p.events, p.errors, p.cost_nanos))).collect();
    assert_eq!(trend, b.trend, "{label}: trend");
    let tenants: BTreeMap<String, (i64, i64, i64, i64)> = s
        .tenants
        .iter()
        .map(|t| (t.tenant.clone(), (t.cost_nanos, t.events, t.turns, t.previous_cost_nanos)))
        .collect();
    // A tenant with turns but no events in the window (its turn started in
    // a stage the model filter left out) is not listed; compare the rest.
    let brute_tenants: BTreeMap<String, (i64, i64, i64, i64)> = b
        .tenants
        .iter()
        .filter(|(k, v)| v.1 > 0 || v.3 != 0 || tenants.contains_key(*k))
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    assert_eq!(tenants, brute_tenants, "{label}: tenants");
    let tools: BTreeMap<String, ToolRow> =
        s.tools.iter().map(|t| (t.tool.clone(), (t.calls, t.errors, t.cost_nanos, t.p50_ms, t.p99_ms))).collect();
    assert_eq!(tools, b.tools, "{label}: tools");
    let shares: f64 = s.tenants.iter().map(|t| t.share_pct).sum();
    assert!(s.tenants.is_empty() || s.cost.total_nanos == 0 || (shares - 100.0).abs() < 0.5, "{label}: shares add up");
}

async fn summary_equals_brute_force_on_random_events(b: Backend) {
    for seed in [7u64, 1234, 987_654] {
        let t = TestServer::start(b).await;
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        // Day, hour and minute boundaries fall anywhere in the data.
        let base = 1_795_000_000_000 + rng.below(86_400_000) as i64;
        let items = random_events(&mut rng, base, 500);
        let mut rest = items.as_slice();
        while !rest.is_empty() {
            let n = (1 + rng.below(60) as usize).min(rest.len());
            t.server.state.service.ingestor().ingest_values(rest[..n].to_vec(), None, base).await.unwrap();
            rest = &rest[n..];
        }
        let store = t.server.state.service.store();
        let all = store.after(0, 100_000).await.unwrap();
        assert_eq!(all.len(), 500);

        for case in 0..25 {
            let from = base - H + rng.below(3 * 24 * H as u64) as i64;
            let span = match rng.below(4) {
                0 => H,
                1 => 24 * H,
                2 => 1 + rng.below(60_000 * 7) as i64,
                _ => 1 + rng.below(2 * 24 * H as u64) as i64,
            };
            let mut q = SummaryQuery { from: Some(from), to: Some(from + span), ..SummaryQuery::default() };
            match rng.below(10) {
                0 => q.model = Some(rng.pick(&["gpt-4o", "house-llm", "claude-sonnet-4-20250514"]).to_string()),
                1 => q.persona = Some(rng.pick(&["sage", "scout"]).to_string()),
                2 => q.stage = Some(rng.pick(&["intent", "response", "tools"]).to_string()),
                3 => q.chat_id = Some(format!("chat-{}", rng.below(15))),
                4 => q.tenant = Some(rng.pick(&["acme", "globex"]).to_string()),
                5 => {
                    q.tenant = Some(rng.pick(&["acme", "globex"]).to_string());
                    q.model = Some(rng.pick(&["gpt-4o", "gpt-4o-mini"]).to_string());
                }
                6 => q.pipeline = Some(rng.pick(&["chat-bot", "rag"]).to_string()),
                7 => {
                    q.pipeline = Some(rng.pick(&["chat-bot", "rag"]).to_string());
                    q.tenant = Some(rng.pick(&["acme", "globex"]).to_string());
                }
                _ => {}
            }
            let s = summarize(store, &Memo::default(), &q, base).await.unwrap();
            check(&s, &brute(&all, &q, from, from + span, grain_of(&s)), &format!("seed {seed} case {case} {q:?}"));
            // The cost-over-time chart, of the same events (its rollup
            // reads leave a conversation's filter to the summary).
            if q.chat_id.is_none() {
                let trend = model_trend(store, &Memo::default(), &q, base).await.unwrap();
                let w = Window::resolve(&q, base).unwrap();
                assert_eq!(trend, brute_trend(&all, &q, &w), "seed {seed} case {case} {q:?}: the cost chart");
            }
        }
        t.stop().await;
    }
}

/// "Active in a window" is answered from the hours conversations end in
/// (kept by the writer) plus the rest of the window's first hour. Checked
/// against counting the conversations one by one for windows starting
/// anywhere, while conversations keep moving to later hours (events arrive
/// out of order, in random batches), and after retention at a cut-off
/// inside an hour.
async fn active_conversations_hold_through_ingest_and_retention(b: Backend) {
    let t = TestServer::start(b).await;
    let store = t.server.state.service.store();
    let mut rng = Rng(0x5eed);
    let base = 1_795_000_000_000 + rng.below(H as u64) as i64;
    let end = base + 4 * 24 * H;
    let check = |label: &'static str, from_at: i64| async move {
        for from in (0..60).map(|i| from_at + i * 97 * 60_000 + i * 7_919) {
            let counted = store.active_scoped_conversations(None, None, from, end).await.unwrap();
            let answered = store.active_conversations(from, end).await.unwrap();
            assert_eq!(answered, counted, "{label}: conversations active from {from}");
        }
    };
    for round in 0..4 {
        let mut batch: Vec<Value> = (0..400)
            .map(|_| {
                // Conversation n runs for 8 hours from n × 36 minutes.
                let n = rng.below(120) as i64;
                json!({
                    "chatId": format!("chat-{n}"),
                    "stage": "send",
                    "ts": base + n * 36 * 60_000 + rng.below(8 * H as u64) as i64,
                    "durationMs": rng.below(3 * H as u64),
                })
            })
            .collect();
        while !batch.is_empty() {
            let n = (1 + rng.below(50) as usize).min(batch.len());
            let rest = batch.split_off(n);
            t.server.state.service.ingestor().ingest_values(batch, None, base).await.unwrap();
            batch = rest;
        }
        check(["after one round", "after two", "after three", "after four"][round], base - H).await;
    }
    let cutoff = base + 36 * H + 1_234_567;
    let report = store.apply_retention(cutoff, base).await.unwrap();
    assert!(report.conversations > 0, "retention removed conversations");
    check("after retention", cutoff - H).await;
    // Sums without a filter come from the hours' and days' marginal
    // rollups, filtered ones from the combinations (every event here is a
    // `send`): retention cut both alike.
    let every = pipeline::store::Filters { stage: Some("send".into()), ..Default::default() };
    let (from, to) = (base - 24 * H, end + 24 * H);
    let unfiltered = pipeline::summary::totals(store, from, to, &Default::default()).await.unwrap();
    assert!(unfiltered.events > 0, "events after the cut-off");
    assert_eq!(unfiltered, pipeline::summary::totals(store, from, to, &every).await.unwrap(), "after retention");
    t.stop().await;
}

async fn reprice_applies_an_effective_dated_override_and_corrects_the_rollups(b: Backend) {
    let t = TestServer::start(b).await;
    let base = 1_795_000_000_000;
    let (items, update) = common::house_llm_priced_later(base);
    t.server.state.service.ingestor().ingest_values(items, None, base).await.unwrap();
    let store = t.server.state.service.store();
    let q = SummaryQuery { from: Some(base - H), to: Some(base + 2 * H), ..SummaryQuery::default() };
    // One memo for both: the reprice must reach the hours it kept.
    let memo = Memo::default();
    let before = summarize(store, &memo, &q, base).await.unwrap();
    assert_eq!(before.cost.unpriced_events, 20);

    // house-llm is priced from minute 20 on.
    let service = &t.server.state.service;
    service.update_price(&pipeline::service::Viewer::command_line(), &update, base).await.unwrap();
    let report = service.reprice(&pipeline::service::Viewer::command_line(), base - H, base + 2 * H).await.unwrap();
    assert_eq!((report.scanned, report.changed), (40, 10));
    // 10 events × (1000 × 1 + 100 × 2) per 1M = 10 × 1_200_000
    assert_eq!(report.delta_nanos, 12_000_000);
    assert_eq!((report.unpriced_before, report.unpriced_after), (20, 10));

    let after = summarize(store, &memo, &q, base).await.unwrap();
    assert_eq!(after.cost.total_nanos, before.cost.total_nanos + 12_000_000);
    assert_eq!(after.cost.unpriced_events, 10);
    let all = store.after(0, 1000).await.unwrap();
    check(&after, &brute(&all, &q, base - H, base + 2 * H, grain_of(&after)), "after reprice");
    let again = service.reprice(&pipeline::service::Viewer::command_line(), base - H, base + 2 * H).await.unwrap();
    assert_eq!(again.changed, 0, "a second reprice changes nothing");
    let convo: i64 = store.latest_conversations(10).await.unwrap().iter().filter_map(|c| c.cost_nanos.shown()).sum();
    assert_eq!(convo, after.cost.total_nanos, "conversation totals corrected too");
    t.stop().await;
}

/// Each of `windows` summarized with `memo` equals it read afresh.
async fn kept_equals_fresh(
    store: &pipeline::store::Store,
    memo: &Memo,
    windows: &[SummaryQuery],
    now: i64,
    label: &str,
) {
    for q in windows {
        let kept = summarize(store, memo, q, now).await.unwrap();
        let fresh = summarize(store, &Memo::default(), q, now).await.unwrap();
        assert_eq!(kept, fresh, "{label}: {q:?}");
    }
}

/// Summaries keep what they read over whole hours and days while those
/// buckets are unchanged. One memo serves every call here while late events
/// land in the kept buckets, a price changes and retention cuts the store:
/// every answer must equal one read afresh, and the raw events' sums.
async fn kept_reads_never_outlive_a_change_to_their_buckets(b: Backend) {
    let t = TestServer::start(b).await;
    let service = &t.server.state.service;
    let store = service.store();
    let memo = Memo::default();
    let mut rng = Rng(0xfeed);
    let base = 1_795_000_000_000 + rng.below(H as u64) as i64;
    let windows: Vec<SummaryQuery> = (0..10)
        .map(|i| {
            let from = base - H + rng.below(24 * H as u64) as i64;
            let to = from + 6 * H + rng.below(2 * 24 * H as u64) as i64;
            let mut q = SummaryQuery { from: Some(from), to: Some(to), ..SummaryQuery::default() };
            match i % 4 {
                1 => q.model = Some("gpt-4o".into()),
                2 => q.tenant = Some("acme".into()),
                _ => {}
            }
            q
        })
        .collect();
    let ingest = |items: Vec<Value>| async move {
        for chunk in items.chunks(40) {
            service.ingestor().ingest_values(chunk.to_vec(), None, base).await.unwrap();
        }
    };
    let (memo, windows) = (&memo, &windows);
    let against_events = |label: &'static str| async move {
        let all = store.after(0, 100_000).await.unwrap();
        for q in &windows[..4] {
            let s = summarize(store, memo, q, base).await.unwrap();
            let (from, to) = (q.from.unwrap(), q.to.unwrap());
            check(&s, &brute(&all, q, from, to, grain_of(&s)), &format!("{label}: {q:?}"));
        }
    };

    ingest(random_events(&mut rng, base, 300)).await;
    kept_equals_fresh(store, memo, windows, base, "first").await;
    let first = memo.stats();
    kept_equals_fresh(store, memo, windows, base, "unchanged").await;
    let unchanged = memo.stats();
    assert!(unchanged.hits > first.hits, "unchanged buckets are read from the memo: {first:?} then {unchanged:?}");
    assert_eq!(unchanged.misses, first.misses, "and only from it");

    // Late events, in every kept hour and day.
    ingest(random_events(&mut rng, base, 200)).await;
    against_events("after late events").await;
    kept_equals_fresh(store, memo, windows, base, "after late events").await;

    let update = domain::pricing::PriceUpdate {
        id: "house-llm".into(),
        pattern: "house-llm".into(),
        input: "3".into(),
        output: "4".into(),
        effective_from: base + 20 * H,
        ..Default::default()
    };
    let cli = pipeline::service::Viewer::command_line();
    service.update_price(&cli, &update, base).await.unwrap();
    let report = service.reprice(&cli, base - H, base + 4 * 24 * H).await.unwrap();
    assert!(report.changed > 0, "the reprice changed events: {report:?}");
    against_events("after a reprice").await;
    kept_equals_fresh(store, memo, windows, base, "after a reprice").await;

    store.apply_retention(base + 30 * H + 1_234_567, base).await.unwrap();
    kept_equals_fresh(store, memo, windows, base, "after retention").await;
    t.stop().await;
}

async fn conversations_list_and_detail(b: Backend) {
    let t = TestServer::start(b).await;
    let base = 1_795_000_000_000i64;
    t.post_ok(&json!([
        {"chatId": "a", "turnId": "t2", "stage": "buffer", "ts": base + 5000},
        {"chatId": "a", "turnId": "t1", "stage": "intent", "ts": base, "durationMs": 100, "model": "gpt-4o", "usage": {"inputTokens": 10, "outputTokens": 1}},
        {"chatId": "a", "turnId": "t1", "stage": "buffer", "ts": base},
        {"chatId": "b", "turnId": "t1", "stage": "send", "ts": base + 1, "status": "error"}
    ]))
    .await;
    let (status, list) = t.get_json("/api/telemetry/conversations?limit=10").await;
    assert_eq!(status, 200);
    let chats: Vec<&str> =
        list["conversations"].as_array().unwrap().iter().map(|c| c["chatId"].as_str().unwrap()).collect();
    assert_eq!(chats, ["b", "a"], "most recent first");
    let a = &list["conversations"][1];
    assert_eq!((a["events"].as_i64(), a["turns"].as_i64(), a["costNanos"].as_i64()), (Some(3), Some(2), Some(35_000)));

    let (status, d) = t.get_json("/api/telemetry/conversations?chatId=a").await;
    assert_eq!(status, 200);
    let turns = d["turns"].as_array().unwrap();
    assert_eq!(turns.iter().map(|t| t["turnId"].as_str().unwrap()).collect::<Vec<_>>(), ["t1", "t2"]);
    // Same timestamp: the earlier id (intent, posted first) comes first.
    let stages: Vec<&str> =
        turns[0]["stages"].as_array().unwrap().iter().map(|e| e["stage"].as_str().unwrap()).collect();
    assert_eq!(stages, ["intent", "buffer"]);
    assert_eq!((turns[0]["durationMs"].as_i64(), turns[0]["costNanos"].as_i64()), (Some(100), Some(35_000)));
    let (status, _) = t.get_json("/api/telemetry/conversations?chatId=nope").await;
    assert_eq!(status, 404);
    let (status, body) = t.get_json("/api/telemetry/conversations?limit=0").await;
    assert_eq!(status, 400, "{body}");
    t.stop().await;
}

#[tokio::test]
async fn malformed_pricing_overrides_stop_the_start_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = server::config::Config {
        address: "127.0.0.1:0".parse().unwrap(),
        database_url: format!("sqlite://{}", dir.path().join("x.db").display()),
        pricing_overrides: Some(r#"{"models": [{"id": "x", "match": "x", "input": "lots", "output": 1}]}"#.into()),
        ..Default::default()
    };
    let err = match server::Server::start(config).await {
        Ok(_) => panic!("the server must not start"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("MODEL_PRICING_OVERRIDES") && err.contains("models[0].input"), "{err}");
}

#[test]
fn trend_enum_is_lowercase_on_the_wire() {
    assert_eq!(serde_json::to_value(Trend::Decreasing).unwrap(), "decreasing");
}
