//! A real server on a free port, on SQLite (a temporary file) or on a fresh
//! Postgres database (from `FLOWMETER_TEST_POSTGRES_URL`), plus a small SSE
//! client. Nothing is mocked.
#![allow(dead_code, unused_macros)]

use axum::routing::post;
use domain::auth::Role;
use futures::StreamExt;
use serde_json::{json, Value};
use server::config::Config;
use server::Server;
use sqlx::Connection;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const KEY: &str = "test-ingest-key";

/// Runs each listed `async fn name(backend)` as two tests, on SQLite and
/// on Postgres (skipped, with a notice, when no test Postgres is given).
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name(super::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() {
                   if super::common::postgres_admin_url().is_some() {
                       super::$name(super::Backend::Postgres).await
                   }
               } )*
        }
    };
}

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestServer {
    pub server: Server,
    pub client: reqwest::Client,
    /// `Cookie` header values of a signed-in admin and viewer.
    pub admin: String,
    pub viewer: String,
    _dir: tempfile::TempDir,
    pg_db: Option<(String, String)>,
}

pub const ADMIN_EMAIL: &str = "admin@test.local";
pub const VIEWER_EMAIL: &str = "viewer@test.local";
pub const PASSWORD: &str = "correct horse battery";

/// A new, empty Postgres database: its URL, and (admin URL, name) to drop it.
pub async fn fresh_postgres_database() -> (String, (String, String)) {
    let admin = postgres_admin_url().expect("a test Postgres (see `both_backends!`)");
    let name = format!("fm_test_{}", rand_suffix());
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to the test Postgres");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
    (format!("{base}/{name}"), (admin, name))
}

/// A Redis server of the test's own (Debian's `redis-server`, no disk), on
/// a free port, which a test may stop and start again.
pub struct RedisServer {
    pub port: u16,
    child: Option<std::process::Child>,
}

impl RedisServer {
    /// `None`, with a notice, when `redis-server` is not installed.
    pub async fn start() -> Option<RedisServer> {
        if std::process::Command::new("redis-server").arg("--version").output().is_err() {
            use std::io::Write;
            let _ = std::io::stderr().write_all(b"notice: redis-server is not installed, so the Redis tests are skipped (scripts/test.sh installs it)\n");
            return None;
        }
        // A port picked here and let go can be picked again by a test
        // running alongside before its redis-server binds it: then one of
        // the two exits, and the other test would talk to the wrong server.
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let mut r = RedisServer { port, child: None };
            if r.launch().await {
                return Some(r);
            }
        }
        panic!("redis-server did not start on any of five free ports");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it again, empty, on its port, and waits until it answers.
    pub async fn resume(&mut self) {
        assert!(self.launch().await, "redis-server did not start again on port {}", self.port);
    }

    /// Starts it on its port; whether this very process answers there
    /// (by the process id it reports), rather than exiting at once.
    async fn launch(&mut self) -> bool {
        let mut child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if child.try_wait().unwrap().is_some() {
                return false; // the port was taken
            }
            if let Some(pid) = redis_pid(self.port).await {
                if pid == child.id() {
                    self.child = Some(child);
                    return true;
                }
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("redis-server did not answer on port {} within 10 s", self.port);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Kills it (as a crash would).
    pub fn halt(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.halt();
    }
}

/// The process id of the Redis server answering on `port`, if one does.
async fn redis_pid(port: u16) -> Option<u32> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    conn.write_all(b"INFO server\r\n").await.ok()?;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&seen);
        if let Some(rest) = text.split("\r\nprocess_id:").nth(1) {
            if let Some((pid, _)) = rest.split_once("\r\n") {
                return pid.trim().parse().ok();
            }
        }
        let n = tokio::time::timeout(Duration::from_secs(2), conn.read(&mut buf)).await.ok()?.ok()?;
        if n == 0 {
            return None;
        }
        seen.extend_from_slice(&buf[..n]);
    }
}

/// Daily budgets count from UTC midnight: a test that spends and then
/// checks within one day starts clear of it, waiting until midnight has
/// passed when it is less than `margin` away.
pub async fn clear_of_midnight(margin: Duration) {
    const DAY_MS: i64 = 86_400_000;
    let left = DAY_MS - domain::time::now_ms().rem_euclid(DAY_MS);
    if left < margin.as_millis() as i64 {
        tokio::time::sleep(Duration::from_millis(left as u64 + 100)).await;
    }
}

