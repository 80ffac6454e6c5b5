//! The limits that keep one client from taking the server: the request
//! deadline against slow headers and slow bodies, the caps on live
//! streams, and the per-key ingest rate. Each is tripped for real, on a
//! real server, and each refusal is checked for what it stored (nothing).

use crate::common;

use common::{Backend, TestServer, KEY};
use domain::auth::KeyScope;
use futures::StreamExt;
use pipeline::service::Viewer;
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads what the server sends until it closes the connection (or 10 s
/// pass, which fails the test).
async fn read_to_close(conn: &mut TcpStream) -> String {
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut out))
        .await
        .expect("the server closes the connection within 10 s")
        .ok();
    String::from_utf8_lossy(&out).into_owned()
}

async fn stored(t: &TestServer) -> usize {
    t.history("limit=1000").await.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_body_gets_408_and_stores_nothing() {
    let t = TestServer::start_with(Backend::Sqlite, |c| c.request_timeout_secs = 1).await;
    let body = serde_json::to_vec(&common::event("slow", "intent")).unwrap();
    let mut conn = TcpStream::connect(t.server.addr).await.unwrap();
    let head = format!(
        "POST /api/events HTTP/1.1\r\nhost: {}\r\nx-api-key: {KEY}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        t.server.addr,
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    // One byte every 100 ms: the whole body would take seconds; the
    // deadline is one second.
    let mut answer = String::new();
    for byte in &body[..body.len() - 1] {
        if conn.write_all(&[*byte]).await.is_err() {
            break;
        }
        let mut buf = [0u8; 4096];
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(100), conn.read(&mut buf)).await {
            answer.push_str(&String::from_utf8_lossy(&buf[..n]));
            break;
        }
    }
    if answer.is_empty() {
        answer = read_to_close(&mut conn).await;
    }
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("did not arrive within 1 s; nothing was stored"), "{answer}");
    assert_eq!(stored(&t).await, 0);
    // The same event sent at once is stored: the deadline only stops the slow.
    t.post_ok(&common::event("slow", "intent")).await;
    assert_eq!(stored(&t).await, 1);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_that_never_finish_lose_their_connection() {
    let t = TestServer::start_with(Backend::Sqlite, |c| c.request_timeout_secs = 1).await;
    let mut conn = TcpStream::connect(t.server.addr).await.unwrap();
    conn.write_all(b"GET /api/ping HTTP/1.1\r\nhost: x\r\nx-slow: ").await.unwrap();
    let started = std::time::Instant::now();
    // Trickle a header byte by byte; the server must hang up.
    let mut closed = false;
    for _ in 0..100 {
        if conn.write_all(b"a").await.is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 1024];
        match tokio::time::timeout(Duration::from_millis(100), conn.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(_)) => {
                // A 408 before closing is fine too.
                closed = true;
                break;
            }
            Err(_) => {}
        }
    }
    assert!(closed, "the connection was still open after {:?}", started.elapsed());
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_streams_meet_the_caps() {
    let t = TestServer::start_with(Backend::Sqlite, |c| {
        c.max_streams_per_session = 20;
        c.max_streams = 1000;
    })
    .await;
    let open = |auth: (&'static str, String)| {
        let req = t.client.get(t.url("/api/telemetry/stream")).header(auth.0, auth.1);
        async move { req.send().await.unwrap() }
    };
    // One session: 20 streams, and the 21st is refused, naming the cap.
    let mut held = Vec::new();
    for _ in 0..20 {
        let resp = open(("cookie", t.admin.clone())).await;
        assert_eq!(resp.status(), 200);
        held.push(resp);
    }
    let refused = open(("cookie", t.admin.clone())).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "5");
    let json: Value = refused.json().await.unwrap();
    assert!(json["error"].as_str().unwrap().contains("at most 20 for this session"), "{json}");
    // 49 read keys with 20 streams each fill the server to 1000.
    let now = domain::time::now_ms();
    let mut keys = Vec::new();
    for i in 0..50 {
        let key = t
            .server
            .state
            .service
            .create_api_key(&Viewer::command_line(), &format!("reader {i}"), KeyScope::Read, None, now)
            .await;
        keys.push(key.unwrap().plaintext);
    }
    let requests = keys[..49].iter().flat_map(|k| std::iter::repeat_n(k.clone(), 20));
    let opened: Vec<reqwest::Response> =
        futures::stream::iter(requests).map(|k| open(("x-api-key", k))).buffer_unordered(64).collect().await;
    for resp in &opened {
        assert_eq!(resp.status(), 200);
    }
    held.extend(opened);
    assert_eq!(held.len(), 1000);
    assert_eq!(t.server.state.streams.open(), 1000);
    // The thousand-and-first, from a key with none open, meets the total cap.
    let refused = open(("x-api-key", keys[49].clone())).await;
    assert_eq!(refused.status(), 429);
    let json: Value = refused.json().await.unwrap();
    assert!(json["error"].as_str().unwrap().contains("at most 1000 on this server"), "{json}");
    // Closing streams frees their places.
    held.truncate(900);
    common::eventually(Duration::from_secs(10), "closed streams free their places", || async {
        t.server.state.streams.open() == 900
    })
    .await;
    let resp = open(("x-api-key", keys[49].clone())).await;
    assert_eq!(resp.status(), 200);
    drop(held);
    drop(resp);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ingest_rate_limit_trips_per_key_and_stores_nothing_past_it() {
    let t = TestServer::start_with(Backend::Sqlite, |c| c.ingest_rate_limit = 1).await;
    let body = serde_json::json!([common::event("rate", "intent"), common::event("rate", "send")]);
    let sends = (0..10).map(|_| {
        let req = t.client.post(t.url("/api/events")).header("x-api-key", KEY).json(&body);
        async move { req.send().await.unwrap() }
    });
    let answers = futures::future::join_all(sends).await;
    let mut accepted = 0;
    let mut limited = 0;
    for resp in answers {
        match resp.status().as_u16() {
            202 => accepted += 1,
            429 => {
                limited += 1;
                assert_eq!(resp.headers()["retry-after"], "1");
                let json: Value = resp.json().await.unwrap();
                let error = json["error"].as_str().unwrap();
                assert!(error.contains("1 ingest requests per second; nothing was stored"), "{error}");
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(limited > 0, "ten requests at once at 1/s: some must be refused");
    assert!(accepted >= 1);
    assert_eq!(stored(&t).await, accepted * 2, "exactly the accepted batches are stored");
    // Another key has a bucket of its own.
    let other = t
        .server
        .state
        .service
        .create_api_key(&Viewer::command_line(), "other", KeyScope::Ingest, None, 0)
        .await
        .unwrap()
        .plaintext;
    let resp = t.client.post(t.url("/api/events")).header("x-api-key", other).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 202);
    t.stop().await;
}
