//! Scale-out: two replicas (two real servers) on one Postgres and one Redis.
//! Every event reaches every replica's streams, a stream resumes on the
//! other replica, Redis may die and come back without a lost or doubled
//! event, shared settings reach every replica, and alerts fire once.
//! Skipped, with a notice, without a test Postgres or `redis-server`.

use crate::common;

use common::{
    eventually, fresh_postgres_database, postgres_admin_url, receiver, Receiver, RedisServer, Sse, TestServer, KEY,
};
use serde_json::{json, Value};
use server::config::Config;
use std::time::Duration;

/// Two replicas on one fresh database and one Redis of their own; `a`
/// owns the database. `tweak` adjusts both configurations.
async fn pair(tweak: impl Fn(&mut Config) + Clone) -> Option<(TestServer, TestServer, RedisServer)> {
    postgres_admin_url()?;
    let redis = RedisServer::start().await?;
    let (url, db) = fresh_postgres_database().await;
    let redis_url = redis.url();
    let configure = |c: &mut Config| {
        c.redis_url = Some(redis_url.clone());
        tweak(c);
    };
    let a = TestServer::start_on(url.clone(), tempfile::tempdir().unwrap(), Some(db), configure).await;
    let b = TestServer::start_on(url, tempfile::tempdir().unwrap(), None, configure).await;
    Some((a, b, redis))
}

fn event(chat: &str, i: usize) -> Value {
    json!({"chatId": chat, "turnId": format!("t{i}"), "stage": "intent", "durationMs": 5})
}

/// The next `n` event ids on `sse`, failing if they do not come in 10 s.
async fn ids(sse: &mut Sse, n: usize) -> Vec<i64> {
    sse.take_ids(n).await
}

/// Posts `n` events to `t`, one request each; their ids.
async fn post_each(t: &TestServer, chat: &str, n: usize) -> Vec<i64> {
    let mut out = Vec::new();
    for i in 0..n {
        out.extend(t.post_ok(&event(chat, i)).await);
    }
    out
}

