//! OTLP bodies for the benchmarks: span `i` is [`crate::event`]`(i)` as an
//! instrumented agent would export it (GenAI attributes, the stage in
//! `flowmeter.stage`, one trace per turn), encoded as protobuf.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value: Some(value) }), ..Default::default() }
}

fn text(key: &str, value: impl Into<String>) -> KeyValue {
    kv(key, any_value::Value::StringValue(value.into()))
}

fn int(key: &str, value: i64) -> KeyValue {
    kv(key, any_value::Value::IntValue(value))
}

/// Spans `first .. first + count` in one protobuf `ExportTraceServiceRequest`.
pub fn request(first: usize, count: usize) -> Vec<u8> {
    let start = domain::time::now_ms() as u64 * 1_000_000;
    let spans = (first..first + count)
        .map(|i| {
            let e = crate::event(i, serde_json::json!({}));
            let turn = (i / 6) as u128 + 1;
            let duration = e["durationMs"].as_u64().unwrap_or(100) * 1_000_000;
            Span {
                trace_id: turn.to_be_bytes().to_vec(),
                span_id: (i as u64 + 1).to_be_bytes().to_vec(),
                name: format!("chat {}", e["model"].as_str().unwrap_or("")),
                kind: 3,
                start_time_unix_nano: start,
                end_time_unix_nano: start + duration,
                attributes: vec![
                    text("flowmeter.stage", e["stage"].as_str().unwrap_or("")),
                    text("gen_ai.operation.name", "chat"),
                    text("gen_ai.conversation.id", e["chatId"].as_str().unwrap_or("")),
                    text("gen_ai.agent.name", "sage"),
                    text("gen_ai.provider.name", "openai"),
                    text("gen_ai.request.model", e["model"].as_str().unwrap_or("")),
                    int("gen_ai.usage.input_tokens", 1200),
                    int("gen_ai.usage.cache_read.input_tokens", 600),
                    int("gen_ai.usage.output_tokens", 180),
                ],
                ..Default::default()
            }
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource { attributes: vec![text("service.name", "bench-agent")], ..Default::default() }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope { name: "bench".into(), ..Default::default() }),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}