/// Polls `check` every 50 ms until it holds, for up to `within`.
pub async fn eventually<F, Fut>(within: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The admin URL of the test Postgres (`scripts/test.sh` starts one and
/// sets `FLOWMETER_TEST_POSTGRES_URL`); without it the Postgres half of the
/// tests is skipped, and says so.
pub fn postgres_admin_url() -> Option<String> {
    let url = std::env::var("FLOWMETER_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        static NOTICE: std::sync::Once = std::sync::Once::new();
        // Written to the terminal directly: the test harness hides what
        // passing tests print.
        NOTICE.call_once(|| {
            use std::io::Write;
            let _ = std::io::stderr().write_all(
                b"notice: FLOWMETER_TEST_POSTGRES_URL is not set, so the Postgres tests are skipped (scripts/test.sh runs them)\n",
            );
        });
    }
    url
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        TestServer::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                TestServer::start_on(url, dir, None, tweak).await
            }
            Backend::Postgres => {
                let (url, db) = fresh_postgres_database().await;
                TestServer::start_on(url, dir, Some(db), tweak).await
            }
        }
    }

    /// A server on `database_url` (another replica may share it); `pg_db`
    /// is a Postgres database to drop when this server stops.
    pub async fn start_on(
        database_url: String,
        dir: tempfile::TempDir,
        pg_db: Option<(String, String)>,
        tweak: impl FnOnce(&mut Config),
    ) -> TestServer {
        let mut config = Config {
            address: "127.0.0.1:0".parse().unwrap(),
            database_url,
            ingest_api_keys: vec![KEY.to_string()],
            simulator: false,
            export_dir: Some(dir.path().join("exports").display().to_string()),
            // Alert tests run the engine themselves: the server's own task
            // (every 15 s by default) would race them. A test that wants it
            // sets its own interval.
            alert_interval_secs: 3600,
            ..Config::default()
        };
        tweak(&mut config);
        // What the server logs at `warn` and above (`RUST_LOG` to change
        // it) goes to the test's captured output, so a failing test shows
        // the cause of an unexpected 5xx, not only its status.
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
        let server = Server::start(config).await.expect("server starts");
        let hash = pipeline::auth::password::hash(PASSWORD).unwrap();
        let store = &server.state.service.store();
        // (A second replica on the same database finds them made.)
        store.create_user(ADMIN_EMAIL, &hash, Role::Admin, 0).await.unwrap();
        store.create_user(VIEWER_EMAIL, &hash, Role::Viewer, 0).await.unwrap();
        // A request that hangs fails the test (naming its URL) instead of
        // hanging it.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            // The server closes a connection idle for its request deadline
            // (1 s in the hardening tests); a request sent on one just then
            // fails. Idle ones are given up sooner, so none is reused late.
            .pool_idle_timeout(Duration::from_millis(500))
            .build()
            .unwrap();
        let mut t = TestServer { server, client, admin: String::new(), viewer: String::new(), _dir: dir, pg_db };
        t.admin = t.login(ADMIN_EMAIL, PASSWORD).await.expect("admin signs in");
        t.viewer = t.login(VIEWER_EMAIL, PASSWORD).await.expect("viewer signs in");
        t
    }

    /// Signs in; returns the `Cookie` header value, or the refusal's status.
    pub async fn login(&self, email: &str, password: &str) -> Result<String, u16> {
        let resp = self
            .client
            .post(self.url("/api/auth/login"))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap();
        if !resp.status().is_success() {
            return Err(resp.status().as_u16());
        }
        let set = resp.headers()["set-cookie"].to_str().unwrap();
        Ok(set.split(';').next().unwrap().to_string())
    }

    /// The `Origin` the server counts as its own.
    pub fn origin(&self) -> String {
        self.server.url()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    /// Posts `body` with the test key; returns status and JSON body.
    pub async fn post_raw(&self, body: impl Into<reqwest::Body>, content_type: &str) -> (u16, Value) {
        let resp = self
            .client
            .post(self.url("/api/events"))
            .header("x-api-key", KEY)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, body: &Value) -> (u16, Value) {
        self.post_raw(body.to_string(), "application/json").await
    }

    /// Posts and expects 202; returns the assigned ids.
    pub async fn post_ok(&self, body: &Value) -> Vec<i64> {
        let (status, json) = self.post(body).await;
        assert_eq!(status, 202, "{json}");
        json["ids"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect()
    }

    /// GET as the admin.
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        self.get_as(path, Some(&self.admin)).await
    }

    /// GET with a session cookie (or none).
    pub async fn get_as(&self, path: &str, cookie: Option<&str>) -> (u16, Value) {
        let mut req = self.client.get(self.url(path));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Calls a server function (form-encoded arguments) as `cookie`, from
    /// this site; returns the status and the JSON answer.
    pub async fn server_fn(&self, path: &str, form: &str, cookie: Option<&str>) -> (u16, Value) {
        let mut req = self
            .client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", self.origin())
            .body(form.to_string());
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        if status >= 400 {
            // Refused before or while running, the answer is in the
            // encoding the browser's caller decodes, never JSON it cannot.
            use leptos::server_fn::error::FromServerFnError;
            return match <leptos::prelude::ServerFnError>::de(text.clone().into()) {
                leptos::prelude::ServerFnError::ServerError(message) => {
                    (status, serde_json::json!({ "error": message }))
                }
                other => panic!("{path}: a {status} the browser cannot decode ({other:?}): {text}"),
            };
        }
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn history(&self, query: &str) -> Vec<Value> {
        let (status, json) = self.get_json(&format!("/api/telemetry/history?{query}")).await;
        assert_eq!(status, 200, "{json}");
        json["events"].as_array().unwrap().clone()
    }

    pub async fn sse(&self, last_event_id: Option<i64>) -> Sse {
        let mut req = self.client.get(self.url("/api/telemetry/stream")).header("cookie", &self.admin);
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        Sse { body: Box::pin(resp.bytes_stream()), buf: String::new() }
    }

    pub async fn stop(self) {
        self.server.stop().await;
        if let Some((admin, name)) = self.pg_db {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
            }
        }
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{}_{}_{}", std::process::id(), nanos, N.fetch_add(1, Ordering::Relaxed))
}

/// One server-sent event.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SseMessage {
    pub event: Option<String>,
    pub id: Option<String>,
    pub data: String,
}

impl SseMessage {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap()
    }
}

