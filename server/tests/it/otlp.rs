//! OTLP/HTTP in, end to end: a real OpenTelemetry SDK and exporter send
//! GenAI spans (protobuf and JSON) to the real server, and the conversation,
//! tokens and cost come back through the telemetry API; bad bodies get a
//! 4xx and store nothing.

use crate::common;

use common::{eventually, Backend, TestServer, KEY};
use flate2::write::GzEncoder;
use opentelemetry::trace::{Span as _, Status, TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry::KeyValue;
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig, WithHttpConfig};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_sdk::{trace::SdkTracerProvider, Resource};
use prost::Message;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

both_backends!(
    a_real_exporter_lights_up_the_pipeline,
    bad_otlp_bodies_are_refused_and_store_nothing,
    answers_are_encoded_like_the_request,
);

/// Sends one agent turn as the SDK would: an agent span, a tool call, an
/// LLM call and an HTTP span (not a stage), all in one trace.
async fn export(base: String, protocol: Protocol, headers: HashMap<String, String>, chat: &'static str) {
    tokio::task::spawn_blocking(move || {
        let exporter = SpanExporter::builder()
            .with_http()
            .with_protocol(protocol)
            .with_endpoint(format!("{base}/v1/traces"))
            .with_headers(headers)
            .with_timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let provider = SdkTracerProvider::builder()
            .with_resource(Resource::builder().with_service_name("support-bot").build())
            .with_simple_exporter(exporter)
            .build();
        let tracer = provider.tracer("otel-test");
        tracer.in_span("invoke_agent support", |cx| {
            cx.span().set_attributes([
                KeyValue::new("gen_ai.operation.name", "invoke_agent"),
                KeyValue::new("gen_ai.agent.name", "support"),
                KeyValue::new("gen_ai.conversation.id", chat),
            ]);
            let mut tool = tracer.start("execute_tool search_web");
            tool.set_attributes([
                KeyValue::new("gen_ai.operation.name", "execute_tool"),
                KeyValue::new("gen_ai.tool.name", "search_web"),
                KeyValue::new("gen_ai.conversation.id", chat),
            ]);
            tool.set_status(Status::error("search backend timed out"));
            tool.end();
            let mut llm = tracer.start("chat gpt-4o");
            llm.set_attributes([
                KeyValue::new("gen_ai.operation.name", "chat"),
                KeyValue::new("gen_ai.provider.name", "openai"),
                KeyValue::new("gen_ai.request.model", "gpt-4o"),
                KeyValue::new("gen_ai.conversation.id", chat),
                KeyValue::new("gen_ai.usage.input_tokens", 1000_i64),
                KeyValue::new("gen_ai.usage.cache_read.input_tokens", 400_i64),
                KeyValue::new("gen_ai.usage.output_tokens", 200_i64),
            ]);
            llm.end();
            let mut http = tracer.start("GET /search");
            http.set_attribute(KeyValue::new("http.request.method", "GET"));
            http.end();
        });
        provider.force_flush().unwrap();
        provider.shutdown().unwrap();
    })
    .await
    .unwrap();
}

