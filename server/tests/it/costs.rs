//! Budgets, alert rules, webhooks, the budget check and exports, against a
//! real server and a real local webhook receiver.

use crate::common;

use common::{receiver, receiver_answering, Backend, TestServer, KEY};
use domain::alerts::{AlertRule, Channel, Notify, RuleKind, Severity};
use domain::summary::SummaryQuery;
use serde_json::{json, Value};
use server::tasks::alerts::{AlertEngine, DeliveryPolicy};
use std::time::Duration;

both_backends!(
    a_budget_crossing_fires_once_and_resolves_once,
    a_failing_webhook_is_retried_and_recorded,
    error_rate_and_ingest_failure_rules,
    the_no_events_rule_fires_once_and_resolves_once,
    p95_over_all_stages_and_default_rules,
    discord_and_telegram_deliveries_reach_their_receivers,
    rules_are_saved_with_severity_and_channel,
    a_tenant_budget_crossing_fires_once,
    the_budget_check_tells_agents_whether_to_spend,
    csv_and_json_exports_match_the_summary,
    live_deltas_match_a_fresh_summary,
);

fn engine(t: &TestServer) -> AlertEngine {
    engine_with_telegram(t, "http://127.0.0.1:9")
}

fn engine_with_telegram(t: &TestServer, telegram_api: &str) -> AlertEngine {
    AlertEngine::new(
        t.server.state.service.clone(),
        DeliveryPolicy { attempts: 3, first_delay: Duration::from_millis(20), telegram_api: telegram_api.into() },
    )
}

/// An enabled rule with no channel.
fn rule(kind: RuleKind, threshold: f64, name: &str) -> AlertRule {
    AlertRule {
        id: 0,
        name: name.into(),
        kind,
        threshold,
        window_minutes: 5,
        stage: None,
        min_events: 5,
        severity: Severity::Warning,
        notify: None,
        enabled: true,
    }
}

/// Turns off the default rules a new install starts with, so a test sees
/// only its own.
async fn without_default_rules(t: &TestServer) {
    for r in t.server.state.service.store().alert_rules().await.unwrap() {
        t.server.state.service.store().delete_alert_rule(r.id).await.unwrap();
    }
}

/// An event costing `nanos` on gpt-4o-mini ($0.15 per 1M input tokens, so
/// 1000 input tokens cost 150 000 nanos).
fn spend(chat: &str, thousand_tokens: i64) -> Value {
    json!({"chatId": chat, "stage": "response", "model": "gpt-4o-mini", "usage": {"inputTokens": thousand_tokens * 1000, "outputTokens": 0}})
}

async fn save_budget(t: &TestServer, form: &str) -> i64 {
    let (status, id) = t.server_fn("/api/costs/budgets/save", form, Some(&t.admin)).await;
    assert_eq!(status, 200, "{id}");
    id.as_i64().unwrap()
}

