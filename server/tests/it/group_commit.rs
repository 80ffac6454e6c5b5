//! Group commit through the real server, on SQLite and on Postgres: many
//! concurrent requests share commits, yet each is stored whole or not at
//! all, a request the database refuses fails alone, and a stream resumed
//! in the middle of it all misses nothing and doubles nothing.

use crate::common;

use common::{count, event, post_ids, Backend, TestServer};
use domain::summary::SummaryQuery;
use pipeline::store::Store;
use pipeline::summary::summarize;
use serde_json::{json, Value};
use std::collections::BTreeSet;

both_backends!(
    concurrent_requests_are_stored_whole_or_not_at_all,
    a_request_the_database_refuses_fails_alone,
    batches_of_one_group_open_a_turn_once,
    a_stream_resumed_during_heavy_ingest_gets_every_id_once,
);

/// On Postgres every group takes the write lock before it writes, so
/// replicas commit ids in the order they were assigned: while another
/// writer (a replica) holds it, a request waits, and it is stored once
/// the lock is let go. The lock is asked for in the round trip that
/// begins the transaction (`store/batch.rs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_group_waits_for_the_write_lock() {
    if common::postgres_admin_url().is_none() {
        return;
    }
    let t = TestServer::start(Backend::Postgres).await;
    let Store::Postgres(pool) = t.server.state.service.store() else { unreachable!("a Postgres store") };
    let mut replica = pool.acquire().await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(pipeline::store::WRITE_LOCK_KEY)
        .execute(&mut *replica)
        .await
        .unwrap();
    let (client, url) = (t.client.clone(), t.url("/api/events"));
    let body = event("locked", "buffer");
    let posted = tokio::spawn(async move { post_ids(&client, &url, &body).await });
    common::eventually(std::time::Duration::from_secs(10), "the group waits for the lock", || async {
        let waiting = "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted \
                       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";
        count(t.server.state.service.store(), waiting).await == 1
    })
    .await;
    assert!(!posted.is_finished(), "answered while another writer held the lock");
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(pipeline::store::WRITE_LOCK_KEY)
        .execute(&mut *replica)
        .await
        .unwrap();
    let (status, ids) = posted.await.unwrap();
    assert_eq!((status, ids.len()), (202, 1));
    t.stop().await;
}