type ByteStream = std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

pub struct Sse {
    body: ByteStream,
    buf: String,
}

impl Sse {
    /// A stream already opened (status checked by the caller).
    pub fn of(resp: reqwest::Response) -> Sse {
        Sse { body: Box::pin(resp.bytes_stream()), buf: String::new() }
    }

    /// The next event (comments such as heartbeats are skipped), or `None`
    /// if none arrives within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<SseMessage> {
        tokio::time::timeout(wait, self.next()).await.ok().flatten()
    }

    pub async fn next(&mut self) -> Option<SseMessage> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut msg = SseMessage::default();
                let mut data = Vec::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("data:") {
                        data.push(v.trim_start().to_string());
                    } else if let Some(v) = line.strip_prefix("id:") {
                        msg.id = Some(v.trim_start().to_string());
                    } else if let Some(v) = line.strip_prefix("event:") {
                        msg.event = Some(v.trim_start().to_string());
                    }
                }
                if data.is_empty() && msg.event.is_none() {
                    continue; // a comment or retry-only block
                }
                msg.data = data.join("\n");
                return Some(msg);
            }
            let chunk = self.body.next().await?.ok()?;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next `n` telemetry events (skipping `connected`), as ids.
    pub async fn take_ids(&mut self, n: usize) -> Vec<i64> {
        let mut ids = Vec::with_capacity(n);
        while ids.len() < n {
            let msg = self.next_within(Duration::from_secs(10)).await.expect("an event within 10 s");
            if msg.event.as_deref() == Some("connected") {
                continue;
            }
            let id: i64 = msg.id.as_deref().unwrap().parse().unwrap();
            assert_eq!(msg.json()["id"].as_i64(), Some(id), "the SSE id is the event id");
            ids.push(id);
        }
        ids
    }
}

/// A valid event for chat `chat` and stage `stage`.
pub fn event(chat: &str, stage: &str) -> Value {
    serde_json::json!({ "chatId": chat, "turnId": format!("{chat}-t1"), "stage": stage, "durationMs": 12 })
}

/// Posts `body` with the test key (from any task: no `TestServer` needed);
/// returns the status and the ids (none when refused).
pub async fn post_ids(client: &reqwest::Client, url: &str, body: &Value) -> (u16, Vec<i64>) {
    let resp = client.post(url).header("x-api-key", KEY).json(body).send().await.unwrap();
    let status = resp.status().as_u16();
    let json: Value = resp.json().await.unwrap();
    let ids = json["ids"].as_array().map(|a| a.iter().map(|v| v.as_i64().unwrap()).collect()).unwrap_or_default();
    (status, ids)
}

/// A webhook receiver on a free port: records bodies, answers `status`.
pub struct Receiver {
    /// `…/hook` on the receiver.
    pub url: String,
    /// The receiver itself (`http://127.0.0.1:port`), for APIs that build
    /// their own paths (Telegram's `/bot<token>/sendMessage`).
    pub base: String,
    /// Every JSON body received, in order.
    pub calls: Arc<Mutex<Vec<Value>>>,
    /// The path of each call, in the same order.
    pub paths: Arc<Mutex<Vec<String>>>,
}

/// A local webhook receiver that answers every POST with `status`.
pub async fn receiver(status: u16) -> Receiver {
    receiver_answering(vec![status]).await
}

