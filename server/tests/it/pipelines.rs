//! Pipelines: events name the pipeline that sent them (`pipeline`, or the
//! OTLP resource's `service.name`); the history, the conversations, the
//! flow page's window and the pipeline list filter by it.

use crate::common;

use common::{event, Backend, TestServer};
use serde_json::{json, Value};

both_backends!(
    events_carry_their_pipeline_and_every_reader_filters_by_it,
    a_pipeline_longer_than_256_is_refused,
    costs_and_budgets_by_pipeline
);

fn in_pipeline(chat: &str, stage: &str, pipeline: &str) -> Value {
    let mut e = event(chat, stage);
    e["pipeline"] = json!(pipeline);
    e
}

async fn events_carry_their_pipeline_and_every_reader_filters_by_it(b: Backend) {
    let t = TestServer::start(b).await;
    let bot = t.post_ok(&json!([in_pipeline("b1", "buffer", "chat-bot"), in_pipeline("b1", "send", "chat-bot")])).await;
    let rag =
        t.post_ok(&json!([in_pipeline("r1", "retrieve", "rag-agent"), in_pipeline("r2", "answer", "rag-agent")])).await;
    t.post_ok(&event("none", "intent")).await;

    // The history, one pipeline at a time.
    let ids = |events: Vec<Value>| events.iter().map(|e| e["id"].as_i64().unwrap()).rev().collect::<Vec<_>>();
    let (status, page) = t.get_json("/api/telemetry/history?pipeline=chat-bot").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(ids(page["events"].as_array().unwrap().clone()), bot);
    assert!(page["events"].as_array().unwrap().iter().all(|e| e["pipeline"] == "chat-bot"));
    assert_eq!(ids(t.history("pipeline=rag-agent").await), rag);
    assert_eq!(t.history("").await.len(), 5, "no filter: every pipeline, and events without one");

    // The conversations, through the API and the server function.
    let (status, list) = t.get_json("/api/telemetry/conversations?pipeline=rag-agent").await;
    assert_eq!(status, 200, "{list}");
    let chats: Vec<&str> =
        list["conversations"].as_array().unwrap().iter().map(|c| c["chatId"].as_str().unwrap()).collect();
    assert_eq!(chats, ["r2", "r1"]);
    let (status, list) =
        t.server_fn("/api/conversations", "query[limit]=10&query[pipeline]=chat-bot", Some(&t.viewer)).await;
    assert_eq!(status, 200, "{list}");
    let chats: Vec<&str> = list.as_array().unwrap().iter().map(|c| c["chatId"].as_str().unwrap()).collect();
    assert_eq!(chats, ["b1"]);

    // The flow page's window, and the picker's list.
    let (status, dash) = t.server_fn("/api/dashboard", "pipeline=rag-agent", Some(&t.viewer)).await;
    assert_eq!(status, 200, "{dash}");
    let stages: Vec<&str> =
        dash["graph"]["nodes"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(stages.len(), 2, "{stages:?}");
    assert!(stages.contains(&"retrieve") && stages.contains(&"answer"), "{stages:?}");
    assert_eq!(dash["lastEventId"], rag[1]);
    assert!(dash["streamFrom"].as_i64().unwrap() > rag[1], "the stream picks up after every pipeline's newest");
    let (status, all) = t.server_fn("/api/dashboard", "", Some(&t.viewer)).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["graph"]["nodes"].as_array().unwrap().len(), 5);
    let (status, names) = t.server_fn("/api/pipelines", "", Some(&t.viewer)).await;
    assert_eq!(status, 200, "{names}");
    assert_eq!(names, json!(["chat-bot", "rag-agent"]));
    t.stop().await;
}

async fn a_pipeline_longer_than_256_is_refused(b: Backend) {
    let t = TestServer::start(b).await;
    let batch = json!([in_pipeline("ok", "s", "fine"), in_pipeline("long", "s", &"p".repeat(257))]);
    let (status, body) = t.post(&batch).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!((body["items"][0]["index"].as_i64(), body["items"][0]["field"].as_str()), (Some(1), Some("pipeline")));
    assert!(t.history("").await.is_empty(), "nothing of the batch is stored");
    t.post_ok(&in_pipeline("ok", "s", &"p".repeat(256))).await;
    t.stop().await;
}

/// 1 M input tokens of gpt-4o-mini: $0.15, 150 000 000 nanos.
fn priced(chat: &str, turn: &str, pipeline: Option<&str>) -> Value {
    let mut e = json!({"chatId": chat, "turnId": turn, "stage": "response", "model": "gpt-4o-mini",
                       "usage": {"inputTokens": 1_000_000, "outputTokens": 0}});
    if let Some(p) = pipeline {
        e["pipeline"] = json!(p);
    }
    e
}

async fn costs_and_budgets_by_pipeline(b: Backend) {
    let t = TestServer::start(b).await;
    common::clear_of_midnight(std::time::Duration::from_secs(60)).await;
    // The RAG agent: two turns of one conversation; the chat bot: one; and
    // one event that names no pipeline.
    t.post_ok(&json!([priced("r1", "t1", Some("rag")), priced("r1", "t2", Some("rag"))])).await;
    t.post_ok(&json!([priced("b1", "t1", Some("chat-bot"))])).await;
    t.post_ok(&priced("n1", "t1", None)).await;

    let summary = |q: &'static str| {
        let t = &t;
        async move {
            let (status, s) = t.get_json(&format!("/api/telemetry/summary?range=1h{q}")).await;
            assert_eq!(status, 200, "{s}");
            s
        }
    };
    let all = summary("").await;
    assert_eq!(all["cost"]["totalNanos"], 600_000_000);
    let rag = summary("&pipeline=rag").await;
    assert_eq!(rag["cost"]["totalNanos"], 300_000_000);
    assert_eq!((rag["overview"]["events"].as_i64(), rag["overview"]["turns"].as_i64()), (Some(2), Some(2)));
    assert_eq!(rag["overview"]["activeConversations"], 1, "{}", rag["overview"]);
    let bot = summary("&pipeline=chat-bot").await;
    assert_eq!(bot["cost"]["totalNanos"], 150_000_000);
    assert_eq!(summary("&pipeline=nobody").await["cost"]["totalNanos"], 0);

    // A daily budget for one pipeline counts that pipeline's spend only.
    let form = "budget[name]=rag&budget[scope]=pipeline&budget[scopeValue]=rag&budget[period]=daily\
                &budget[limitUsd]=1&budget[warnPct]=80&budget[criticalPct]=100";
    let (status, id) = t.server_fn("/api/costs/budgets/save", form, Some(&t.admin)).await;
    assert_eq!(status, 200, "{id}");
    let (status, budgets) = t.server_fn("/api/costs/budgets", "", Some(&t.admin)).await;
    assert_eq!(status, 200, "{budgets}");
    let rag_budget = budgets.as_array().unwrap().iter().find(|b| b["budget"]["name"] == "rag").unwrap();
    assert_eq!(rag_budget["budget"]["scope"], "pipeline");
    assert_eq!(rag_budget["spentNanos"], 300_000_000);
    // And the agents' budget check applies it to that pipeline alone.
    let check = |q: &'static str| {
        let t = &t;
        async move {
            let resp = t
                .client
                .get(t.url(&format!("/api/budget/check{q}")))
                .header("x-api-key", common::KEY)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            resp.json::<Value>().await.unwrap()
        }
    };
    let names = |v: &Value| {
        v["budgets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["budget"]["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&check("?pipeline=rag").await), ["rag"]);
    assert!(names(&check("?pipeline=chat-bot").await).is_empty());
    t.stop().await;
}
