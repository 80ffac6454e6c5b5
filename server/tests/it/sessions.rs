//! Live sessions: which conversations are going on right now, at the
//! five-minute edge (the clock is injected), with running stages kept,
//! and cost for admins only.

use crate::common;

use common::{Backend, TestServer, KEY};
use domain::sessions::{ACTIVE_MS, RUNNING_MAX_MS};
use pipeline::service::Viewer;
use serde_json::json;

both_backends!(sessions_appear_and_disappear_at_the_five_minute_edge, the_live_sessions_route_hides_cost_from_viewers);

async fn sessions_appear_and_disappear_at_the_five_minute_edge(b: Backend) {
    let t = TestServer::start(b).await;
    let service = &t.server.state.service;
    let t0 = 1_795_000_000_000;
    // "quiet" ended at t0 + 1 s; "busy" is running a stage that started at t0.
    let events = json!([
        {"chatId": "quiet", "turnId": "1", "stage": "intent", "ts": t0, "durationMs": 1000, "tenant": "acme",
         "persona": "sage", "model": "gpt-4o-mini", "usage": {"inputTokens": 1000000, "outputTokens": 0}},
        {"chatId": "busy", "turnId": "1", "stage": "tools", "status": "running", "ts": t0},
    ]);
    service.ingestor().ingest_values(events.as_array().unwrap().clone(), None, t0).await.unwrap();
    let admin = Viewer::read_key(None);
    let live = |now: i64| {
        let admin = admin.clone();
        async move {
            let l = service.live_sessions(&admin, now).await.unwrap();
            l.sessions.into_iter().map(|s| s.chat_id).collect::<Vec<_>>()
        }
    };
    let quiet_end = t0 + 1000;
    assert_eq!(live(quiet_end + ACTIVE_MS).await, ["quiet", "busy"], "at the edge, most recent first");
    assert_eq!(live(quiet_end + ACTIVE_MS + 1).await, ["busy"], "a millisecond past it, gone");
    assert_eq!(live(t0 + RUNNING_MAX_MS).await, ["busy"], "a running stage keeps it live");
    assert!(live(t0 + RUNNING_MAX_MS + 1).await.is_empty(), "but not forever");

    let l = service.live_sessions(&admin, quiet_end).await.unwrap();
    let quiet = &l.sessions[0];
    assert_eq!(
        (quiet.tenant.as_deref(), quiet.persona.as_deref(), quiet.model.as_deref(), quiet.stage.as_str(), quiet.turns),
        (Some("acme"), Some("sage"), Some("gpt-4o-mini"), "intent", 1)
    );
    assert_eq!(quiet.cost_nanos.shown(), Some(&150_000_000));
    assert_eq!(l.last_event_id, 2);
    // A new turn in it: the stage moves, turns count up.
    let next = json!({"chatId": "quiet", "turnId": "2", "stage": "response", "ts": t0 + 2000});
    service.ingestor().ingest_values(vec![next], None, t0).await.unwrap();
    let l = service.live_sessions(&admin, t0 + 2000).await.unwrap();
    assert_eq!((l.sessions[0].stage.as_str(), l.sessions[0].turns), ("response", 2));
    t.stop().await;
}

async fn the_live_sessions_route_hides_cost_from_viewers(b: Backend) {
    let t = TestServer::start(b).await;
    t.post_ok(&json!({"chatId": "c1", "stage": "response", "model": "gpt-4o-mini", "usage": {"inputTokens": 1000, "outputTokens": 0}}))
        .await;
    let (status, admin) = t.get_as("/api/telemetry/sessions/live", Some(&t.admin)).await;
    assert_eq!(status, 200, "{admin}");
    assert_eq!(admin["sessions"][0]["chatId"], "c1");
    assert_eq!(admin["sessions"][0]["costNanos"], 150_000);
    let (status, viewer) = t.get_as("/api/telemetry/sessions/live", Some(&t.viewer)).await;
    assert_eq!(status, 200);
    assert_eq!(viewer["sessions"][0]["chatId"], "c1");
    assert!(viewer["sessions"][0].get("costNanos").is_none(), "{viewer}");
    let anon = t.client.get(t.url("/api/telemetry/sessions/live")).send().await.unwrap();
    assert_eq!(anon.status(), 401);
    let ingest = t.client.get(t.url("/api/telemetry/sessions/live")).header("x-api-key", KEY).send().await.unwrap();
    assert_eq!(ingest.status(), 403, "an ingest key does not read");
    t.stop().await;
}