async fn a_budget_crossing_fires_once_and_resolves_once(b: Backend) {
    common::clear_of_midnight(Duration::from_secs(120)).await;
    let t = TestServer::start(b).await;
    let hook = receiver(200).await;
    // $0.0015 a day: 10 000 tokens of gpt-4o-mini.
    let form = format!(
        "budget[name]=daily&budget[scope]=global&budget[period]=daily&budget[limitUsd]=0.0015&budget[notify][url]={}",
        hook.url
    );
    let id = save_budget(&t, &form).await;
    let mut sse = t.sse(Some(i64::MAX)).await;
    let e = engine(&t);

    t.post_ok(&spend("c1", 5)).await; // 50 %
    assert!(e.evaluate(domain::time::now_ms()).await.unwrap().is_empty());
    t.post_ok(&spend("c1", 4)).await; // 90 %: warn
    let fired = e.evaluate(domain::time::now_ms()).await.unwrap();
    assert_eq!(fired.len(), 1);
    assert_eq!((fired[0].change.as_str(), fired[0].alert.level.as_str()), ("fired", "warn"));
    assert_eq!(fired[0].alert.value, 90.0);
    // Staying above fires nothing more.
    assert!(e.evaluate(domain::time::now_ms()).await.unwrap().is_empty());
    assert!(e.evaluate(domain::time::now_ms()).await.unwrap().is_empty());
    e.flush().await;
    {
        let calls = hook.calls.lock().unwrap();
        assert_eq!(calls.len(), 1, "one webhook call per crossing");
        assert_eq!(calls[0]["change"], "fired");
        assert!(calls[0]["text"].as_str().unwrap().starts_with("[Flowmeter] WARNING: Budget “daily”"), "{}", calls[0]);
        assert_eq!(calls[0]["severity"], "warning");
        assert_eq!(calls[0]["content"], calls[0]["text"], "Discord reads `content`");
    }
    // Admin dashboards get it live.
    let toast = loop {
        let m = sse.next_within(Duration::from_secs(5)).await.expect("an alert on the stream");
        if m.event.as_deref() == Some("alert") {
            break m.json();
        }
    };
    assert_eq!((&toast["alert"]["level"], &toast["alert"]["severity"]), (&json!("warn"), &json!("warning")));

    // Raising the limit brings it back under: one resolve, one call.
    save_budget(&t, &format!("{form}&budget[id]={id}").replace("0.0015", "0.01")).await;
    let resolved = e.evaluate(domain::time::now_ms()).await.unwrap();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].change, "resolved");
    assert!(e.evaluate(domain::time::now_ms()).await.unwrap().is_empty());
    e.flush().await;
    assert_eq!(hook.calls.lock().unwrap().len(), 2);
    assert_eq!(hook.calls.lock().unwrap()[1]["change"], "resolved");
    let alerts = t.server.state.service.store().alerts(10).await.unwrap();
    assert_eq!(alerts.len(), 1, "one crossing, one record");
    assert!(alerts[0].resolved_at.is_some());
    assert_eq!(alerts[0].webhook_status, "delivered");
    t.stop().await;
}

async fn a_failing_webhook_is_retried_and_recorded(b: Backend) {
    let t = TestServer::start(b).await;
    let hook = receiver(500).await;
    let form = format!(
        "budget[name]=tiny&budget[scope]=model&budget[scopeValue]=gpt-4o-mini&budget[period]=monthly&budget[limitUsd]=0.0001&budget[notify][url]={}",
        hook.url
    );
    save_budget(&t, &form).await;
    t.post_ok(&spend("c", 1)).await;
    let e = engine(&t);
    let fired = e.evaluate(domain::time::now_ms()).await.unwrap();
    assert_eq!(fired.iter().map(|n| n.alert.level.as_str()).collect::<Vec<_>>(), ["warn", "critical"]);
    assert_eq!(fired.iter().map(|n| n.alert.severity).collect::<Vec<_>>(), [Severity::Warning, Severity::Critical]);
    e.flush().await;
    assert_eq!(hook.calls.lock().unwrap().len(), 6, "three attempts for each alert");
    let alerts = t.server.state.service.store().alerts(10).await.unwrap();
    for a in &alerts {
        assert_eq!((a.webhook_status.as_str(), a.webhook_attempts), ("failed", 3));
        assert_eq!(a.webhook_error.as_deref(), Some("HTTP 500 after 3 attempts"));
    }
    let (_, listed) = t.server_fn("/api/costs/alerts", "limit=10", Some(&t.admin)).await;
    assert_eq!(listed[0]["webhookStatus"], "failed", "shown, not hidden");
    t.stop().await;
}

