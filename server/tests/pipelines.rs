//! Pipelines: events name the pipeline that sent them (`pipeline`, or the
//! OTLP resource's `service.name`); the history, the conversations, the
//! flow page's window and the pipeline list filter by it.

#[macro_use]
mod common;

use common::{event, Backend, TestServer};
use serde_json::{json, Value};

both_backends!(events_carry_their_pipeline_and_every_reader_filters_by_it, a_pipeline_longer_than_256_is_refused);

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