async fn a_real_exporter_lights_up_the_pipeline(b: Backend) {
    let t = TestServer::start(b).await;
    let key = HashMap::from([("X-API-Key".to_string(), KEY.to_string())]);
    let bearer = HashMap::from([("Authorization".to_string(), format!("Bearer {KEY}"))]);
    export(t.server.url(), Protocol::HttpBinary, key, "otel-protobuf").await;
    export(t.server.url(), Protocol::HttpJson, bearer, "otel-json").await;
    for chat in ["otel-protobuf", "otel-json"] {
        // The exporter reports no failure; what the server stored is the test.
        let path = format!("/api/telemetry/conversations?chatId={chat}");
        eventually(Duration::from_secs(10), chat, || async { t.get_json(&path).await.0 == 200 }).await;
        let (status, detail) = t.get_json(&path).await;
        assert_eq!(status, 200, "{detail}");
        let turns = detail["turns"].as_array().unwrap();
        assert_eq!(turns.len(), 1, "one trace, one turn: {detail}");
        let stages = turns[0]["stages"].as_array().unwrap();
        let mut names: Vec<&str> = stages.iter().map(|s| s["stage"].as_str().unwrap()).collect();
        names.sort();
        assert_eq!(names, ["agent", "llm", "tools"], "the HTTP span is not a stage");
        let by = |name: &str| stages.iter().find(|s| s["stage"] == name).unwrap();
        let llm = by("llm");
        assert_eq!((llm["model"].as_str(), llm["provider"].as_str()), (Some("gpt-4o"), Some("openai")));
        assert_eq!(
            llm["usage"],
            json!({"inputTokens": 1000, "outputTokens": 200, "cachedInputTokens": 400, "cacheWriteTokens": 0, "reasoningTokens": 0})
        );
        // gpt-4o: 600 × $2.50 + 400 × $1.25 (cached) + 200 × $10 per 1M.
        assert_eq!(llm["costNanos"], 4_000_000, "{llm}");
        assert_eq!(llm["meta"]["service"], "support-bot");
        let tool = by("tools");
        assert_eq!(
            (tool["status"].as_str(), tool["error"].as_str()),
            (Some("error"), Some("search backend timed out"))
        );
        assert_eq!((tool["meta"]["tool"].as_str(), tool["tool"].as_str()), (Some("search_web"), Some("search_web")));
        assert_eq!(by("agent")["persona"], "support");
        assert_eq!(detail["costNanos"].as_i64(), Some(4_000_000), "{detail}");
    }
    t.stop().await;
}

fn span_json(trace_id: &str, span_id: &str, start: &str) -> Value {
    json!({
        "traceId": trace_id, "spanId": span_id, "name": "chat", "kind": 3,
        "startTimeUnixNano": start, "endTimeUnixNano": "1795000001000000000",
        "attributes": [
            {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "12"}}
        ]
    })
}