async fn error_rate_and_ingest_failure_rules(b: Backend) {
    let t = TestServer::start(b).await;
    let store = t.server.state.service.store();
    store.save_alert_rule(&rule(RuleKind::ErrorRate, 20.0, "errors"), 0).await.unwrap();
    store.save_alert_rule(&rule(RuleKind::IngestFailures, 3.0, "ingest"), 0).await.unwrap();
    let e = engine(&t);
    assert!(e.evaluate(domain::time::now_ms()).await.unwrap().is_empty());

    // 3 errors in 10 events: 30 % over the window.
    let batch: Vec<Value> = (0..10)
        .map(|i| json!({"chatId": "c", "stage": "s", "status": if i < 3 { "error" } else { "success" }}))
        .collect();
    t.post_ok(&Value::Array(batch)).await;
    let fired = e.evaluate(domain::time::now_ms()).await.unwrap();
    assert_eq!(fired.len(), 1);
    assert_eq!((fired[0].alert.name.as_str(), fired[0].alert.value), ("errors", 30.0));
    // Ten successes dilute it to 15 %: resolved.
    let ok: Vec<Value> = (0..10).map(|_| json!({"chatId": "c", "stage": "s"})).collect();
    t.post_ok(&Value::Array(ok)).await;
    let resolved = e.evaluate(domain::time::now_ms()).await.unwrap();
    assert_eq!((resolved.len(), resolved[0].change.as_str()), (1, "resolved"));

    // Three rejected requests fire the ingest-failure rule.
    for _ in 0..3 {
        assert_eq!(t.post(&json!({"stage": "no chat"})).await.0, 400);
    }
    let fired = e.evaluate(domain::time::now_ms()).await.unwrap();
    assert_eq!(fired.iter().map(|n| n.alert.name.as_str()).collect::<Vec<_>>(), ["ingest"]);
    assert_eq!(fired[0].alert.value, 3.0);
    t.stop().await;
}

async fn the_no_events_rule_fires_once_and_resolves_once(b: Backend) {
    let t = TestServer::start(b).await;
    let hook = receiver(200).await;
    let store = t.server.state.service.store();
    let quiet = AlertRule {
        severity: Severity::Critical,
        notify: Some(Notify::webhook(&hook.url)),
        ..rule(RuleKind::NoEvents, 10.0, "telemetry push not received")
    };
    store.save_alert_rule(&quiet, 0).await.unwrap();
    let e = engine(&t);
    t.post_ok(&json!({"chatId": "c", "stage": "s"})).await;
    let now = domain::time::now_ms();
    // The clock is injected: nine minutes of silence is fine, ten fire.
    assert!(e.evaluate(now + 9 * 60_000).await.unwrap().is_empty());
    let fired = e.evaluate(now + 10 * 60_000 + 5_000).await.unwrap();
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!((fired[0].change.as_str(), fired[0].alert.severity), ("fired", Severity::Critical));
    assert!(fired[0].alert.message.starts_with("No events received for 10."), "{}", fired[0].alert.message);
    // Still silent: nothing more.
    assert!(e.evaluate(now + 11 * 60_000).await.unwrap().is_empty());
    assert!(e.evaluate(now + 30 * 60_000).await.unwrap().is_empty());
    // An event arrives: resolved once (evaluated at the real time, as the
    // event's receipt time is).
    t.post_ok(&json!({"chatId": "c", "stage": "s"})).await;
    let resolved = e.evaluate(domain::time::now_ms()).await.unwrap();
    assert_eq!(resolved.iter().map(|n| n.change.as_str()).collect::<Vec<_>>(), ["resolved"]);
    assert!(e.evaluate(domain::time::now_ms()).await.unwrap().is_empty());
    e.flush().await;
    let calls = hook.calls.lock().unwrap().clone();
    assert_eq!(calls.iter().map(|c| c["change"].as_str().unwrap()).collect::<Vec<_>>(), ["fired", "resolved"]);
    assert!(calls[0]["text"].as_str().unwrap().starts_with("[Flowmeter] CRITICAL: No events received"), "{}", calls[0]);
    let alerts = store.alerts(10).await.unwrap();
    assert_eq!(alerts.len(), 1, "one silence, one record");
    assert!(alerts[0].resolved_at.is_some());
    t.stop().await;
}

