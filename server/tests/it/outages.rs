//! Dependency outages, for real: Postgres cut off mid-traffic (through a
//! TCP proxy the test opens and closes, in front of the real server, so
//! the shared test cluster keeps running for the other tests), and SQLite
//! on a full disk (a small tmpfs filled to the last byte). Ingest answers
//! 503 with `Retry-After` and stores nothing partial, health says
//! degraded, and when the dependency returns everything recovers by
//! itself, without a restart. (Redis going away is in `cluster.rs`.)

use crate::common;

use common::{event, TestServer};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// A TCP proxy to `upstream` that can be cut (every open connection
/// dropped, new ones refused by closing them at once) and restored.
struct Proxy {
    addr: std::net::SocketAddr,
    cut: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (c, o) = (cut.clone(), open.clone());
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else { continue };
                if c.load(Ordering::SeqCst) {
                    drop(inbound); // as a stopped server would
                    continue;
                }
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut out) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                o.lock().unwrap().push(task.abort_handle());
            }
        })
        .abort_handle();
        Proxy { addr, cut, open, accept }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for task in self.open.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

/// Posts `body`; the status, `Retry-After` and JSON.
async fn post(t: &TestServer, body: &Value) -> (u16, Option<String>, Value) {
    let resp = t.client.post(t.url("/api/events")).header("x-api-key", common::KEY).json(body).send().await.unwrap();
    let status = resp.status().as_u16();
    let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    (status, retry, resp.json().await.unwrap_or(Value::Null))
}

