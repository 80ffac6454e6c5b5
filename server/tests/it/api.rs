//! The ingest → store → history/stream path against a real server, run once
//! on SQLite and once on Postgres (same tests, see `both_backends!`).

use crate::common;

use common::{event, post_ids, Backend, TestServer, KEY};
use serde_json::{json, Value};
use std::time::Duration;

both_backends!(
    ingest_then_history_round_trips_every_field,
    history_pages_newest_first_and_filters_by_chat,
    accepts_an_object_an_array_and_ndjson,
    one_bad_item_stores_nothing_and_names_the_item,
    refuses_bad_requests_with_clear_errors,
    api_keys_are_required_and_stored_keys_work_until_revoked,
    sse_delivers_a_posted_event,
    sse_fresh_connection_gets_the_latest_fifty_in_order,
    sse_resume_with_last_event_id_gets_exactly_the_missed_events,
    sse_sees_concurrent_batches_in_id_order_without_gaps,
    ping_and_health_report_the_database,
    stopping_the_server_ends_open_streams,
);

async fn ingest_then_history_round_trips_every_field(b: Backend) {
    let t = TestServer::start(b).await;
    let sent = json!({
        "chatId": "chat-1", "turnId": "t1", "stage": "response", "status": "error",
        "ts": "2026-11-22T10:00:00.250Z", "durationMs": 812, "persona": "sage",
        "model": "claude-sonnet-4-20250514", "provider": "anthropic", "error": "overloaded",
        "usage": {"input_tokens": 50, "output_tokens": 300, "cache_read_input_tokens": 1000, "cache_creation_input_tokens": 200},
        "meta": {"tool": "search", "nested": {"n": [1, 2, 3]}}
    });
    let ids = t.post_ok(&sent).await;
    assert_eq!(ids.len(), 1);
    let events = t.history("").await;
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e["id"].as_i64(), Some(ids[0]));
    for field in
        ["chatId", "turnId", "stage", "status", "ts", "durationMs", "persona", "model", "provider", "error", "meta"]
    {
        assert_eq!(e[field], sent[field], "{field}");
    }
    assert_eq!(
        e["usage"],
        json!({"inputTokens": 1250, "outputTokens": 300, "cachedInputTokens": 1000, "cacheWriteTokens": 200, "reasoningTokens": 0})
    );
    assert!(e["receivedAt"].as_str().unwrap().ends_with('Z'));
    t.stop().await;
}