async fn p95_over_all_stages_and_default_rules(b: Backend) {
    let t = TestServer::start(b).await;
    let service = &t.server.state.service;
    // A new install has the brief's two rules, switched off.
    let defaults = service.alert_rules().await.unwrap();
    let shape: Vec<_> =
        defaults.iter().map(|r| (r.kind, r.threshold, r.severity, r.stage.clone(), r.enabled)).collect();
    assert_eq!(
        shape,
        [
            (RuleKind::ErrorRate, 5.0, Severity::Critical, None, false),
            (RuleKind::P95Latency, 2500.0, Severity::Warning, None, false),
        ]
    );
    // 20 errors out of 20 events would fire the first if it were on.
    let errors: Vec<Value> =
        (0..20).map(|_| json!({"chatId": "c", "stage": "tools", "status": "error", "durationMs": 4000})).collect();
    t.post_ok(&Value::Array(errors)).await;
    let e = engine(&t);
    assert!(e.evaluate(domain::time::now_ms()).await.unwrap().is_empty(), "off until an admin turns them on");

    // Turned on (as the page's button does: the rule saved back enabled),
    // the latency rule watches every stage: 4 s in `tools` is over 2.5 s.
    let p95 = defaults.iter().find(|r| r.kind == RuleKind::P95Latency).unwrap().clone();
    let (status, _) = t
        .server_fn(
            "/api/costs/rules/save",
            &format!(
                "rule[id]={}&rule[name]=slow&rule[kind]=p95_latency&rule[threshold]=2500&rule[windowMinutes]=5&rule[minEvents]=0&rule[severity]=warning&rule[enabled]=true",
                p95.id
            ),
            Some(&t.admin),
        )
        .await;
    assert_eq!(status, 200);
    let fired = e.evaluate(domain::time::now_ms()).await.unwrap();
    assert_eq!(fired.len(), 1, "{fired:?}");
    // (Percentiles come from the rollups' log-scale buckets: 4 s reads as
    // its bucket's bound, 5.9 s.)
    assert!(fired[0].alert.message.starts_with("p95 of all stages is "), "{}", fired[0].alert.message);
    assert!(fired[0].alert.value >= 4000.0, "{}", fired[0].alert.value);
    assert_eq!(fired[0].alert.severity, Severity::Warning);

    // Scoped to one stage, the rule reads that stage only: slow `tools`
    // does not fire a rule on `intent`; slow `intent` does.
    let intent = AlertRule { stage: Some("intent".into()), ..rule(RuleKind::P95Latency, 2500.0, "slow intent") };
    service.store().save_alert_rule(&intent, 0).await.unwrap();
    assert!(e.evaluate(domain::time::now_ms()).await.unwrap().is_empty(), "intent has no slow events");
    let quick: Vec<Value> = (0..5).map(|_| json!({"chatId": "c", "stage": "intent", "durationMs": 100})).collect();
    t.post_ok(&Value::Array(quick)).await;
    assert!(e.evaluate(domain::time::now_ms()).await.unwrap().is_empty(), "intent is quick");
    let slow: Vec<Value> = (0..20).map(|_| json!({"chatId": "c", "stage": "intent", "durationMs": 3000})).collect();
    t.post_ok(&Value::Array(slow)).await;
    let fired = e.evaluate(domain::time::now_ms()).await.unwrap();
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert!(fired[0].alert.message.starts_with("p95 of stage `intent` is "), "{}", fired[0].alert.message);
    t.stop().await;
}