async fn health_status(t: &TestServer) -> (u16, String) {
    let (status, body) = t.get_as("/api/health", None).await;
    (status, body["status"].as_str().unwrap_or("").to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_cut_off_mid_traffic_then_back() {
    if common::postgres_admin_url().is_none() {
        return;
    }
    let (url, db) = common::fresh_postgres_database().await;
    // postgres://user@host:port/db → through the proxy.
    let (scheme_user, rest) = url.split_once('@').unwrap();
    let (host_port, name) = rest.split_once('/').unwrap();
    let proxy = Proxy::start(host_port.to_string()).await;
    let proxied = format!("{scheme_user}@{}/{name}", proxy.addr);
    let t = TestServer::start_on(proxied, tempfile::tempdir().unwrap(), Some(db), |_| {}).await;
    let before = t.post_ok(&Value::Array((0..3).map(|i| event("before", &format!("s{i}"))).collect())).await;
    assert_eq!(health_status(&t).await, (200, "healthy".into()));

    proxy.cut();
    let batch = Value::Array((0..50).map(|i| event("during", &format!("s{i}"))).collect());
    let (status, retry, body) = post(&t, &batch).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(retry.as_deref(), Some("5"));
    assert!(body["error"].as_str().unwrap().contains("nothing was stored"), "{body}");
    assert_eq!(health_status(&t).await, (503, "degraded".into()));
    // A signed-in visitor is told the database is away (not sent to sign
    // in again); the API says the same in JSON.
    let page = t.client.get(t.url("/")).header("cookie", &t.admin).send().await.unwrap();
    assert_eq!(page.status(), 503);
    assert_eq!(page.headers()["retry-after"], "5");
    let html = page.text().await.unwrap();
    assert!(html.contains("data-unavailable") && html.contains("cannot reach its database"), "{html}");
    let (status, body) = t.get_json("/api/telemetry/history").await;
    assert_eq!(status, 503, "{body}");
    assert!(body["error"].as_str().unwrap().contains("unavailable"), "{body}");
    // So does a server function (what an open page calls to refresh), in
    // the encoding the page decodes, so it can say why (`server_fn` checks).
    let (status, body) = t.server_fn("/api/costs/budgets", "", Some(&t.admin)).await;
    assert_eq!(status, 503, "{body}");
    assert!(body["error"].as_str().unwrap().contains("unavailable"), "{body}");

    proxy.restore();
    // Back by itself: the pool reconnects; no restart.
    common::eventually(Duration::from_secs(30), "ingest recovers", || async {
        post(&t, &Value::Array(vec![event("after", "s0")])).await.0 == 202
    })
    .await;
    assert_eq!(health_status(&t).await, (200, "healthy".into()));
    let page = t.client.get(t.url("/")).header("cookie", &t.admin).send().await.unwrap();
    assert_eq!(page.status(), 200, "the session outlived the outage");
    let ids: Vec<i64> = t.history("chatId=before").await.iter().map(|e| e["id"].as_i64().unwrap()).rev().collect();
    assert_eq!(ids, before, "what was stored before is all there");
    assert!(t.history("chatId=during").await.is_empty(), "nothing of the refused batch");
    assert_eq!(t.history("chatId=after").await.len(), 1);
    t.stop().await;
}

/// A tmpfs of `size` at `dir`, or `None` (with a notice) where this
/// machine does not allow mounting (not root, or a container without the
/// capability).
fn mount_tmpfs(dir: &std::path::Path, size: &str) -> Option<()> {
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("notice: cannot mount a tmpfs here (needs root), so the full-disk test is skipped");
    }
    ok.then_some(())
}

/// Fills the file system holding `path` to the last byte.
fn fill(path: &std::path::Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(path).unwrap();
    let block = vec![0u8; 64 * 1024];
    while f.write_all(&block).is_ok() {}
    // The last partial block, byte by byte.
    while f.write_all(&[0]).is_ok() {}
    let _ = f.flush();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_on_a_full_disk_refuses_then_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk");
    std::fs::create_dir(&disk).unwrap();
    if mount_tmpfs(&disk, "16m").is_none() {
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(disk.clone());
    let url = format!("sqlite://{}", disk.join("test.db").display());
    let t = TestServer::start_on(url, tempfile::tempdir().unwrap(), None, |_| {}).await;
    t.post_ok(&Value::Array((0..20).map(|i| event("before", &format!("s{i}"))).collect())).await;

    let ballast = disk.join("ballast");
    fill(&ballast);
    // Until a batch needs more of the disk than is left: the log may still
    // have room for some (its file keeps the size it grew to).
    let batch = |chat: &str| Value::Array((0..1000).map(|i| event(chat, &format!("s{}", i % 6))).collect());
    let mut accepted = 0;
    let (status, retry, body) = loop {
        let (status, retry, body) = post(&t, &batch(&format!("during{accepted}"))).await;
        if status != 202 || accepted == 100 {
            break (status, retry, body);
        }
        accepted += 1;
    };
    assert_eq!(status, 503, "{body}");
    assert_eq!(retry.as_deref(), Some("5"));
    assert!(body["error"].as_str().unwrap().contains("nothing was stored"), "{body}");

    // Space returns: ingest recovers by itself, and the file is sound.
    std::fs::remove_file(&ballast).unwrap();
    let after = Value::Array((0..500).map(|i| event("after", &format!("s{}", i % 6))).collect());
    common::eventually(Duration::from_secs(30), "ingest recovers", || async { post(&t, &after).await.0 == 202 }).await;
    assert_eq!(t.history("chatId=before").await.len(), 20);
    assert!(t.history(&format!("chatId=during{accepted}")).await.is_empty(), "nothing of the refused batch");
    for k in 0..accepted {
        let stored = t.history(&format!("chatId=during{k}&limit=1000")).await.len();
        assert_eq!(stored, 1000, "acknowledged batch {k}, whole");
    }
    assert_eq!(t.history("chatId=after&limit=1000").await.len(), 500, "the batch after, whole");
    let pipeline::store::Store::Sqlite { readers, .. } = t.server.state.service.store() else { unreachable!() };
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(readers).await.unwrap();
    assert_eq!(check, "ok");
    t.stop().await;
}
