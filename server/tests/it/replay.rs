//! The replay's data: conversation order (ties broken by id, across
//! requests), the list's search and filters, cost hidden from viewers, and
//! the server-rendered replay page.

use crate::common;

use common::{Backend, TestServer};
use domain::conversation::ConversationDetail;
use serde_json::{json, Value};

both_backends!(
    replay_order_is_time_then_id_across_requests,
    the_list_filters_by_search_persona_model_and_status,
    viewers_get_conversations_without_cost,
    the_replay_page_renders_on_the_server,
    pages_render_while_another_router_is_built,
);

const BASE: i64 = 1_795_000_000_000;

fn chats(list: &Value) -> Vec<String> {
    list["conversations"].as_array().unwrap().iter().map(|c| c["chatId"].as_str().unwrap().to_string()).collect()
}

async fn replay_order_is_time_then_id_across_requests(b: Backend) {
    let t = TestServer::start(b).await;
    // Three requests; the same timestamp on several stages, posted in an
    // order that is neither alphabetical nor the pipeline's.
    let first = t.post_ok(&json!([{"chatId": "c", "turnId": "t1", "stage": "send", "ts": BASE + 10}])).await;
    let second = t
        .post_ok(&json!([
            {"chatId": "c", "turnId": "t1", "stage": "intent", "ts": BASE + 10},
            {"chatId": "c", "turnId": "t1", "stage": "buffer", "ts": BASE}
        ]))
        .await;
    let third = t.post_ok(&json!([{"chatId": "c", "turnId": "t0", "stage": "late", "ts": BASE + 10}])).await;

    let (status, body) = t.get_json("/api/telemetry/conversations?chatId=c").await;
    assert_eq!(status, 200, "{body}");
    let detail: ConversationDetail = serde_json::from_value(body).unwrap();
    let steps = app::domain::replay::steps(&detail);
    let order: Vec<(&str, i64)> = steps.iter().map(|e| (e.stage.as_str(), e.id)).collect();
    assert_eq!(order, [("buffer", second[1]), ("send", first[0]), ("intent", second[0]), ("late", third[0])]);
    // Turns in order of their first event; each turn's stages in the same order.
    let turns: Vec<&str> = detail.turns.iter().map(|t| t.turn_id.as_str()).collect();
    assert_eq!(turns, ["t1", "t0"]);
    // Asking again gives the same answer.
    let (_, again) = t.get_json("/api/telemetry/conversations?chatId=c").await;
    let again: ConversationDetail = serde_json::from_value(again).unwrap();
    assert_eq!(app::domain::replay::steps(&again), steps);
    t.stop().await;
}

async fn the_list_filters_by_search_persona_model_and_status(b: Backend) {
    let t = TestServer::start(b).await;
    t.post_ok(&json!([
        {"chatId": "Alpha-1", "turnId": "t1", "stage": "response", "ts": BASE, "persona": "sage", "model": "gpt-4o"},
        {"chatId": "Alpha-1", "turnId": "t2", "stage": "response", "ts": BASE + 5, "persona": "sage", "model": "o4-mini"},
        {"chatId": "beta_2", "turnId": "t1", "stage": "tools", "ts": BASE + 1, "persona": "muse", "status": "error", "error": "boom"},
        {"chatId": "gamma%3", "turnId": "t1", "stage": "response", "ts": BASE + 2, "persona": "clerk", "status": "running"}
    ]))
    .await;
    let list = |q: &'static str| {
        let t = &t;
        async move {
            let (status, body) = t.get_json(&format!("/api/telemetry/conversations?{q}")).await;
            assert_eq!(status, 200, "{q}: {body}");
            chats(&body)
        }
    };
    assert_eq!(list("").await, ["gamma%3", "beta_2", "Alpha-1"], "newest activity first");
    assert_eq!(list("limit=1").await, ["gamma%3"]);
    assert_eq!(list("search=ALPHA").await, ["Alpha-1"], "any case");
    assert_eq!(list("search=_").await, ["beta_2"], "`_` is literal, not a wildcard");
    assert_eq!(list("search=%25").await, ["gamma%3"], "`%` is literal");
    assert_eq!(list("persona=muse").await, ["beta_2"]);
    assert_eq!(list("model=o4-mini").await, ["Alpha-1"], "any turn's model");
    assert_eq!(list("model=gpt-4o").await, ["Alpha-1"]);
    assert_eq!(list("status=error").await, ["beta_2"]);
    assert_eq!(list("status=running").await, ["gamma%3"]);
    assert_eq!(list("status=success").await, ["Alpha-1"]);
    assert_eq!(list("persona=sage&status=error").await, Vec::<String>::new());

    let (status, body) = t.get_json("/api/telemetry/conversations?status=bogus").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("status"), "{body}");
    t.stop().await;
}