async fn discord_and_telegram_deliveries_reach_their_receivers(b: Backend) {
    let t = TestServer::start(b).await;
    without_default_rules(&t).await;
    let store = t.server.state.service.store();
    // Discord answers 503 twice, then takes it; Telegram takes it at once.
    let discord = receiver_answering(vec![503, 503, 204]).await;
    let telegram = receiver(200).await;
    let refusing = receiver(400).await;
    let to_discord = Notify { channel: Channel::Discord, url: discord.url.clone(), ..Notify::default() };
    let to_telegram = Notify {
        channel: Channel::Telegram,
        bot_token: "123456:TEST-token_x".into(),
        chat_id: "-1001234".into(),
        ..Notify::default()
    };
    let to_refusing = Notify { channel: Channel::Slack, url: refusing.url.clone(), ..Notify::default() };
    for (name, severity, to) in [
        ("errors <discord>", Severity::Critical, to_discord),
        ("errors & telegram", Severity::Info, to_telegram),
        ("errors slack", Severity::Warning, to_refusing),
    ] {
        let r = AlertRule { severity, notify: Some(to), ..rule(RuleKind::ErrorRate, 20.0, name) };
        store.save_alert_rule(&r, 0).await.unwrap();
    }
    let batch: Vec<Value> = (0..10).map(|_| json!({"chatId": "c", "stage": "s", "status": "error"})).collect();
    t.post_ok(&Value::Array(batch)).await;
    let e = engine_with_telegram(&t, &telegram.base);
    assert_eq!(e.evaluate(domain::time::now_ms()).await.unwrap().len(), 3);
    e.flush().await;

    let d = discord.calls.lock().unwrap().clone();
    assert_eq!(d.len(), 3, "two 503s retried, the third delivered");
    let embed = &d[2]["embeds"][0];
    assert_eq!(
        (embed["title"].as_str(), embed["color"].as_u64()),
        (Some("CRITICAL: errors <discord>"), Some(0xD32F2F))
    );
    assert!(embed["description"].as_str().unwrap().starts_with("Error rate 100.0 %"));
    assert_eq!(d[2]["allowed_mentions"]["parse"], json!([]));

    let tg = telegram.calls.lock().unwrap().clone();
    assert_eq!(tg.len(), 1);
    assert_eq!(telegram.paths.lock().unwrap()[0], "/bot123456:TEST-token_x/sendMessage");
    assert_eq!((tg[0]["chat_id"].as_str(), tg[0]["parse_mode"].as_str()), (Some("-1001234"), Some("HTML")));
    let text = tg[0]["text"].as_str().unwrap();
    assert!(text.starts_with("ℹ️ <b>INFO</b> · <b>errors &amp; telegram</b>\nError rate 100.0 %"), "{text}");

    assert_eq!(refusing.calls.lock().unwrap().len(), 1, "a 400 is final: not retried");

    let recorded: Vec<_> = store
        .alerts(10)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.name, a.webhook_status, a.webhook_attempts, a.webhook_error))
        .collect();
    assert!(recorded.contains(&("errors <discord>".into(), "delivered".into(), 3, None)), "{recorded:?}");
    assert!(recorded.contains(&("errors & telegram".into(), "delivered".into(), 1, None)), "{recorded:?}");
    assert!(
        recorded.contains(&("errors slack".into(), "failed".into(), 1, Some("HTTP 400, not retried".into()))),
        "{recorded:?}"
    );
    t.stop().await;
}

async fn rules_are_saved_with_severity_and_channel(b: Backend) {
    let t = TestServer::start(b).await;
    without_default_rules(&t).await;
    let save = |form: String| {
        let t = &t;
        async move { t.server_fn("/api/costs/rules/save", &form, Some(&t.admin)).await }
    };
    let base = "rule[id]=0&rule[name]=quiet&rule[kind]=no_events&rule[threshold]=15&rule[windowMinutes]=5&rule[minEvents]=0&rule[enabled]=true";
    let (status, body) = save(format!("{base}&rule[severity]=critical&rule[notify][channel]=telegram&rule[notify][botToken]=42:abc&rule[notify][chatId]=@ops_room")).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = save(format!(
        "{base}&rule[notify][channel]=telegram&rule[notify][botToken]=not-a-token&rule[notify][chatId]=1"
    ))
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("notify.botToken"), "{body}");
    let (status, body) = save(format!("{base}&rule[severity]=loud")).await;
    assert_eq!(status, 400, "an unknown severity is refused: {body}");
    let (status, listed) = t.server_fn("/api/costs/rules", "", Some(&t.admin)).await;
    assert_eq!(status, 200);
    let rules = listed.as_array().unwrap();
    assert_eq!(rules.len(), 1, "nothing half-stored: {listed}");
    assert_eq!(rules[0]["severity"], "critical");
    assert_eq!(
        rules[0]["notify"],
        json!({"channel": "telegram", "url": "", "botToken": "42:abc", "chatId": "@ops_room"})
    );
    // Viewers never see a rule (or its bot token).
    let (status, _) = t.server_fn("/api/costs/rules", "", Some(&t.viewer)).await;
    assert_eq!(status, 403);
    t.stop().await;
}