/// The ids stored for `chat`, oldest first.
async fn stored_ids(t: &TestServer, chat: &str) -> Vec<i64> {
    let resp = t
        .client
        .get(t.url(&format!("/api/telemetry/history?chatId={chat}&limit=1000")))
        .header("cookie", &t.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let page: Value = resp.json().await.unwrap();
    let mut ids: Vec<i64> = page["events"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
    ids.reverse();
    ids
}

/// 64 requests at once, every fourth with one invalid item among five.
async fn concurrent_requests_are_stored_whole_or_not_at_all(b: Backend) {
    let t = TestServer::start(b).await;
    let requests: Vec<_> = (0..64)
        .map(|r| {
            let (client, url) = (t.client.clone(), t.url("/api/events"));
            let mut batch: Vec<Value> = (0..5).map(|i| event(&format!("req{r}"), &format!("s{i}"))).collect();
            if r % 4 == 0 {
                batch[2]["durationMs"] = json!("slow"); // invalid
            }
            tokio::spawn(async move { (r, post_ids(&client, &url, &Value::Array(batch)).await) })
        })
        .collect();
    let mut acked = BTreeSet::new();
    for req in requests {
        let (r, (status, ids)) = req.await.unwrap();
        let chat = format!("req{r}");
        if r % 4 == 0 {
            assert_eq!(status, 400, "request {r} has an invalid item");
            assert!(stored_ids(&t, &chat).await.is_empty(), "request {r} stored nothing");
        } else {
            assert_eq!(status, 202, "request {r}");
            assert_eq!(ids.len(), 5);
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "request {r}: ids in order {ids:?}");
            assert_eq!(stored_ids(&t, &chat).await, ids, "request {r} stored whole, under its ids");
            assert!(ids.iter().all(|id| acked.insert(*id)), "no id given twice");
        }
    }
    assert_eq!(acked.len(), 48 * 5);
    // The derived rows saw every stored event exactly once.
    let convs: Value = t
        .client
        .get(t.url("/api/telemetry/conversations?limit=200"))
        .header("cookie", &t.admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rows = convs["conversations"].as_array().expect("a conversation list");
    assert_eq!(rows.len(), 48, "one conversation per stored request");
    assert!(rows.iter().all(|c| c["events"] == 5), "{convs}");
    t.stop().await;
}

/// Makes the database refuse every event of the chat `poison`.
async fn poison(store: &Store) {
    match store {
        Store::Sqlite { writer, .. } => {
            sqlx::query(
                "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.chat_id = 'poison' \
                 BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
            )
            .execute(writer)
            .await
            .unwrap();
        }
        Store::Postgres(pool) => {
            sqlx::query(
                "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN \
                 IF NEW.chat_id = 'poison' THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            )
            .execute(pool)
            .await
            .unwrap();
            sqlx::query("CREATE TRIGGER poison BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION poison()")
                .execute(pool)
                .await
                .unwrap();
        }
    }
}

/// A trigger makes the database refuse one chat's rows; requests committed
/// in the same groups are stored as usual.
async fn a_request_the_database_refuses_fails_alone(b: Backend) {
    let t = TestServer::start(b).await;
    poison(t.server.state.service.store()).await;
    let requests: Vec<_> = (0..32)
        .map(|r| {
            let (client, url) = (t.client.clone(), t.url("/api/events"));
            let chat = if r % 8 == 3 { "poison".to_string() } else { format!("ok{r}") };
            let batch: Vec<Value> = (0..3).map(|i| event(&chat, &format!("s{i}"))).collect();
            tokio::spawn(async move { (chat, post_ids(&client, &url, &Value::Array(batch)).await) })
        })
        .collect();
    let mut stored = 0;
    for req in requests {
        let (chat, (status, ids)) = req.await.unwrap();
        if chat == "poison" {
            assert_eq!(status, 503, "the refused request fails");
        } else {
            assert_eq!(status, 202, "{chat} is stored although a neighbour was refused");
            assert_eq!(stored_ids(&t, &chat).await, ids);
            stored += ids.len();
        }
    }
    assert!(stored_ids(&t, "poison").await.is_empty(), "nothing of the refused requests");
    assert_eq!(stored, 28 * 3);
    let service = &t.server.state.service;
    let summary = summarize(service.store(), service.memo(), &SummaryQuery::default(), domain::time::now_ms()).await;
    assert_eq!(summary.unwrap().overview.events, stored as i64, "the rollups hold only what was stored");
    t.stop().await;
}

/// A client reads, drops, and resumes with `Last-Event-ID` while eight
/// posters keep the writer busy: every acknowledged id arrives once, in
/// order.
async fn a_stream_resumed_during_heavy_ingest_gets_every_id_once(b: Backend) {
    let t = TestServer::start(b).await;
    let first = t.post_ok(&event("warm", "a")).await;
    let posters: Vec<_> = (0..8)
        .map(|p| {
            let (client, url) = (t.client.clone(), t.url("/api/events"));
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for round in 0..25 {
                    let batch: Vec<Value> = (0..4).map(|i| event(&format!("p{p}"), &format!("r{round}-{i}"))).collect();
                    let (status, got) = post_ids(&client, &url, &Value::Array(batch)).await;
                    assert_eq!(status, 202);
                    ids.extend(got);
                }
                ids
            })
        })
        .collect();
    // Read a little of the live traffic, drop, and resume where we were.
    let mut sse = t.sse(Some(first[0])).await;
    let mut seen = sse.take_ids(20).await;
    drop(sse);
    let mut again = t.sse(Some(*seen.last().unwrap())).await;
    let mut acked = first.clone();
    for p in posters {
        acked.extend(p.await.unwrap());
    }
    acked.sort_unstable();
    let rest = acked.iter().filter(|id| **id > first[0]).count() - seen.len();
    seen.extend(again.take_ids(rest).await);
    let mut want: Vec<i64> = acked.into_iter().filter(|id| *id > first[0]).collect();
    want.sort_unstable();
    assert_eq!(seen, want, "every id after the first, once and in order");
    t.stop().await;
}

/// A group's batches are retried one by one, each in a savepoint, when the
/// database refuses one of them. A turn and a conversation new to the
/// store are opened by the first batch that brings them, and by no later
/// batch of the group, though the group writes their rows only after all
/// of its batches; a refused batch opens nothing.
async fn batches_of_one_group_open_a_turn_once(b: Backend) {
    let t = TestServer::start(b).await;
    let store = t.server.state.service.store();
    poison(store).await;
    let now = domain::time::now_ms() - 60_000;
    let stage = |chat: &str, turn: &str, name: &str, dt: i64| domain::Event {
        id: 0,
        chat_id: chat.into(),
        turn_id: Some(turn.into()),
        stage: name.into(),
        status: domain::Status::Success,
        ts: now + dt,
        duration_ms: Some(10),
        persona: None,
        model: None,
        provider: None,
        usage: Default::default(),
        error: None,
        meta: None,
        cost_nanos: domain::visibility::Cost::Shown(Some(0)),
        pricing_id: None,
        tenant: None,
        pipeline: None,
        tool: None,
        received_at: now + dt,
    };
    let before = count(store, "SELECT value FROM counters WHERE name = 'conversations'").await;
    let group = vec![
        vec![stage("shared", "t1", "intent", 0), stage("shared", "t1", "persona", 10)],
        vec![stage("poison", "p1", "intent", 20), stage("shared", "t9", "intent", 20)],
        vec![stage("shared", "t1", "response", 30), stage("shared", "t2", "intent", 40)],
        vec![stage("shared", "t2", "send", 50), stage("other", "t1", "intent", 60)],
    ];
    let done = store.insert_group(group, || false).await.unwrap();
    let stored: Vec<bool> = done.batches.iter().map(Result::is_ok).collect();
    assert_eq!(stored, [true, false, true, true], "only the poisoned batch is refused");

    let shared = store.conversation("shared").await.unwrap().expect("the shared conversation is stored");
    assert_eq!((shared.events, shared.turns), (5, 2), "five events in two turns, t1 opened once");
    let conversations = count(store, "SELECT value FROM counters WHERE name = 'conversations'").await;
    assert_eq!(conversations - before, 2, "shared and other, each counted once; poison not at all");
    let turns = count(store, "SELECT COUNT(*) FROM turns").await;
    assert_eq!(turns, 3, "t1 and t2 of shared, t1 of other: the refused batch's t9 is not stored");
    let opened = count(store, "SELECT COUNT(*) FROM events WHERE first_in_turn = 1").await;
    assert_eq!(opened, 3, "one event opens each turn");
    let service = &t.server.state.service;
    let summary = summarize(store, service.memo(), &SummaryQuery::default(), domain::time::now_ms()).await.unwrap();
    assert_eq!((summary.overview.events, summary.overview.turns), (6, 3), "the rollups count each turn once");
    t.stop().await;
}
