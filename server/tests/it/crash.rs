//! Crash safety: the real server binary, posted to by 16 clients at once
//! in batches of 1, 10 and 500, is killed with SIGKILL in the middle of
//! it, started again on the same database, and the database is checked:
//! every acknowledged event is stored under the id it was acknowledged
//! with, every batch is whole or absent, and the turns, conversations,
//! rollups and counters equal a recomputation from the stored events. On
//! SQLite and on Postgres. `CRASH_EVENTS` sets how many events the clients
//! aim for (the kill comes at half); `scripts/soak.sh` runs it with
//! 100,000, twenty times.

use crate::common;

use common::KEY;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CLIENTS: usize = 16;
const SIZES: [usize; 5] = [1, 10, 500, 10, 1];

fn target_events() -> usize {
    std::env::var("CRASH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000)
}

/// The server binary on `database_url`, logging into `dir`.
struct Running {
    child: Child,
    url: String,
}

async fn start(database_url: &str, dir: &std::path::Path, run: usize) -> Running {
    // The server picks its own port and logs it: a port picked here and
    // let go could be picked again by the other test (run alongside) before
    // this server binds it, and both tests' clients would then post to one
    // server, each finding the other's batches in its database.
    let log = dir.join(format!("stdout-{run}.log"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("serve")
        .env("FLOWMETER_CONFIG", dir.join("none.toml"))
        .env("DATABASE_URL", database_url)
        .env("FLOWMETER_ADDRESS", "127.0.0.1:0")
        .env("INGEST_API_KEYS", KEY)
        .env("SIMULATOR_ENABLED", "false")
        .env("ALERT_INTERVAL_SECS", "3600")
        .env("REDIS_URL", "")
        .env("LEPTOS_SITE_ROOT", dir)
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "warn,server::startup=info")
        .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(dir.join(format!("stderr-{run}.log"))).unwrap()))
        .spawn()
        .expect("the server binary starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let url = loop {
        let listening = std::fs::read_to_string(&log).unwrap_or_default().lines().find_map(|line| {
            let line: Value = serde_json::from_str(line).ok()?;
            (line["message"] == "Flowmeter is listening.").then(|| line["url"].as_str().map(str::to_string))?
        });
        if let Some(url) = listening {
            break url;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the server exited ({status}) before listening (logs in {dir:?})");
        }
        assert!(std::time::Instant::now() < deadline, "the server did not listen within 60 s (logs in {dir:?})");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let resp = reqwest::get(format!("{url}/api/ping")).await.expect("the server answers");
    assert_eq!(resp.status(), 200, "ping");
    Running { child, url }
}

/// One batch: one turn of its own (the turn id names the batch) in one of
/// three conversations per client, priced, with an error now and then.
fn batch(client: usize, k: usize, size: usize) -> (String, Value) {
    let turn = format!("c{client}-b{k}");
    let chat = format!("crash-c{client}-{}", k % 3);
    let events = (0..size)
        .map(|i| {
            json!({
                "chatId": chat, "turnId": turn, "stage": format!("s{}", i % 6),
                "status": if (k + i).is_multiple_of(7) { "error" } else { "success" },
                "durationMs": 10 + i % 50, "model": "gpt-4o-mini", "persona": format!("p{}", client % 4),
                "usage": {"inputTokens": 100 + i, "outputTokens": 10 + i % 13},
            })
        })
        .collect();
    (turn, Value::Array(events))
}

/// The batches acknowledged (turn id → ids), and how many events.
#[derive(Default)]
struct Acks {
    batches: Mutex<BTreeMap<String, Vec<i64>>>,
    events: AtomicUsize,
}

async fn load(url: String, acks: Arc<Acks>, client: usize, stop_at: usize) {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    for k in 0.. {
        if acks.events.load(Ordering::Relaxed) >= stop_at {
            return;
        }
        let (turn, body) = batch(client, k, SIZES[(client + k) % SIZES.len()]);
        let resp = http.post(format!("{url}/api/events")).header("x-api-key", KEY).json(&body).send().await;
        let Ok(resp) = resp else { return }; // the server is gone
        if resp.status() != 202 {
            continue; // a 503 (busy): not acknowledged, may not be stored
        }
        let Ok(ack) = resp.json::<Value>().await else { return };
        let ids: Vec<i64> = ack["ids"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
        acks.events.fetch_add(ids.len(), Ordering::Relaxed);
        acks.batches.lock().unwrap().insert(turn, ids);
    }
}

enum Db {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

macro_rules! fetch {
    ($db:expr, $sql:expr, $row:ty) => {
        match $db {
            Db::Sqlite(p) => sqlx::query_as::<_, $row>($sql).fetch_all(p).await.unwrap(),
            Db::Postgres(p) => sqlx::query_as::<_, $row>($sql).fetch_all(p).await.unwrap(),
        }
    };
}

/// What the database must hold after the crash, whatever moment it hit.
async fn check(db: &Db, acks: &Acks) {
    // Every acknowledged batch, under its acknowledged ids.
    let stored: Vec<(String, i64)> = fetch!(db, "SELECT turn_id, id FROM events ORDER BY id", (String, i64));
    let mut by_batch: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (turn, id) in stored {
        by_batch.entry(turn).or_default().push(id);
    }
    let acked = acks.batches.lock().unwrap().clone();
    for (turn, ids) in acked.iter() {
        assert_eq!(by_batch.get(turn), Some(ids), "acknowledged batch {turn} is stored with its ids");
    }
    // Every batch whole or absent: its size follows from its name.
    for (turn, ids) in &by_batch {
        let (client, k) = turn[1..].split_once("-b").unwrap();
        let size = SIZES[(client.parse::<usize>().unwrap() + k.parse::<usize>().unwrap()) % SIZES.len()];
        assert_eq!(ids.len(), size, "batch {turn} is whole");
    }
    // Conversations: recomputed from the events.
    let per_chat = "SELECT chat_id, COUNT(*), COUNT(DISTINCT turn_id), \
        CAST(SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS BIGINT), CAST(SUM(input_tokens) AS BIGINT), \
        CAST(SUM(output_tokens) AS BIGINT), CAST(SUM(COALESCE(cost_nanos, 0)) AS BIGINT), MAX(id) \
        FROM events GROUP BY chat_id ORDER BY chat_id";
    let stored = "SELECT chat_id, events, turns, errors, input_tokens, output_tokens, cost_nanos, last_event_id \
        FROM conversations ORDER BY chat_id";
    type Chat = (String, i64, i64, i64, i64, i64, i64, i64);
    assert_eq!(fetch!(db, stored, Chat), fetch!(db, per_chat, Chat), "conversations equal the events");
    // Turns: one row per turn the events name.
    let turns = "SELECT chat_id, turn_id FROM turns ORDER BY chat_id, turn_id";
    let from_events = "SELECT DISTINCT chat_id, turn_id FROM events ORDER BY chat_id, turn_id";
    assert_eq!(fetch!(db, turns, (String, String)), fetch!(db, from_events, (String, String)), "turns");
    // Rollups at every grain, and their totals tables.
    type Totals = (i64, i64, i64, i64, i64);
    let raw: Totals = fetch!(
        db,
        "SELECT COUNT(*), CAST(SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(input_tokens) AS BIGINT), CAST(SUM(output_tokens) AS BIGINT), CAST(SUM(COALESCE(cost_nanos, 0)) AS BIGINT) FROM events",
        Totals
    )[0];
    for table in
        ["rollup_minute", "rollup_hour", "rollup_day", "rollup_minute_total", "rollup_hour_total", "rollup_day_total"]
    {
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(events), 0) AS BIGINT), CAST(COALESCE(SUM(errors), 0) AS BIGINT), \
             CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT), CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT), \
             CAST(COALESCE(SUM(cost_nanos), 0) AS BIGINT) FROM {table}"
        );
        assert_eq!(fetch!(db, &sql, Totals)[0], raw, "{table} equals the events");
    }
    let counter = fetch!(db, "SELECT value FROM counters WHERE name = 'conversations'", (i64,))[0].0;
    let chats = fetch!(db, "SELECT COUNT(*) FROM conversations", (i64,))[0].0;
    assert_eq!(counter, chats, "the conversation counter");
}