async fn a_tenant_budget_crossing_fires_once(b: Backend) {
    common::clear_of_midnight(Duration::from_secs(120)).await;
    let t = TestServer::start(b).await;
    without_default_rules(&t).await;
    // $0.0015 a day for acme: 10 000 tokens of gpt-4o-mini.
    let form = "budget[name]=acme&budget[scope]=tenant&budget[scopeValue]=acme&budget[period]=daily&budget[limitUsd]=0.0015&budget[warnPct]=95&budget[criticalPct]=200";
    save_budget(&t, form).await;
    let e = engine(&t);
    let tenant_spend = |tenant: &str, thousand: i64| {
        let mut e = spend(&format!("{tenant}-chat"), thousand);
        e["tenant"] = json!(tenant);
        e
    };
    // Another tenant's spending does not count toward acme's budget.
    t.post_ok(&tenant_spend("globex", 50)).await;
    t.post_ok(&tenant_spend("acme", 9)).await;
    assert!(e.evaluate(domain::time::now_ms()).await.unwrap().is_empty(), "acme is at 90 %");
    let check = |tenant: &'static str| {
        let t = &t;
        async move {
            let resp = t.client.get(t.url(&format!("/api/budget/check?tenant={tenant}"))).header("x-api-key", KEY);
            let resp = resp.send().await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(check("acme").await["allow"], true);
    t.post_ok(&tenant_spend("acme", 1)).await;
    let fired = e.evaluate(domain::time::now_ms()).await.unwrap();
    assert_eq!(fired.len(), 1, "one crossing, one alert: {fired:?}");
    assert!(fired[0].alert.message.contains("tenant acme"), "{}", fired[0].alert.message);
    assert!(e.evaluate(domain::time::now_ms()).await.unwrap().is_empty(), "staying above fires nothing more");
    let acme = check("acme").await;
    assert_eq!((acme["allow"].as_bool(), acme["remainingNanos"].as_i64()), (Some(false), Some(0)));
    // globex has no budget of its own: only acme's applies to acme.
    let globex = check("globex").await;
    assert_eq!((globex["allow"].as_bool(), globex["budgets"].as_array().map(Vec::len)), (Some(true), Some(0)));
    t.stop().await;
}

async fn the_budget_check_tells_agents_whether_to_spend(b: Backend) {
    common::clear_of_midnight(Duration::from_secs(120)).await;
    let t = TestServer::start(b).await;
    save_budget(&t, "budget[name]=mini&budget[scope]=model&budget[scopeValue]=gpt-4o-mini&budget[period]=daily&budget[limitUsd]=0.001&budget[notify][channel]=telegram&budget[notify][botToken]=42:budget-secret&budget[notify][chatId]=-100200").await;
    save_budget(
        &t,
        "budget[name]=sage&budget[scope]=persona&budget[scopeValue]=sage&budget[period]=daily&budget[limitUsd]=5",
    )
    .await;
    let check = |q: &'static str| {
        let req = t.client.get(t.url(&format!("/api/budget/check?{q}"))).header("x-api-key", KEY);
        async move {
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.json::<Value>().await.unwrap()
        }
    };
    let c = check("model=gpt-4o-mini").await;
    assert_eq!((c["allow"].as_bool(), c["remainingNanos"].as_i64()), (Some(true), Some(1_000_000)));
    // Agents' keys ask this: where the budget's alerts go is not theirs.
    assert!(!c.to_string().contains("budget-secret") && c["budgets"][0]["budget"]["notify"].is_null(), "{c}");
    assert_eq!(c["budgets"].as_array().unwrap().len(), 1, "only the budgets that apply");
    t.post_ok(&spend("c", 7)).await; // 1 050 000 nanos
    let c = check("model=gpt-4o-mini&persona=sage").await;
    assert_eq!(c["allow"], false);
    assert_eq!(c["remainingNanos"], -50_000);
    assert_eq!(c["budgets"].as_array().unwrap().len(), 2);
    assert_eq!(check("model=o3").await["allow"], true, "no budget applies");
    let anon = t.client.get(t.url("/api/budget/check")).send().await.unwrap();
    assert_eq!(anon.status(), 401);
    t.stop().await;
}

