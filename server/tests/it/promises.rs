//! Promises the README makes that no other test held. Each test here fails
//! when its promise breaks: where a stream resumes, the stream's retry and
//! heartbeat, what an acknowledged event means when a commit fails, the
//! sign-in limits per address and their window, alert toasts for admins
//! only, the 5,000-event cut of a conversation, a read key on the
//! conversations API, and server functions answering 503 when the store
//! fails.

use crate::common;

use common::{event, post_ids, Backend, Sse, TestServer, KEY};
use domain::auth::KeyScope;
use pipeline::service::Viewer;
use pipeline::store::Store;
use serde_json::{json, Value};
use server::tasks::alerts::{AlertEngine, DeliveryPolicy};
use std::time::{Duration, Instant};

both_backends!(
    the_stream_resumes_after_the_header_or_after_and_refuses_a_bad_id,
    a_commit_that_fails_acknowledges_nothing,
    alert_toasts_reach_admins_only,
    a_conversation_is_cut_at_5000_events,
    a_read_key_reads_conversations_with_their_cost,
    a_failing_store_answers_503_to_server_functions_and_the_api,
);

async fn stream_with(t: &TestServer, query: &str, headers: &[(&str, String)]) -> reqwest::Response {
    let mut req = t.client.get(t.url(&format!("/api/telemetry/stream{query}"))).header("cookie", &t.admin);
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    req.send().await.unwrap()
}