/// A receiver that answers the n-th POST (any path) with `statuses[n]`,
/// and the last one from then on.
pub async fn receiver_answering(statuses: Vec<u16>) -> Receiver {
    let calls: Arc<Mutex<Vec<Value>>> = Arc::default();
    let paths: Arc<Mutex<Vec<String>>> = Arc::default();
    let (seen, seen_paths) = (calls.clone(), paths.clone());
    let app = axum::Router::new().fallback(post(move |uri: axum::http::Uri, axum::Json(body): axum::Json<Value>| {
        let (seen, seen_paths, statuses) = (seen.clone(), seen_paths.clone(), statuses.clone());
        async move {
            let mut calls = seen.lock().unwrap();
            let status = statuses[calls.len().min(statuses.len() - 1)];
            calls.push(body);
            seen_paths.lock().unwrap().push(uri.path().to_string());
            axum::http::StatusCode::from_u16(status).unwrap()
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver { url: format!("{base}/hook"), base, calls, paths }
}

/// The integer `sql` reads from `store`, for checks of what is stored.
pub async fn count(store: &pipeline::store::Store, sql: &str) -> i64 {
    use pipeline::store::Store;
    match store {
        Store::Sqlite { readers, .. } => sqlx::query_scalar(sql).fetch_one(readers).await.unwrap(),
        Store::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

/// A small seeded random source.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// `n` events over the three days from `base`: fifteen conversations, each
/// with one tenant and pipeline (or none), of every stage, status and
/// model, priced or not, with tools, personas and usage.
pub fn random_events(rng: &mut Rng, base: i64, n: usize) -> Vec<Value> {
    let models = [
        Some("gpt-4o"),
        Some("gpt-4o-mini"),
        Some("claude-sonnet-4-20250514"),
        Some("llama-3.1-8b-instant"),
        Some("house-llm"),
        None,
    ];
    let stages = ["buffer", "intent", "persona", "tools", "response", "send"];
    let personas = [Some("sage"), Some("scout"), None];
    (0..n)
        .map(|_| {
            let n = rng.below(15);
            let chat = format!("chat-{n}");
            let mut e = json!({
                "chatId": chat,
                "turnId": format!("t{}", rng.below(4)),
                "stage": rng.pick(&stages),
                "status": rng.pick(&["success", "success", "success", "error", "running"]),
                "ts": base + rng.below(3 * 24 * 3_600_000u64) as i64,
            });
            if rng.below(4) > 0 {
                e["durationMs"] = json!(rng.below(12_000));
            }
            if let Some(m) = rng.pick(&models) {
                e["model"] = json!(m);
            }
            if let Some(p) = rng.pick(&personas) {
                e["persona"] = json!(p);
            }
            // Tool stages name their tool, mostly.
            if e["stage"] == "tools" && rng.below(4) > 0 {
                e["meta"] = json!({"tool": rng.pick(&["web_search", "crm_lookup", "calculator"])});
            }
            // A conversation belongs to one tenant (or none).
            if let Some(tenant) = [Some("acme"), Some("globex"), None][n as usize % 3] {
                e["tenant"] = json!(tenant);
            }
            // And to one pipeline (or none), independently of its tenant.
            if let Some(pipeline) = [Some("chat-bot"), None, Some("rag")][n as usize % 5 % 3] {
                e["pipeline"] = json!(pipeline);
            }
            if rng.below(5) > 0 {
                let input = rng.below(5000) as i64;
                let output = rng.below(1000) as i64;
                e["usage"] = json!({
                    "inputTokens": input,
                    "outputTokens": output,
                    "cachedInputTokens": if input > 0 { rng.below(input as u64) } else { 0 },
                    "reasoningTokens": if output > 0 { rng.below(output as u64) } else { 0 },
                });
            }
            e
        })
        .collect()
}

/// Forty events a minute apart from `base`, half of them `house-llm`
/// (unpriced), and a price for it from minute 20 on ($1 / $2 per 1M): a
/// reprice then prices ten of them, for 12,000,000 nanodollars.
pub fn house_llm_priced_later(base: i64) -> (Vec<Value>, domain::pricing::PriceUpdate) {
    let items = (0..40)
        .map(|i| {
            json!({"chatId": format!("c{}", i % 5), "turnId": "t", "stage": "response", "ts": base + i * 60_000 + 17,
                   "model": if i % 2 == 0 { "house-llm" } else { "gpt-4o" }, "usage": {"inputTokens": 1000, "outputTokens": 100}})
        })
        .collect();
    let update = domain::pricing::PriceUpdate {
        id: "house-llm".into(),
        pattern: "house-llm".into(),
        input: "1".into(),
        output: "2".into(),
        effective_from: base + 20 * 60_000,
        ..Default::default()
    };
    (items, update)
}