async fn csv_and_json_exports_match_the_summary(b: Backend) {
    let t = TestServer::start(b).await;
    let events: Vec<Value> = (0..25)
        .map(|i| {
            let mut e = spend(&format!("chat,{}", i % 4), i % 5);
            if i % 6 == 0 {
                e["model"] = json!("house-llm"); // unpriced
            }
            if i % 7 == 0 {
                e["error"] = json!("=cmd|' /C calc'!A0"); // would be a formula
            }
            e
        })
        .collect();
    t.post_ok(&Value::Array(events)).await;
    let summary = pipeline::summary::summarize(
        t.server.state.service.store(),
        t.server.state.service.memo(),
        &SummaryQuery { range: Some("1h".into()), ..Default::default() },
        domain::time::now_ms(),
    )
    .await
    .unwrap();

    let get = |format: &str| {
        let req =
            t.client.get(t.url(&format!("/api/telemetry/export?range=1h&format={format}"))).header("cookie", &t.admin);
        async move {
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 200);
            let total: i64 = resp.headers()["x-total-count"].to_str().unwrap().parse().unwrap();
            (total, resp.text().await.unwrap())
        }
    };
    let (total, csv) = get("csv").await;
    let (_, json_text) = get("json").await;
    let rows: Vec<Vec<String>> = parse_csv(&csv);
    assert_eq!(rows[0][15], "cost_nanos");
    let body = &rows[1..];
    let csv_cost: i64 = body.iter().filter_map(|r| r[15].parse::<i64>().ok()).sum();
    let csv_unpriced = body.iter().filter(|r| r[15].is_empty()).count() as i64;
    assert!(body.iter().any(|r| r[2].starts_with("chat,")), "commas survive quoting");
    assert!(body.iter().filter(|r| !r[17].is_empty()).all(|r| r[17].starts_with('\'')), "no formulas");

    let json: Vec<Value> = serde_json::from_str(&json_text).unwrap();
    let json_cost: i64 = json.iter().filter_map(|e| e["costNanos"].as_i64()).sum();

    assert_eq!(total, 25);
    assert_eq!((body.len() as i64, json.len() as i64), (summary.overview.events, summary.overview.events));
    assert_eq!(csv_cost, summary.cost.total_nanos);
    assert_eq!(json_cost, summary.cost.total_nanos);
    assert_eq!(csv_unpriced, summary.cost.unpriced_events);
    let (status, _) = t.get_as("/api/telemetry/export?range=1h&format=xml", Some(&t.admin)).await;
    assert_eq!(status, 400);
    assert_eq!(t.get_as("/api/telemetry/export?range=1h", Some(&t.viewer)).await.0, 403);
    t.stop().await;
}

/// A small RFC 4180 reader (quoted fields, doubled quotes, commas inside).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    rows
}