async fn stop(a: TestServer, b: TestServer) {
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_posted_to_one_replica_reaches_the_others_stream() {
    let Some((a, b, _redis)) = pair(|_| {}).await else { return };
    let mut on_b = b.sse(None).await;
    let sent = post_each(&a, "across", 3).await;
    assert_eq!(ids(&mut on_b, 3).await, sent);
    // And the other way round, in one batch.
    let mut on_a = a.sse(Some(*sent.last().unwrap())).await;
    let batch = b.post_ok(&Value::Array((0..5).map(|i| event("back", i)).collect())).await;
    assert_eq!(ids(&mut on_a, 5).await, batch);
    stop(a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_resumes_on_the_other_replica_with_exactly_what_it_missed() {
    let Some((a, b, _redis)) = pair(|_| {}).await else { return };
    let mut on_b = b.sse(None).await;
    let first = post_each(&a, "resume", 3).await;
    let seen = ids(&mut on_b, 3).await;
    assert_eq!(seen, first);
    drop(on_b);
    let missed = post_each(&b, "resume", 4).await;
    let mut on_a = a.sse(seen.last().copied()).await;
    assert_eq!(ids(&mut on_a, 4).await, missed, "exactly the missed events, in order");
    assert!(on_a.next_within(Duration::from_millis(500)).await.is_none(), "and nothing else");
    stop(a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_going_down_and_up_loses_and_doubles_nothing() {
    let Some((a, b, mut redis)) = pair(|_| {}).await else { return };
    let mut on_b = b.sse(None).await;
    let mut sent = post_each(&a, "outage", 2).await;
    assert_eq!(ids(&mut on_b, 2).await, sent);

    redis.halt();
    let during = post_each(&a, "outage", 5).await;
    assert_eq!(ids(&mut on_b, 5).await, during, "streams read the database meanwhile");
    sent.extend(&during);
    let health = |t: &TestServer| {
        let req = t.client.get(t.url("/api/health")).header("cookie", t.admin.clone());
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = health(&a).await;
    assert_eq!(status, 200, "the database still answers: {body}");
    assert_eq!(body["status"], "degraded", "{body}");
    assert!(body["reasons"][0].as_str().is_some_and(|r| r.starts_with("redis: ")), "{body}");
    assert_eq!(body["services"]["redis"]["status"], "down", "{body}");
    assert_eq!(body["services"]["database"]["status"], "up", "{body}");

    redis.resume().await;
    let after = post_each(&a, "outage", 5).await;
    let got = ids(&mut on_b, 5).await;
    assert_eq!(got, after, "every event once, in order");
    sent.extend(&after);
    eventually(Duration::from_secs(5), "health is back", || async { health(&a).await.1["status"] == "healthy" }).await;
    // Nothing arrives twice after the switch back either.
    assert!(on_b.next_within(Duration::from_millis(1500)).await.is_none());
    let last = *sent.last().unwrap();
    let history = b.history("limit=20").await;
    assert_eq!(history[0]["id"].as_i64(), Some(last));
    stop(a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_telemetry_switch_reaches_every_replica() {
    let Some((a, b, _redis)) = pair(|_| {}).await else { return };
    let (status, _) = a.server_fn("/api/admin/settings/telemetry", "enabled=false", Some(&a.admin)).await;
    assert_eq!(status, 200);
    eventually(Duration::from_secs(5), "B refuses ingest", || async { b.post(&event("off", 0)).await.0 == 503 }).await;
    a.server_fn("/api/admin/settings/telemetry", "enabled=true", Some(&a.admin)).await;
    eventually(Duration::from_secs(5), "B accepts again", || async { b.post(&event("on", 0)).await.0 == 202 }).await;
    stop(a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_count_across_replicas() {
    let Some((a, b, _redis)) = pair(|_| {}).await else { return };
    for t in [&a, &b, &a, &b, &a] {
        assert_eq!(t.login(common::VIEWER_EMAIL, "wrong password").await, Err(401));
    }
    assert_eq!(b.login(common::VIEWER_EMAIL, common::PASSWORD).await, Err(429), "five failures, wherever they were");
    stop(a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_crossing_on_two_replicas_sends_one_alert_and_one_webhook() {
    let Receiver { url: hook, calls, .. } = receiver(200).await;
    common::clear_of_midnight(std::time::Duration::from_secs(120)).await;

    let Some((a, b, _redis)) = pair(|c| c.alert_interval_secs = 1).await else { return };
    let form = format!(
        "budget[name]=tiny&budget[scope]=global&budget[period]=daily&budget[limitUsd]=0.001&budget[warnPct]=100&budget[criticalPct]=1000&budget[notify][url]={}",
        domain::url::encode(&hook)
    );
    assert_eq!(a.server_fn("/api/costs/budgets/save", &form, Some(&a.admin)).await.0, 200);
    let mut toasts_on_b = b.sse(None).await;
    b.post_ok(
        &json!({"chatId": "spend", "stage": "response", "model": "gpt-4o-mini", "usage": {"inputTokens": 10000}}),
    )
    .await;
    eventually(Duration::from_secs(10), "the webhook is called", || async { !calls.lock().unwrap().is_empty() }).await;
    // A toast reaches B's admin stream whichever replica evaluated.
    let mut toast = None;
    while let Some(msg) = toasts_on_b.next_within(Duration::from_secs(5)).await {
        if msg.event.as_deref() == Some("alert") {
            toast = Some(msg.json());
            break;
        }
    }
    assert_eq!(toast.expect("an alert toast on B")["alert"]["name"], "tiny");
    // Both replicas keep evaluating every second: still one of each.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let alerts = a.server.state.service.store().alerts(10).await.unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(calls.lock().unwrap().len(), 1);
    stop(a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_starting_at_once_on_an_empty_database_both_come_up() {
    if postgres_admin_url().is_none() {
        return;
    }
    let Some(redis) = RedisServer::start().await else { return };
    let (url, db) = fresh_postgres_database().await;
    let tweak = |c: &mut Config| c.redis_url = Some(redis.url());
    let (a, b) = tokio::join!(
        TestServer::start_on(url.clone(), tempfile::tempdir().unwrap(), Some(db), tweak),
        TestServer::start_on(url, tempfile::tempdir().unwrap(), None, tweak),
    );
    let mut on_a = a.sse(None).await;
    let sent = b.post_ok(&event("both", 0)).await;
    assert_eq!(ids(&mut on_a, 1).await, sent);
    stop(a, b).await;
}

#[test]
fn redis_with_sqlite_is_refused_at_start() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        address: "127.0.0.1:0".parse().unwrap(),
        database_url: format!("sqlite://{}", dir.path().join("t.db").display()),
        redis_url: Some("redis://127.0.0.1:1".into()),
        ingest_api_keys: vec![KEY.into()],
        ..Config::default()
    };
    let err = rt.block_on(server::Server::start(config)).err().expect("refused");
    assert!(err.to_string().contains("shared database"), "{err}");
}