async fn viewers_get_conversations_without_cost(b: Backend) {
    let t = TestServer::start(b).await;
    t.post_ok(&json!([
        {"chatId": "paid", "turnId": "t1", "stage": "response", "ts": BASE, "model": "gpt-4o", "status": "error",
         "usage": {"inputTokens": 1000, "outputTokens": 500}}
    ]))
    .await;
    let form = "query[limit]=10&query[status]=error";
    let (status, admin) = t.server_fn("/api/conversations", form, Some(&t.admin)).await;
    assert_eq!(status, 200, "{admin}");
    assert_eq!(admin[0]["costNanos"], 7_500_000);
    let (status, viewer) = t.server_fn("/api/conversations", form, Some(&t.viewer)).await;
    assert_eq!(status, 200, "{viewer}");
    assert_eq!(viewer[0]["chatId"].as_str(), Some("paid"));
    assert!(viewer[0].get("costNanos").is_none() && viewer[0].get("unpricedEvents").is_none(), "{viewer}");

    let (status, d) = t.server_fn("/api/conversation", "chat_id=paid", Some(&t.viewer)).await;
    assert_eq!(status, 200, "{d}");
    let stage = &d["turns"][0]["stages"][0];
    assert_eq!(stage["stage"], "response");
    for record in [&d, &d["turns"][0], stage] {
        assert!(record.get("costNanos").is_none() && record.get("pricingId").is_none(), "{record}");
    }
    let (status, _) = t.server_fn("/api/conversation", "chat_id=paid", None).await;
    assert_eq!(status, 401);
    t.stop().await;
}

async fn the_replay_page_renders_on_the_server(b: Backend) {
    let t = TestServer::start(b).await;
    t.post_ok(&json!([
        {"chatId": "chat 1/x", "turnId": "t1", "stage": "buffer", "ts": BASE, "durationMs": 5},
        {"chatId": "chat 1/x", "turnId": "t1", "stage": "intent", "ts": BASE + 5, "durationMs": 120, "model": "gpt-4o",
         "usage": {"inputTokens": 1000, "outputTokens": 500}, "meta": {"note": "<script>alert(1)</script>"}}
    ]))
    .await;
    let page = |path: &'static str, cookie: String| {
        let req = t.client.get(t.url(path)).header("cookie", cookie);
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let (status, html) = page("/replay/chat%201%2Fx?step=2", t.viewer.clone()).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"data-stage="intent""#) && html.contains("2 / 2"), "opens at step 2");
    assert!(!html.contains("<script>alert(1)</script>"), "meta is never raw HTML");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "meta is shown, escaped");
    assert!(!html.contains("data-detail=\"cost\""), "no cost for viewers");
    let (_, html) = page("/replay/chat%201%2Fx?step=2", t.admin.clone()).await;
    assert!(html.contains("data-detail=\"cost\""), "admins see cost");
    let (status, html) = page("/replay", t.viewer.clone()).await;
    assert_eq!(status, 200);
    assert!(html.contains("/replay/chat%201%2Fx"), "the list links to it, encoded");
    let (status, _) = page("/replay/nope", t.viewer.clone()).await;
    assert_eq!(status, 404);
    t.stop().await;
}

/// Building a router (as every server start does) while pages render
/// leaves no render waiting: Leptos generates the route list with resource
/// loads suppressed process-wide, so a page whose data began loading just
/// then used to wait for ever, and answer 503 at the request deadline (a
/// rare failure of the test above when another test's server started).
async fn pages_render_while_another_router_is_built(b: Backend) {
    use std::sync::atomic::{AtomicBool, Ordering};
    /// Stops the builder when dropped, also when an assertion fails.
    struct Building(std::sync::Arc<AtomicBool>);
    impl Drop for Building {
        fn drop(&mut self) {
            self.0.store(false, Ordering::Relaxed);
        }
    }
    let t = TestServer::start_with(b, |c| c.request_timeout_secs = 5).await;
    t.post_ok(&json!([{"chatId": "c1", "turnId": "t1", "stage": "intent", "ts": BASE, "model": "gpt-4o"}])).await;
    let building = Building(std::sync::Arc::new(AtomicBool::new(true)));
    let builder = tokio::task::spawn_blocking({
        let (state, building) = (t.server.state.clone(), building.0.clone());
        move || {
            while building.load(Ordering::Relaxed) {
                drop(server::http::router(state.clone()));
            }
        }
    });
    for path in ["/replay", "/replay/c1", "/"].into_iter().cycle().take(12) {
        let resp = t.client.get(t.url(path)).header("cookie", t.admin.clone()).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path} while a router was being built");
    }
    drop(building);
    builder.await.unwrap();
    t.stop().await;
}