/// The cost monitor moves its figures with live events between refreshes;
/// what it shows must equal what a refresh would read.
async fn live_deltas_match_a_fresh_summary(b: Backend) {
    use app::domain::live_costs::{apply_live, Tick};
    use domain::event::Event;
    let t = TestServer::start(b).await;
    let query = SummaryQuery { range: Some("1h".into()), ..Default::default() };
    let service = &t.server.state.service;
    let summarize = || pipeline::summary::summarize(service.store(), service.memo(), &query, domain::time::now_ms());
    let mut first = vec![spend("a", 3), spend("b", 1)];
    first[0]["tenant"] = json!("acme");
    t.post_ok(&Value::Array(first)).await;
    let before = summarize().await.unwrap();

    let mut later = vec![spend("a", 2), spend("c", 4), json!({"chatId": "c", "stage": "intent", "status": "error"})];
    later[1]["persona"] = json!("muse");
    later[2]["model"] = json!("house-llm"); // unpriced
    later.push(json!({"chatId": "d", "stage": "tools", "model": "claude-3-5-haiku-20241022", "persona": "muse",
        "meta": {"tool": "search"},
        "usage": {"input_tokens": 900, "output_tokens": 40, "cache_read_input_tokens": 300}}));
    later[0]["tenant"] = json!("acme");
    later[1]["tenant"] = json!("globex");
    later[2]["tenant"] = json!("globex");
    let ids = t.post_ok(&Value::Array(later)).await;
    let stored: Vec<Event> =
        t.history("limit=10").await.into_iter().map(|v| serde_json::from_value(v).unwrap()).collect();
    let ticks: Vec<Tick> = stored.iter().filter(|e| ids.contains(&e.id)).map(Tick::from).collect();
    assert_eq!(ticks.len(), 4);

    let live = apply_live(&before, ticks.iter());
    let after = summarize().await.unwrap();
    assert_eq!(live.cost.total_nanos, after.cost.total_nanos);
    assert_eq!(live.cost.unpriced_events, after.cost.unpriced_events);
    assert_eq!(
        (live.overview.events, live.overview.errors, live.overview.requests),
        (after.overview.events, after.overview.errors, after.overview.requests)
    );
    assert_eq!(
        (live.tokens.input, live.tokens.output, live.tokens.cached_input),
        (after.tokens.input, after.tokens.output, after.tokens.cached_input)
    );
    let costs = |s: &domain::summary::Summary| {
        let mut m: Vec<(String, i64, i64)> =
            s.model_usage.iter().map(|m| (m.model.clone(), m.cost_nanos, m.requests)).collect();
        m.sort();
        let mut p: Vec<(String, i64)> = s.personas.iter().map(|b| (b.name.clone(), b.cost_nanos)).collect();
        p.sort();
        let mut st: Vec<(String, i64, i64)> =
            s.stages.iter().map(|b| (b.name.clone(), b.cost_nanos, b.events)).collect();
        st.sort();
        (m, p, st)
    };
    assert_eq!(costs(&live), costs(&after));
    let by = |s: &domain::summary::Summary| {
        let mut t: Vec<(String, i64, i64)> =
            s.tenants.iter().map(|r| (r.tenant.clone(), r.cost_nanos, r.events)).collect();
        t.sort();
        let mut o: Vec<(String, i64, i64, i64)> =
            s.tools.iter().map(|r| (r.tool.clone(), r.calls, r.errors, r.cost_nanos)).collect();
        o.sort();
        (t, o)
    };
    assert_eq!(by(&live), by(&after), "tenants and tools move live as a refresh would read them");
    assert_eq!(by(&after).0.len(), 3, "acme, globex and no tenant");
    assert_eq!(
        live.trend.iter().map(|p| p.cost_nanos).sum::<i64>(),
        after.trend.iter().map(|p| p.cost_nanos).sum::<i64>()
    );
    assert_eq!(live.last_event_id, *ids.iter().max().unwrap());
}
