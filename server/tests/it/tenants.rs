//! Tenant-scoped API keys: an ingest key writes only its tenant, and a read
//! key reads only its tenant — on every route a read key can open, which
//! the matrix enumerates from the access table itself, so a read route
//! added later without an isolation case fails here.

use crate::common;

use common::{Backend, Sse, TestServer, KEY};
use domain::auth::KeyScope;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

both_backends!(a_tenant_key_writes_its_tenant_only, a_tenant_key_reads_its_tenant_only_on_every_read_route);

async fn key(t: &TestServer, scope: KeyScope, tenant: Option<&str>) -> String {
    let now = domain::time::now_ms();
    t.server
        .state
        .service
        .create_api_key(&pipeline::service::Viewer::command_line(), "scoped", scope, tenant, now)
        .await
        .unwrap()
        .plaintext
}

async fn get(t: &TestServer, path: &str, key: &str) -> (u16, Value) {
    let resp = t.client.get(t.url(path)).header("x-api-key", key).send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn post_with(t: &TestServer, key: &str, body: &Value) -> (u16, Value) {
    let resp = t.client.post(t.url("/api/events")).header("x-api-key", key).json(body).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// 1 M input tokens of gpt-4o-mini: 150 000 000 nanos.
fn priced(chat: &str, tenant: &str) -> Value {
    json!({"chatId": chat, "stage": "response", "model": "gpt-4o-mini", "tenant": tenant,
           "usage": {"inputTokens": 1_000_000, "outputTokens": 0}})
}

async fn a_tenant_key_writes_its_tenant_only(b: Backend) {
    let t = TestServer::start(b).await;
    let acme = key(&t, KeyScope::Ingest, Some("acme")).await;
    // No tenant: the key's.
    let (status, body) = post_with(&t, &acme, &json!({"chatId": "c1", "stage": "s"})).await;
    assert_eq!(status, 202, "{body}");
    // Another tenant, beside a good event: refused, naming the item and
    // field, and nothing of the batch is stored.
    let batch =
        json!([{"chatId": "c2", "stage": "s", "tenant": "acme"}, {"chatId": "c3", "stage": "s", "tenant": "globex"}]);
    let (status, body) = post_with(&t, &acme, &batch).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        (body["items"][0]["index"].as_i64(), body["items"][0]["field"].as_str()),
        (Some(1), Some("tenant")),
        "{body}"
    );
    assert!(body["items"][0]["message"].as_str().unwrap().contains("writes tenant `acme` only"), "{body}");
    let stored = t.history("limit=10").await;
    assert_eq!(stored.len(), 1, "nothing half-stored: {stored:?}");
    assert_eq!((stored[0]["chatId"].as_str(), stored[0]["tenant"].as_str()), (Some("c1"), Some("acme")));
    // An unscoped key writes any tenant.
    assert_eq!(post_with(&t, KEY, &json!({"chatId": "c4", "stage": "s", "tenant": "globex"})).await.0, 202);
    // But a conversation keeps its tenant: another tenant's event in it is
    // refused (stored or earlier in the same batch), naming the item.
    let (status, body) = post_with(
        &t,
        KEY,
        &json!([{"chatId": "c9", "stage": "s"}, {"chatId": "c1", "stage": "s", "tenant": "globex"}]),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        (body["items"][0]["index"].as_i64(), body["items"][0]["field"].as_str()),
        (Some(1), Some("tenant")),
        "{body}"
    );
    assert!(body["items"][0]["message"].as_str().unwrap().contains("belongs to another tenant"), "{body}");
    let batch =
        json!([{"chatId": "c5", "stage": "s", "tenant": "acme"}, {"chatId": "c5", "stage": "s", "tenant": "globex"}]);
    let (status, body) = post_with(&t, KEY, &batch).await;
    assert_eq!((status, body["items"][0]["index"].as_i64()), (400, Some(1)), "{body}");
    assert_eq!(t.history("limit=20").await.len(), 2, "nothing of either batch stored");
    // Events without a tenant may join any conversation.
    assert_eq!(post_with(&t, KEY, &json!({"chatId": "c1", "stage": "s"})).await.0, 202);
    t.stop().await;
}

/// Reads the stream's events until `n` have arrived; the chat ids.
async fn stream_chats(sse: &mut Sse, n: usize) -> Vec<String> {
    let mut chats = Vec::new();
    while chats.len() < n {
        let m = sse.next_within(Duration::from_secs(10)).await.expect("a stream event");
        if m.event.is_none() {
            chats.push(m.json()["chatId"].as_str().unwrap().to_string());
        }
    }
    chats
}

async fn a_tenant_key_reads_its_tenant_only_on_every_read_route(b: Backend) {
    let t = TestServer::start(b).await;
    for (chat, tenant) in [("a-1", "acme"), ("a-2", "acme"), ("b-1", "globex"), ("b-2", "globex"), ("b-3", "globex")] {
        t.post_ok(&priced(chat, tenant)).await;
    }
    t.post_ok(&json!({"chatId": "n-1", "stage": "s"})).await; // no tenant
    let reader = key(&t, KeyScope::Read, Some("acme")).await;
    let ingest = key(&t, KeyScope::Ingest, Some("acme")).await;
    let leaks = |body: &Value| {
        let text = body.to_string();
        ["b-1", "b-2", "b-3", "globex", "n-1"].into_iter().filter(|s| text.contains(s)).collect::<Vec<_>>()
    };
    let mut covered = BTreeSet::new();

    // History: acme's events only; asking for another tenant is refused.
    covered.insert("/api/telemetry/history");
    let (status, body) = get(&t, "/api/telemetry/history", &reader).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["events"].as_array().unwrap().len(), 2);
    assert!(leaks(&body).is_empty(), "{body}");
    let (status, body) = get(&t, "/api/telemetry/history?tenant=globex", &reader).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.to_string().contains("tenant"), "{body}");

    // Conversations: the list, and another tenant's conversation is absent.
    covered.insert("/api/telemetry/conversations");
    let (status, body) = get(&t, "/api/telemetry/conversations", &reader).await;
    assert_eq!(status, 200, "{body}");
    let chats: Vec<&str> =
        body["conversations"].as_array().unwrap().iter().map(|c| c["chatId"].as_str().unwrap()).collect();
    assert_eq!(BTreeSet::from_iter(chats), BTreeSet::from(["a-1", "a-2"]));
    assert_eq!(get(&t, "/api/telemetry/conversations?chatId=a-1", &reader).await.0, 200);
    let (status, body) = get(&t, "/api/telemetry/conversations?chatId=b-1", &reader).await;
    assert_eq!(status, 404, "as if it did not exist: {body}");
    assert!(leaks(&body).iter().all(|s| *s == "b-1"), "only the id asked for: {body}");

    // Summary: acme's totals, acme's row, and no other tenant.
    covered.insert("/api/telemetry/summary");
    let (status, body) = get(&t, "/api/telemetry/summary?range=24h", &reader).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["overview"]["events"].as_i64(), body["cost"]["totalNanos"].as_i64()),
        (Some(2), Some(300_000_000))
    );
    assert_eq!(body["overview"]["activeConversations"], 2);
    assert!(leaks(&body).is_empty(), "{body}");
    assert_eq!(get(&t, "/api/telemetry/summary?range=24h&tenant=globex", &reader).await.0, 403);

    // Export: acme's events only.
    covered.insert("/api/telemetry/export");
    let (status, body) = get(&t, "/api/telemetry/export?format=json&range=24h", &reader).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.as_array().map(Vec::len), Some(2), "{body}");
    assert!(leaks(&body).is_empty(), "{body}");

    // Health: a scoped key gets the status only (details count everyone).
    covered.insert("/api/health");
    let (status, body) = get(&t, "/api/health", &reader).await;
    assert_eq!(status, 200);
    assert!(body.get("statistics").is_none() && body.get("services").is_none(), "{body}");

    // Budget check (any key): a scoped key asks for its own tenant.
    covered.insert("/api/budget/check");
    t.server_fn(
        "/api/costs/budgets/save",
        "budget[name]=globex&budget[scope]=tenant&budget[scopeValue]=globex&budget[period]=daily&budget[limitUsd]=1",
        Some(&t.admin),
    )
    .await;
    let (status, body) = get(&t, "/api/budget/check", &ingest).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["budgets"].as_array().map(Vec::len), Some(0), "globex's budget is not acme's: {body}");
    assert_eq!(get(&t, "/api/budget/check?tenant=globex", &ingest).await.0, 403);

    // Live sessions: acme's conversations only.
    covered.insert("/api/telemetry/sessions/live");
    let (status, body) = get(&t, "/api/telemetry/sessions/live", &reader).await;
    assert_eq!(status, 200, "{body}");
    let chats: BTreeSet<&str> =
        body["sessions"].as_array().unwrap().iter().map(|s| s["chatId"].as_str().unwrap()).collect();
    assert_eq!(chats, BTreeSet::from(["a-1", "a-2"]));
    assert!(leaks(&body).is_empty(), "{body}");

    // Export jobs: a scoped key's job holds its tenant's events; it sees
    // its own jobs only, and another's is as absent as a missing one.
    covered.insert("/api/exports");
    covered.insert("/api/exports/{id}");
    covered.insert("/api/exports/{id}/file");
    let unscoped = key(&t, KeyScope::Read, None).await;
    let start = |k: String| {
        let t = &t;
        async move {
            let resp =
                t.client.post(t.url("/api/exports?format=json&range=24h")).header("x-api-key", k).send().await.unwrap();
            assert_eq!(resp.status(), 202);
            resp.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
        }
    };
    let (mine, theirs) = (start(reader.clone()).await, start(unscoped.clone()).await);
    let (_, list) = get(&t, "/api/exports", &reader).await;
    let ids: Vec<&str> = list["jobs"].as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [mine.as_str()]);
    assert_eq!(get(&t, &format!("/api/exports/{theirs}"), &reader).await.0, 404);
    assert_eq!(get(&t, &format!("/api/exports/{theirs}/file"), &reader).await.0, 404);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let file = loop {
        let (status, body) = get(&t, &format!("/api/exports/{mine}/file"), &reader).await;
        if status == 200 {
            break body;
        }
        assert!(std::time::Instant::now() < deadline, "the export never finished: {status} {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(file.as_array().map(Vec::len), Some(2), "{file}");
    assert!(leaks(&file).is_empty(), "{file}");

    // Stream: the backlog, then live events, acme's only.
    covered.insert("/api/telemetry/stream");
    let resp = t.client.get(t.url("/api/telemetry/stream")).header("x-api-key", &reader).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let mut sse = Sse::of(resp);
    assert_eq!(BTreeSet::from_iter(stream_chats(&mut sse, 2).await), BTreeSet::from(["a-1".into(), "a-2".into()]));
    t.post_ok(&priced("b-4", "globex")).await;
    t.post_ok(&json!({"chatId": "n-2", "stage": "s"})).await;
    t.post_ok(&priced("a-3", "acme")).await;
    assert_eq!(stream_chats(&mut sse, 1).await, ["a-3"], "the other tenant's live events are skipped");

    // Every route a read key (or any key) can read is in the matrix.
    use app::access::{rules, Kind, Need};
    let readable: BTreeSet<&str> = rules()
        .iter()
        .filter(|r| matches!(r.kind, Kind::Rest(_)))
        .filter(|r| matches!(r.need, Need::SignedInOrReadKey(_) | Need::AnyoneOrReader | Need::AnyKey))
        .map(|r| r.path)
        .collect();
    assert_eq!(readable, covered, "every read route has an isolation case");
    t.stop().await;
}