async fn crash_and_check(database_url: String, open: impl std::future::Future<Output = Db>) {
    let dir = tempfile::tempdir().unwrap();
    let target = target_events();
    let mut server = start(&database_url, dir.path(), 0).await;
    let acks = Arc::new(Acks::default());
    let clients: Vec<_> =
        (0..CLIENTS).map(|c| tokio::spawn(load(server.url.clone(), acks.clone(), c, target))).collect();
    // Kill at half the target: requests are in flight, some commits too.
    // (Or every client stopped, which only a lost server makes them do.)
    common::eventually(Duration::from_secs(300), "half the events acknowledged", || async {
        acks.events.load(Ordering::Relaxed) >= target / 2 || clients.iter().all(|c| c.is_finished())
    })
    .await;
    let acked = acks.events.load(Ordering::Relaxed);
    assert!(acked >= target / 2, "the clients lost the server after {acked} events (logs in {:?})", dir.path());
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    for c in clients {
        c.await.unwrap();
    }
    let acknowledged = acks.events.load(Ordering::Relaxed);
    // Started again on the same database: it opens, and still takes events.
    let mut again = start(&database_url, dir.path(), 1).await;
    let db = open.await;
    check(&db, &acks).await;
    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{}/api/events", again.url))
        .header("x-api-key", KEY)
        .json(&batch(99, 0, 1).1)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let max_acked = acks.batches.lock().unwrap().values().flatten().copied().max().unwrap_or(0);
    let id = resp.json::<Value>().await.unwrap()["ids"][0].as_i64().unwrap();
    assert!(id > max_acked, "new ids follow the acknowledged ones");
    again.child.kill().unwrap();
    again.child.wait().unwrap();
    eprintln!("crash: killed after {acknowledged} acknowledged events; all stored, totals consistent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_survives_sigkill_mid_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let url = format!("sqlite://{}", path.display());
    // The server creates the file; the check reads it with a pool of its own.
    let db_url = url.clone();
    let check_db = async move {
        Db::Sqlite(sqlx::SqlitePool::connect(&format!("{db_url}?mode=ro")).await.expect("open the crashed database"))
    };
    crash_and_check(url, check_db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_survives_sigkill_mid_ingest() {
    if common::postgres_admin_url().is_none() {
        return;
    }
    let (url, (admin, name)) = common::fresh_postgres_database().await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let for_check = pool.clone();
    crash_and_check(url, async move { Db::Postgres(for_check) }).await;
    pool.close().await;
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
}