fn request_json(spans: Vec<Value>) -> Value {
    json!({"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}]})
}

const TRACE: &str = "5b8efff798038103d269b633813fc60c";
const SPAN: &str = "eee19b7ec3c1b174";
const START: &str = "1795000000000000000";

async fn send(t: &TestServer, content_type: &str, encoding: Option<&str>, body: Vec<u8>) -> reqwest::Response {
    let mut req = t.client.post(t.url("/v1/traces")).header("x-api-key", KEY).header("content-type", content_type);
    if let Some(e) = encoding {
        req = req.header("content-encoding", e);
    }
    req.body(body).send().await.unwrap()
}

async fn status_and_text(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// What is wrong, content type, content encoding, body, the status it
/// gets, and what the refusal must name.
type Case = (&'static str, &'static str, Option<&'static str>, Vec<u8>, u16, &'static str);

async fn bad_otlp_bodies_are_refused_and_store_nothing(b: Backend) {
    let t = TestServer::start_with(b, |c| c.max_body_bytes = 256 * 1024).await;
    let good = span_json(TRACE, SPAN, START);
    let json_body = |spans: Vec<Value>| request_json(spans).to_string().into_bytes();
    let valid_pb = {
        let req: ExportTraceServiceRequest = serde_json::from_value(request_json(vec![good.clone()])).unwrap();
        req.encode_to_vec()
    };
    let cases: Vec<Case> = vec![
        ("plain text", "text/plain", None, b"hi".to_vec(), 415, "application/x-protobuf"),
        (
            "truncated protobuf",
            "application/x-protobuf",
            None,
            valid_pb[..valid_pb.len() - 7].to_vec(),
            400,
            "not an OTLP",
        ),
        ("not JSON", "application/json", None, b"{\"resourceSpans\": [".to_vec(), 400, "not an OTLP"),
        (
            "a short trace id beside a good span",
            "application/json",
            None,
            json_body(vec![good.clone(), span_json("abcd", SPAN, START)]),
            400,
            "resourceSpans[0].scopeSpans[0].spans[1].traceId",
        ),
        (
            "no start time",
            "application/json",
            None,
            json_body(vec![span_json(TRACE, SPAN, "0")]),
            400,
            "startTimeUnixNano",
        ),
        (
            "milliseconds for nanoseconds",
            "application/json",
            None,
            json_body(vec![span_json(TRACE, SPAN, "1795000000000")]),
            400,
            "startTimeUnixNano",
        ),
        (
            "a negative token count",
            "application/json",
            None,
            {
                let mut s = good.clone();
                s["attributes"][1]["value"] = json!({"intValue": "-5"});
                json_body(vec![s])
            },
            400,
            "attributes[gen_ai.usage.input_tokens]",
        ),
        (
            "a model name of 300 characters",
            "application/json",
            None,
            {
                let mut s = good.clone();
                s["attributes"][0]["value"] = json!({"stringValue": "m".repeat(300)});
                json_body(vec![s])
            },
            400,
            "attributes[gen_ai.request.model]",
        ),
        // 64 MiB of zeros in 64 KiB: inflated only up to the 256 KiB limit.
        ("a gzip bomb", "application/json", Some("gzip"), gzip(&vec![0u8; 64 << 20]), 413, "limit"),
        ("gzip that is not gzip", "application/json", Some("gzip"), b"plain".to_vec(), 400, "gzip"),
        ("brotli", "application/json", Some("br"), json_body(vec![good.clone()]), 400, "Content-Encoding"),
    ];
    for (what, ct, encoding, body, want, names) in cases {
        let (status, text) = status_and_text(send(&t, ct, encoding, body).await).await;
        assert_eq!(status, want, "{what}: {text}");
        assert!(text.contains(names), "{what}: the refusal names `{names}`: {text}");
    }
    let (status, _) = status_and_text(
        t.client.post(t.url("/v1/traces")).header("content-type", "application/json").body("{}").send().await.unwrap(),
    )
    .await;
    assert_eq!(status, 401, "no key");
    assert!(t.history("limit=10").await.is_empty(), "nothing of a refused request is stored");

    // Compressed and well-formed: stored.
    let resp = send(&t, "application/json", Some("gzip"), gzip(&json_body(vec![good]))).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(t.history("limit=10").await.len(), 1);
    t.stop().await;

    // Ingest turned off: 503 with Retry-After, so exporters retry.
    let t = TestServer::start_with(b, |c| c.telemetry_enabled = false).await;
    let resp = send(&t, "application/x-protobuf", None, valid_pb).await;
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    t.stop().await;
}

async fn answers_are_encoded_like_the_request(b: Backend) {
    let t = TestServer::start(b).await;
    let mut plain = span_json(TRACE, "1111111111111111", START);
    plain["attributes"] = json!([{"key": "http.request.method", "value": {"stringValue": "GET"}}]);
    let body = request_json(vec![span_json(TRACE, SPAN, START), plain]);

    let resp = send(&t, "application/json", None, body.to_string().into_bytes()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let answer: Value = resp.json().await.unwrap();
    assert_eq!(answer["partialSuccess"]["rejectedSpans"], 1, "{answer}");

    let req: ExportTraceServiceRequest = serde_json::from_value(body).unwrap();
    let resp = send(&t, "application/x-protobuf", None, req.encode_to_vec()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/x-protobuf");
    let answer = ExportTraceServiceResponse::decode(resp.bytes().await.unwrap()).unwrap();
    assert_eq!(answer.partial_success.map(|p| p.rejected_spans), Some(1));

    // A refusal is a google.rpc.Status in the request's encoding.
    let resp = send(&t, "application/x-protobuf", None, vec![0xff, 0xff]).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.headers()["content-type"], "application/x-protobuf");
    let status = pipeline::ingest::otlp::RpcStatus::decode(resp.bytes().await.unwrap()).unwrap();
    assert_eq!(status.code, 3, "INVALID_ARGUMENT");
    assert!(status.message.contains("not an OTLP"), "{}", status.message);
    // Both stage spans were stored (the same span twice: OTLP has no dedup).
    assert_eq!(t.history("limit=10").await.len(), 2);
    t.stop().await;
}