async fn the_stream_resumes_after_the_header_or_after_and_refuses_a_bad_id(b: Backend) {
    let t = TestServer::start(b).await;
    let batch: Vec<Value> = (0..5).map(|i| event("resume", &format!("s{i}"))).collect();
    let ids = t.post_ok(&Value::Array(batch)).await;
    // `?after=` alone: what follows that id.
    let resp = stream_with(&t, &format!("?after={}", ids[1]), &[]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(Sse::of(resp).take_ids(3).await, ids[2..]);
    // Both: the header wins (the browser's reconnect knows better).
    let resp = stream_with(&t, &format!("?after={}", ids[0]), &[("last-event-id", ids[3].to_string())]).await;
    assert_eq!(resp.status(), 200);
    let mut sse = Sse::of(resp);
    assert_eq!(sse.take_ids(1).await, [ids[4]]);
    let next = t.post_ok(&event("resume", "later")).await;
    assert_eq!(sse.take_ids(1).await, next, "nothing between the header's id and now");
    // A bad id is a 400 naming where it came from.
    for (query, headers, field) in [
        ("?after=yesterday", vec![], "`after`"),
        ("", vec![("last-event-id", "x1".to_string())], "`Last-Event-ID`"),
        ("?after=5", vec![("last-event-id", "soon".to_string())], "`Last-Event-ID`"),
    ] {
        let resp = stream_with(&t, query, &headers).await;
        assert_eq!(resp.status(), 400, "{query} {headers:?}");
        let body: Value = resp.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains(field), "{body}");
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_tells_browsers_to_retry_in_3_s_and_beats_every_15_s() {
    let t = TestServer::start(Backend::Sqlite).await;
    let mut resp = stream_with(&t, "", &[]).await;
    assert_eq!(resp.status(), 200);
    let opened = Instant::now();
    let mut seen = String::new();
    // A comment line: `:heartbeat` (or `: heartbeat`).
    let beat = |s: &str| s.lines().any(|l| l.starts_with(':') && l[1..].trim() == "heartbeat");
    while !beat(&seen) {
        let chunk = tokio::time::timeout(Duration::from_secs(20), resp.chunk())
            .await
            .expect("a heartbeat within 20 s of a quiet stream");
        seen.push_str(&String::from_utf8_lossy(&chunk.unwrap().expect("the stream stays open")));
    }
    let connected = seen.split("\n\n").find(|block| block.contains("event: connected")).expect("a connected event");
    assert!(connected.lines().any(|l| l.strip_prefix("retry:").map(str::trim) == Some("3000")), "{connected}");
    // It cannot come early, however slow the machine.
    assert!(opened.elapsed() >= Duration::from_secs(14), "heartbeat after {:?}", opened.elapsed());
    t.stop().await;
}

/// Makes the database refuse, at COMMIT (not at INSERT), any transaction
/// that stored an event of chat `doomed`: a deferred constraint.
async fn doom_at_commit(store: &Store) {
    match store {
        Store::Sqlite { writer, .. } => {
            for sql in [
                "CREATE TABLE doom_parent (id INTEGER PRIMARY KEY)",
                "CREATE TABLE doom_child (parent INTEGER REFERENCES doom_parent (id) DEFERRABLE INITIALLY DEFERRED)",
                "CREATE TRIGGER doom AFTER INSERT ON events WHEN NEW.chat_id = 'doomed' \
                 BEGIN INSERT INTO doom_child VALUES (42); END",
            ] {
                sqlx::query(sql).execute(writer).await.unwrap();
            }
        }
        Store::Postgres(pool) => {
            for sql in [
                "CREATE FUNCTION doom() RETURNS trigger AS $$ BEGIN \
                 IF NEW.chat_id = 'doomed' THEN RAISE EXCEPTION 'doomed at commit'; END IF; RETURN NULL; END $$ \
                 LANGUAGE plpgsql",
                "CREATE CONSTRAINT TRIGGER doom AFTER INSERT ON events DEFERRABLE INITIALLY DEFERRED \
                 FOR EACH ROW EXECUTE FUNCTION doom()",
            ] {
                sqlx::query(sql).execute(pool).await.unwrap();
            }
        }
    }
}

async fn a_commit_that_fails_acknowledges_nothing(b: Backend) {
    let t = TestServer::start(b).await;
    doom_at_commit(t.server.state.service.store()).await;
    let (status, body) = t.post(&json!([event("doomed", "intent"), event("doomed", "send")])).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.get("ids").is_none(), "no id is acknowledged: {body}");
    // Many requests at once, some doomed: whatever shares a failed commit,
    // a 202 means stored, and anything else means absent.
    let requests: Vec<_> = (0..24)
        .map(|r| {
            let (client, url) = (t.client.clone(), t.url("/api/events"));
            let chat = if r % 6 == 0 { "doomed".to_string() } else { format!("fine{r}") };
            let batch = Value::Array((0..3).map(|i| event(&chat, &format!("s{i}"))).collect());
            tokio::spawn(async move { (chat, post_ids(&client, &url, &batch).await) })
        })
        .collect();
    let mut acknowledged = 0;
    for req in requests {
        let (chat, (status, ids)) = req.await.unwrap();
        let stored: Vec<i64> = t
            .history(&format!("chatId={chat}&limit=100"))
            .await
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .rev()
            .collect();
        if status == 202 {
            assert_ne!(chat, "doomed");
            assert_eq!(stored, ids, "{chat}: acknowledged and stored");
            acknowledged += ids.len();
        } else {
            assert_eq!(status, 503, "{chat}");
            assert!(stored.is_empty(), "{chat}: refused, yet stored {stored:?}");
        }
    }
    assert!(t.history("chatId=doomed").await.is_empty());
    assert_eq!(t.history("limit=1000").await.len(), acknowledged, "nothing stored that was not acknowledged");
    // The writer is not stuck: a later request is stored.
    t.post_ok(&event("after", "intent")).await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_are_limited_to_20_failures_per_address_in_15_minutes() {
    let t = TestServer::start(Backend::Sqlite).await;
    let login = |email: String, password: &'static str| {
        let req = t.client.post(t.url("/api/auth/login")).json(&json!({"email": email, "password": password}));
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // Twenty failures from one address, four per account (under the
    // per-account five), are all answered as wrong passwords...
    for i in 0..20 {
        let (status, _) = login(format!("nobody{}@test.local", i % 5), "wrong password").await;
        assert_eq!(status, 401, "attempt {}", i + 1);
    }
    // ...and then the address is locked, even with the right password.
    let (status, body) = login(common::ADMIN_EMAIL.into(), common::PASSWORD).await;
    assert_eq!(status, 429, "{body}");
    assert!(body["error"].as_str().unwrap().contains("too many failed sign-ins; try again in 15 min"), "{body}");

    // The window: failures count for 15 minutes, by the clock given.
    let service = &t.server.state.service;
    let t0 = 1_000_000_000_000;
    for _ in 0..20 {
        service.sign_in_failed("someone@test.local", "198.51.100.1", t0).await.unwrap();
    }
    let minute = 60_000;
    let wait = service.sign_in_blocked("other@test.local", "198.51.100.1", t0 + 14 * minute).await.unwrap();
    assert_eq!(wait, Some(minute), "blocked for the minute left");
    let wait = service.sign_in_blocked("other@test.local", "198.51.100.1", t0 + 15 * minute + 1).await.unwrap();
    assert_eq!(wait, None, "free once the window has passed");
    let wait = service.sign_in_blocked("other@test.local", "198.51.100.2", t0 + minute).await.unwrap();
    assert_eq!(wait, None, "another address is not blocked");
    t.stop().await;
}

async fn alert_toasts_reach_admins_only(b: Backend) {
    common::clear_of_midnight(Duration::from_secs(120)).await;
    let t = TestServer::start(b).await;
    let (status, _) = t
        .server_fn(
            "/api/costs/budgets/save",
            "budget[name]=tiny&budget[scope]=global&budget[period]=daily&budget[limitUsd]=0.000001",
            Some(&t.admin),
        )
        .await;
    assert_eq!(status, 200);
    let service = &t.server.state.service;
    let reader = service.create_api_key(&Viewer::command_line(), "reader", KeyScope::Read, None, 0).await.unwrap();
    let open = |header: (&'static str, String)| {
        let req = t.client.get(t.url("/api/telemetry/stream")).header(header.0, header.1);
        async move {
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 200);
            Sse::of(resp)
        }
    };
    let mut admin = open(("cookie", t.admin.clone())).await;
    let mut viewer = open(("cookie", t.viewer.clone())).await;
    let mut key = open(("x-api-key", reader.plaintext.clone())).await;
    for sse in [&mut admin, &mut viewer, &mut key] {
        assert_eq!(sse.next_within(Duration::from_secs(10)).await.unwrap().event.as_deref(), Some("connected"));
    }
    t.post_ok(
        &json!({"chatId": "spend", "stage": "response", "model": "gpt-4o-mini", "usage": {"inputTokens": 10000}}),
    )
    .await;
    let engine = AlertEngine::new(service.clone(), DeliveryPolicy::default());
    assert!(!engine.evaluate(domain::time::now_ms()).await.unwrap().is_empty(), "the budget fired");
    let toast = loop {
        let m = admin.next_within(Duration::from_secs(10)).await.expect("the admin's toast");
        if m.event.as_deref() == Some("alert") {
            break m.json();
        }
    };
    assert!(toast["alert"]["message"].as_str().unwrap().contains("tiny"), "{toast}");
    // Published before this marker: a stream that could see it would have
    // it before the marker.
    t.post_ok(&event("marker", "intent")).await;
    for (who, sse) in [("viewer", &mut viewer), ("read key", &mut key)] {
        loop {
            let m = sse.next_within(Duration::from_secs(10)).await.expect("the marker");
            assert_ne!(m.event.as_deref(), Some("alert"), "a {who} got an alert toast");
            if m.data.contains("\"marker\"") {
                break;
            }
        }
    }
    t.stop().await;
}

async fn a_conversation_is_cut_at_5000_events(b: Backend) {
    let t = TestServer::start(b).await;
    let base = domain::time::now_ms() - 3_600_000;
    let events = |chat: &str, n: i64| {
        Value::Array((0..n).map(|i| json!({"chatId": chat, "turnId": "t1", "stage": "s", "ts": base + i})).collect())
    };
    t.post_ok(&events("exactly", 5000)).await;
    t.post_ok(&events("over", 5001)).await;
    for (chat, truncated) in [("exactly", false), ("over", true)] {
        let (status, body) = t.get_json(&format!("/api/telemetry/conversations?chatId={chat}")).await;
        assert_eq!(status, 200);
        assert_eq!((body["events"].as_i64(), body["truncated"].as_bool()), (Some(5000), Some(truncated)), "{chat}");
        let stages = body["turns"][0]["stages"].as_array().unwrap();
        assert_eq!(
            stages.last().unwrap()["ts"].as_str(),
            Some(domain::time::to_rfc3339(base + 4999).as_str()),
            "the first 5,000 in order"
        );
    }
    t.stop().await;
}

async fn a_read_key_reads_conversations_with_their_cost(b: Backend) {
    let t = TestServer::start(b).await;
    t.post_ok(&json!({"chatId": "keyed", "stage": "response", "model": "gpt-4o", "usage": {"inputTokens": 1000}}))
        .await;
    let service = &t.server.state.service;
    let reader = service.create_api_key(&Viewer::command_line(), "reader", KeyScope::Read, None, 0).await.unwrap();
    let get = |path: &'static str, key: String| {
        let req = t.client.get(t.url(path)).header("x-api-key", key);
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, list) = get("/api/telemetry/conversations", reader.plaintext.clone()).await;
    assert_eq!(status, 200, "{list}");
    let row = &list["conversations"].as_array().unwrap()[0];
    assert_eq!((row["chatId"].as_str(), row["costNanos"].as_i64()), (Some("keyed"), Some(2_500_000)), "{row}");
    let (status, one) = get("/api/telemetry/conversations?chatId=keyed", reader.plaintext.clone()).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["costNanos"], 2_500_000);
    // An ingest key writes; it does not read.
    let (status, _) = get("/api/telemetry/conversations", KEY.to_string()).await;
    assert_eq!(status, 403);
    t.stop().await;
}

async fn a_failing_store_answers_503_to_server_functions_and_the_api(b: Backend) {
    let t = TestServer::start(b).await;
    let drop_table = "DROP TABLE budgets";
    match t.server.state.service.store() {
        Store::Sqlite { writer, .. } => drop(sqlx::query(drop_table).execute(writer).await.unwrap()),
        Store::Postgres(pool) => drop(sqlx::query(drop_table).execute(pool).await.unwrap()),
    }
    let (status, body) = t.server_fn("/api/costs/budgets", "", Some(&t.admin)).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.to_string().contains("unavailable"), "{body}");
    assert!(!body.to_string().contains("budgets"), "no database detail leaks: {body}");
    let resp = t.client.get(t.url("/api/budget/check")).header("x-api-key", KEY).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["retry-after"], "5");
    t.stop().await;
}