async fn history_pages_newest_first_and_filters_by_chat(b: Backend) {
    let t = TestServer::start(b).await;
    let batch: Vec<Value> = (0..7).map(|i| event(if i % 2 == 0 { "even" } else { "odd" }, &format!("s{i}"))).collect();
    let ids = t.post_ok(&Value::Array(batch)).await;
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids follow the input order: {ids:?}");

    let (_, page1) = t.get_json("/api/telemetry/history?limit=3").await;
    let got: Vec<i64> = page1["events"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(got, [ids[6], ids[5], ids[4]]);
    let before = page1["nextBefore"].as_i64().unwrap();
    let (_, page2) = t.get_json(&format!("/api/telemetry/history?limit=3&before={before}")).await;
    let got: Vec<i64> = page2["events"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(got, [ids[3], ids[2], ids[1]]);
    let (_, page3) = t.get_json(&format!("/api/telemetry/history?limit=3&before={}", ids[1])).await;
    assert_eq!(page3["events"].as_array().unwrap().len(), 1);
    assert!(page3["nextBefore"].is_null());

    let odd = t.history("chatId=odd").await;
    assert_eq!(odd.iter().map(|e| e["stage"].as_str().unwrap()).collect::<Vec<_>>(), ["s5", "s3", "s1"]);
    t.stop().await;
}

async fn accepts_an_object_an_array_and_ndjson(b: Backend) {
    let t = TestServer::start(b).await;
    t.post_ok(&event("a", "one")).await;
    t.post_ok(&json!([event("a", "two"), event("a", "three")])).await;
    let ndjson = format!("{}\n\n{}\n", event("a", "four"), event("a", "five"));
    let (status, ack) = t.post_raw(ndjson, "application/x-ndjson").await;
    assert_eq!(status, 202, "{ack}");
    assert_eq!(ack["accepted"], 2);
    let stages: Vec<String> = t.history("").await.iter().map(|e| e["stage"].as_str().unwrap().to_string()).collect();
    assert_eq!(stages, ["five", "four", "three", "two", "one"]);
    t.stop().await;
}

async fn one_bad_item_stores_nothing_and_names_the_item(b: Backend) {
    let t = TestServer::start(b).await;
    let batch =
        json!([event("c", "ok"), {"chatId": "c", "stage": "x", "usage": {"inputTokens": -5}}, event("c", "ok2")]);
    let (status, body) = t.post(&batch).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "1 of 3 events are invalid; nothing was stored");
    assert_eq!(
        body["items"],
        json!([{"index": 1, "field": "usage.inputTokens", "message": "must be a non-negative integer"}])
    );
    let ndjson = format!("{}\n{{\"chatId\": \"c\"}}\n", event("c", "ok"));
    let (status, body) = t.post_raw(ndjson, "application/x-ndjson").await;
    assert_eq!(status, 400);
    assert_eq!(body["items"][0]["index"], 1);
    assert_eq!(body["items"][0]["field"], "stage");
    assert!(t.history("").await.is_empty(), "nothing was half-stored");
    t.stop().await;
}

async fn refuses_bad_requests_with_clear_errors(b: Backend) {
    let t = TestServer::start_with(b, |c| c.max_body_bytes = 4096).await;
    let cases: Vec<(reqwest::Body, &str, u16, &str)> = vec![
        ("{not json".into(), "application/json", 400, "body is not valid JSON"),
        ("[]".into(), "application/json", 400, "no events"),
        ("x".repeat(5000).into(), "application/json", 413, "4096 bytes"),
        ("{}".into(), "text/plain", 415, "unsupported content type"),
        ("[1]".into(), "application/json", 400, "invalid"),
    ];
    for (body, ct, want, says) in cases {
        let (status, json) = t.post_raw(body, ct).await;
        assert_eq!(status, want, "{json}");
        assert!(json["error"].as_str().unwrap().contains(says), "{json} should say {says}");
    }
    let too_many: Vec<Value> = (0..10_001).map(|_| json!({})).collect();
    let t2 = TestServer::start(b).await;
    let (status, json) = t2.post(&Value::Array(too_many)).await;
    assert_eq!(status, 413, "{json}");
    for (query, field) in
        [("limit=0", "limit"), ("limit=abc", "limit"), ("limit=1001", "limit"), ("before=x", "before")]
    {
        let (status, json) = t.get_json(&format!("/api/telemetry/history?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert!(json["error"].as_str().unwrap().contains(field), "{json}");
    }
    let (status, json) = t.get_json("/api/nope").await;
    assert_eq!((status, json["error"].as_str()), (404, Some("no such endpoint")));
    assert!(t.history("").await.is_empty());
    t.stop().await;
    t2.stop().await;
}

async fn api_keys_are_required_and_stored_keys_work_until_revoked(b: Backend) {
    let t = TestServer::start(b).await;
    let post = |key: Option<String>| {
        let mut req = t.client.post(t.url("/api/events")).json(&event("k", "s"));
        if let Some(k) = key {
            req = req.header("x-api-key", k);
        }
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = post(None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("missing API key: send X-API-Key or Authorization: Bearer"))
    );
    let (status, body) = post(Some("fm_wrong".into())).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid API key")));
    assert_eq!(post(Some(KEY.into())).await.0, 202);

    let store = t.server.state.service.store();
    let minted = store.create_api_key("ci", pipeline::store::KeyScope::Ingest, None, 1).await.unwrap();
    assert!(minted.plaintext.starts_with(&minted.record.prefix));
    assert_eq!(post(Some(minted.plaintext.clone())).await.0, 202);
    let listed = store.list_api_keys().await.unwrap();
    assert!(listed[0].last_used_at.is_some(), "use is recorded");
    assert!(store.revoke_api_key(minted.record.id, 2).await.unwrap());
    assert_eq!(post(Some(minted.plaintext.clone())).await.0, 401);

    let read_only = store.create_api_key("reader", pipeline::store::KeyScope::Read, None, 1).await.unwrap();
    assert_eq!(post(Some(read_only.plaintext)).await.0, 401);
    t.stop().await;

    let off = TestServer::start_with(b, |c| c.telemetry_enabled = false).await;
    let (status, body) = off.post(&event("k", "s")).await;
    assert_eq!(status, 503);
    assert!(body["error"].as_str().unwrap().contains("turned off"), "{body}");
    assert!(off.history("").await.is_empty());
    off.stop().await;
}

async fn sse_delivers_a_posted_event(b: Backend) {
    let t = TestServer::start(b).await;
    let mut sse = t.sse(None).await;
    let hello = sse.next().await.unwrap();
    assert_eq!(hello.event.as_deref(), Some("connected"));
    assert_eq!(hello.json()["lastEventId"], 0);
    let ids = t.post_ok(&json!({"chatId": "live", "stage": "intent", "status": "error"})).await;
    let msg = sse.next_within(Duration::from_secs(10)).await.expect("the posted event arrives");
    assert_eq!(msg.id, Some(ids[0].to_string()));
    let e = msg.json();
    assert_eq!(
        (e["chatId"].as_str(), e["stage"].as_str(), e["status"].as_str()),
        (Some("live"), Some("intent"), Some("error"))
    );
    t.stop().await;
}

async fn sse_fresh_connection_gets_the_latest_fifty_in_order(b: Backend) {
    let t = TestServer::start(b).await;
    let batch: Vec<Value> = (0..80).map(|i| event("f", &format!("s{i}"))).collect();
    let ids = t.post_ok(&Value::Array(batch)).await;
    let mut sse = t.sse(None).await;
    assert_eq!(sse.take_ids(50).await, ids[30..]);
    assert!(sse.next_within(Duration::from_millis(300)).await.is_none(), "nothing more than the latest 50");
    t.stop().await;
}

async fn sse_resume_with_last_event_id_gets_exactly_the_missed_events(b: Backend) {
    let t = TestServer::start(b).await;
    let first = t.post_ok(&json!([event("r", "a"), event("r", "b")])).await;
    let mut sse = t.sse(None).await;
    let seen = sse.take_ids(2).await;
    assert_eq!(seen, first);
    drop(sse);

    let mut missed = Vec::new();
    for chunk in 0..10 {
        let batch: Vec<Value> = (0..10).map(|i| event("r", &format!("m{chunk}-{i}"))).collect();
        missed.extend(t.post_ok(&Value::Array(batch)).await);
    }
    assert_eq!(missed.len(), 100);

    let mut again = t.sse(Some(*seen.last().unwrap())).await;
    let got = again.take_ids(100).await;
    assert_eq!(got, missed, "exactly the missed events, in order");
    assert!(again.next_within(Duration::from_millis(300)).await.is_none(), "no duplicates after them");
    // And the stream is live again after the catch-up.
    let next = t.post_ok(&event("r", "after")).await;
    assert_eq!(again.take_ids(1).await, next);
    t.stop().await;
}

async fn sse_sees_concurrent_batches_in_id_order_without_gaps(b: Backend) {
    let t = TestServer::start(b).await;
    let mut sse = t.sse(None).await;
    let posters: Vec<_> = (0..4)
        .map(|p| {
            let (client, url) = (t.client.clone(), t.url("/api/events"));
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for round in 0..5 {
                    let batch: Vec<Value> =
                        (0..10).map(|i| event(&format!("p{p}"), &format!("r{round}-{i}"))).collect();
                    let (status, got) = post_ids(&client, &url, &Value::Array(batch)).await;
                    assert_eq!(status, 202);
                    ids.extend(got);
                }
                ids
            })
        })
        .collect();
    let mut acked = Vec::new();
    for p in posters {
        acked.extend(p.await.unwrap());
    }
    let got = sse.take_ids(200).await;
    assert!(got.windows(2).all(|w| w[0] < w[1]), "strictly increasing ids on the stream");
    acked.sort_unstable();
    assert_eq!(got, acked, "every acknowledged event, once");
    t.stop().await;
}

async fn ping_and_health_report_the_database(b: Backend) {
    let t = TestServer::start(b).await;
    assert_eq!(t.get_json("/api/ping").await, (200, json!({"status": "ok"})));
    t.post_ok(&json!([event("h", "a"), event("h", "b")])).await;
    let (status, health) = t.get_json("/api/health").await;
    assert_eq!(status, 200, "{health}");
    assert_eq!((health["status"].as_str(), health["reasons"].as_array().map(Vec::len)), (Some("healthy"), Some(0)));
    let database = &health["services"]["database"];
    assert_eq!(database["status"], "up");
    assert!(database["latencyMs"].is_f64(), "{database}");
    assert_eq!(
        database["detail"],
        match b {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    );
    assert!(health["services"].get("redis").is_none(), "no Redis here");
    let stats = &health["statistics"];
    assert_eq!((stats["eventsStored"].as_i64(), stats["eventsLastMinute"].as_i64()), (Some(2), Some(2)), "{stats}");
    assert!(stats["lastEventAgeSeconds"].as_f64().is_some_and(|age| (0.0..60.0).contains(&age)), "{stats}");
    assert_eq!(stats["pendingWebhookDeliveries"], 0);
    assert!(health["uptimeSeconds"].is_u64());

    // Monitoring bots: a read key gets the details too.
    let (_, created) = t.server_fn("/api/admin/keys/create", "name=monitor&scope=read", Some(&t.admin)).await;
    let read_key = created[1].as_str().unwrap().to_string();
    let as_key = |key: &str| {
        let req = t.client.get(t.url("/api/health")).header("authorization", format!("Bearer {key}"));
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let (status, by_key) = as_key(&read_key).await;
    assert_eq!(status, 200, "{by_key}");
    assert_eq!(by_key["statistics"]["eventsStored"], 2, "{by_key}");
    assert_eq!(as_key("not-a-key").await.0, 401, "a wrong key is told so");
    // Everyone else sees the status alone: anonymous, viewers, ingest keys.
    assert_eq!(t.get_as("/api/health", None).await, (200, json!({"status": "healthy"})));
    assert_eq!(t.get_as("/api/health", Some(&t.viewer)).await, (200, json!({"status": "healthy"})));
    assert_eq!(as_key(KEY).await, (200, json!({"status": "healthy"})));

    // With the database gone, health says so instead of failing (sessions
    // cannot be checked then, so the answer is the public one).
    t.server.state.service.store().close().await;
    let (status, health) = t.get_json("/api/health").await;
    assert_eq!(status, 503);
    assert_eq!(health, json!({"status": "degraded"}));
    let (status, body) = t.post(&event("h", "c")).await;
    assert_eq!(status, 503, "{body}");
    t.stop().await;
}

async fn stopping_the_server_ends_open_streams(b: Backend) {
    let t = TestServer::start(b).await;
    let mut sse = t.sse(None).await;
    assert_eq!(sse.next().await.unwrap().event.as_deref(), Some("connected"));
    let started = std::time::Instant::now();
    t.stop().await;
    // Without the bus telling streams to end, stop would wait out its 10 s
    // grace period for the open stream and then cut it.
    assert!(started.elapsed() < Duration::from_secs(8), "stop took {:?}", started.elapsed());
    // Ended, not merely quiet: a timeout here is a failure.
    let end = tokio::time::timeout(Duration::from_secs(5), sse.next()).await;
    assert!(matches!(end, Ok(None)), "the stream ended (not just went quiet): {end:?}");
}

/// Every answer carries the security headers: pages, APIs, refusals,
/// redirects and unknown paths alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_headers() {
    let t = TestServer::start(Backend::Sqlite).await;
    for (path, status) in [("/api/ping", 200), ("/api/telemetry/history", 401), ("/api/nope", 404), ("/", 303)] {
        let resp = t.client.get(t.url(path)).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), status, "{path}");
        let h = resp.headers();
        for (name, value) in server::http::headers::HEADERS {
            assert_eq!(h.get(&name).and_then(|v| v.to_str().ok()), Some(value), "{path}: {name}");
        }
    }
    // A rendered page (the sign-in page, a signed-in page, a 404 page)
    // allows its own inline scripts by this response's nonce, and no other.
    let mut nonces = Vec::new();
    for (path, status, cookie) in [
        ("/login", 200, None),
        ("/login", 200, None),
        ("/", 200, Some(&t.admin)),
        ("/no/such/page", 404, Some(&t.admin)),
    ] {
        let mut req = t.client.get(t.url(path));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), status, "{path}");
        let policy = resp.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert_eq!(resp.headers()["x-frame-options"], "DENY");
        let nonce = policy.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).expect("a nonce").to_string();
        assert_eq!(policy, server::http::headers::policy_with_nonce(&nonce), "{path}");
        let html = resp.text().await.unwrap();
        let inline: Vec<&str> =
            html.split("<script").skip(1).filter(|s| !s.split('>').next().unwrap().contains("src=")).collect();
        assert!(!inline.is_empty(), "{path}: the page has inline scripts");
        for script in inline {
            let open = script.split('>').next().unwrap();
            assert!(
                open.contains(&format!("nonce=\"{nonce}\"")),
                "{path}: an inline script without the nonce: <script{open}>"
            );
        }
        // Only a page that starts the live store opens its stream from
        // the document (`app::live::early`): the flow page, resuming
        // after the snapshot it rendered, which only exists once the page
        // has rendered.
        let early = html.contains("data-stream=\"/api/telemetry/stream?after=");
        assert_eq!(early, path == "/", "{path}: the early stream");
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a new nonce for every response");
    t.stop().await;
}

/// Pages and JSON go out compressed to a client that accepts it, and
/// decode to what a client that does not gets. So does the live stream,
/// gzipped, and each event can be read as it arrives, not when an
/// encoder's buffer fills.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_json_and_the_stream_are_compressed_when_accepted() {
    use std::io::{Read, Write};
    let t = TestServer::start(Backend::Sqlite).await;
    let events: Vec<Value> = (0..60).map(|i| event(&format!("compressed-{i}"), "respond")).collect();
    t.post_ok(&json!(events)).await;
    let get = |path: &str, accept: &'static str| {
        t.client.get(t.url(path)).header("cookie", &t.admin).header("accept-encoding", accept).send()
    };
    for path in ["/", "/api/telemetry/history?limit=60"] {
        let plain = get(path, "identity").await.unwrap();
        assert_eq!(plain.status(), 200, "{path}");
        assert!(plain.headers().get("content-encoding").is_none(), "{path}: not compressed unasked");
        let plain = String::from_utf8(plain.bytes().await.unwrap().to_vec()).unwrap();
        for coding in ["br", "gzip"] {
            let resp = get(path, coding).await.unwrap();
            assert_eq!(resp.status(), 200, "{path} {coding}");
            assert_eq!(resp.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some(coding), "{path}");
            let sent = resp.bytes().await.unwrap();
            let mut text = String::new();
            match coding {
                "br" => brotli::Decompressor::new(&sent[..], 4096).read_to_string(&mut text).unwrap(),
                _ => flate2::read::GzDecoder::new(&sent[..]).read_to_string(&mut text).unwrap(),
            };
            assert!(sent.len() * 4 < text.len(), "{path} {coding}: {} B sent for {} B", sent.len(), text.len());
            if path == "/" {
                // A page differs run to run only in its nonce and its clock.
                assert!(text.starts_with("<!DOCTYPE html>") && text.contains("</html>"), "{path} {coding}: a page");
                assert!(
                    text.len().abs_diff(plain.len()) < 100,
                    "{path} {coding}: {} B, {} unasked",
                    text.len(),
                    plain.len()
                );
                assert!(text.contains("compressed-59") && plain.contains("compressed-59"), "{path} {coding}");
            } else {
                assert_eq!(text, plain, "{path} {coding}");
            }
        }
    }
    let plain = get("/api/telemetry/stream", "identity").await.unwrap();
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get("content-encoding").is_none(), "the stream is not compressed unasked");
    drop(plain);
    let mut stream = get("/api/telemetry/stream", "br, gzip").await.unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"));
    // Reads until what was decoded holds `needle`; each chunk must arrive
    // within 5 s, so an event held in the encoder fails here.
    let mut decoder = flate2::write::GzDecoder::new(Vec::new());
    let mut sent = 0;
    let mut read_until = async |needle: &str| {
        while !String::from_utf8_lossy(decoder.get_ref()).contains(needle) {
            let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk()).await;
            let chunk = chunk.unwrap_or_else(|_| panic!("{needle}: not decodable within 5 s")).unwrap().unwrap();
            sent += chunk.len();
            decoder.write_all(&chunk).unwrap();
            decoder.flush().unwrap();
        }
    };
    read_until("event: connected").await;
    let live: Vec<Value> = (0..30).map(|i| event(&format!("streamed-{i}"), "respond")).collect();
    t.post_ok(&json!(live)).await;
    read_until("streamed-29").await;
    let text = String::from_utf8_lossy(decoder.get_ref()).into_owned();
    assert!((0..30).all(|i| text.contains(&format!("\"chatId\":\"streamed-{i}\""))), "{text}");
    assert!(sent * 3 < text.len(), "the stream: {sent} B sent for {} B", text.len());
    t.stop().await;
}
