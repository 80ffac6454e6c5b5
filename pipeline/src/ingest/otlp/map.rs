//! OTLP spans → native event items: one pure function and its rule table,
//! so every rule is tested without a server. The result goes through the
//! same validation, pricing and writer as `POST /api/events`, so an OTLP
//! event is stored, priced and streamed exactly like a native one.
//!
//! The rules (documented for users in `docs/otel.md`):
//!
//! | event field | taken from, first found |
//! |---|---|
//! | `chatId` | `gen_ai.conversation.id`, `session.id`, `langfuse.session.id` (span, then resource); else the trace id |
//! | `turnId` | the trace id |
//! | `stage` | `flowmeter.stage`; else `gen_ai.operation.name` ([`OPERATIONS`]); else `openinference.span.kind` ([`SPAN_KINDS`]); else `llm` for any other GenAI span |
//! | `ts`, `durationMs` | the span's start, and end − start |
//! | `status`, `error` | status ERROR; its message, else the `exception` event's type and message |
//! | `model` | `gen_ai.response.model`, `gen_ai.request.model`, `llm.model_name` |
//! | `provider` | `gen_ai.provider.name`, `gen_ai.system`, `llm.provider` |
//! | `persona` | `gen_ai.agent.name`, `agent.name` |
//! | `tenant` | `flowmeter.tenant`, `tenant.id` (span, then resource) |
//! | `pipeline` | the resource's `service.name` (cut to 256 characters) |
//! | `meta.tool` | `gen_ai.tool.name`, `tool.name` |
//! | `usage` | [`TOKENS`] |
//! | `meta` | `service.name`, the span's name and ids, the scope, and every attribute not used above, up to the 16 KiB cap |
//!
//! A span with no `gen_ai.*`, `llm.*`, `openinference.*` or `flowmeter.*`
//! attribute (an HTTP or database span) is not a pipeline stage: it is
//! skipped and counted, and the answer's `partial_success` says how many.

use super::super::error::ItemError;
use super::super::validate::MAX_META_BYTES;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::{status::StatusCode, Span};
use serde_json::{json, Map, Value};

/// `gen_ai.operation.name` → stage.
pub const OPERATIONS: &[(&str, &str)] = &[
    ("chat", "llm"),
    ("text_completion", "llm"),
    ("generate_content", "llm"),
    ("embeddings", "embeddings"),
    ("execute_tool", "tools"),
    ("invoke_agent", "agent"),
    ("create_agent", "agent"),
];

/// `openinference.span.kind` → stage.
pub const SPAN_KINDS: &[(&str, &str)] = &[
    ("LLM", "llm"),
    ("TOOL", "tools"),
    ("AGENT", "agent"),
    ("CHAIN", "chain"),
    ("RETRIEVER", "retriever"),
    ("EMBEDDING", "embeddings"),
    ("RERANKER", "reranker"),
    ("GUARDRAIL", "guardrail"),
    ("EVALUATOR", "evaluator"),
];

/// Native usage field ← attributes, first found (GenAI conventions, the
/// common aliases, then OpenInference).
pub const TOKENS: &[(&str, &[&str])] = &[
    ("usage.inputTokens", &["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt"]),
    (
        "usage.outputTokens",
        &["gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion"],
    ),
    (
        "usage.cachedInputTokens",
        &[
            "gen_ai.usage.cache_read.input_tokens",
            "gen_ai.usage.cache_read_input_tokens",
            "llm.token_count.prompt_details.cache_read",
        ],
    ),
    (
        "usage.cacheWriteTokens",
        &[
            "gen_ai.usage.cache_creation.input_tokens",
            "gen_ai.usage.cache_creation_input_tokens",
            "llm.token_count.prompt_details.cache_write",
        ],
    ),
    (
        "usage.reasoningTokens",
        &[
            "gen_ai.usage.reasoning.output_tokens",
            "gen_ai.usage.reasoning_tokens",
            "llm.token_count.completion_details.reasoning",
        ],
    ),
];

const CHAT_ID: &[&str] = &["gen_ai.conversation.id", "session.id", "langfuse.session.id"];
const MODEL: &[&str] = &["gen_ai.response.model", "gen_ai.request.model", "llm.model_name"];
const PROVIDER: &[&str] = &["gen_ai.provider.name", "gen_ai.system", "llm.provider"];
const PERSONA: &[&str] = &["gen_ai.agent.name", "agent.name"];
/// The tenant: Flowmeter's own key, then the common `tenant.id`. (Not
/// `enduser.id`: that is one person, and a tenant is whom they belong to.)
const TENANT: &[&str] = &["flowmeter.tenant", "tenant.id"];
/// The tool a span called (GenAI conventions, then OpenInference).
const TOOL: &[&str] = &["gen_ai.tool.name", "tool.name"];
const STAGE: &str = "flowmeter.stage";
const OPERATION: &str = "gen_ai.operation.name";
const SPAN_KIND: &str = "openinference.span.kind";
/// 2000-01-01T00:00:00Z: anything earlier is a unit mistake, not a span.
const YEAR_2000_NS: u64 = 946_684_800 * 1_000_000_000;
/// Prefixes that make a span a pipeline stage.
const GENAI_PREFIXES: &[&str] = &["gen_ai.", "llm.", "openinference.", "flowmeter."];

/// One span, mapped.
#[derive(Debug, PartialEq)]
pub struct Item {
    /// The span's position among all spans of the request.
    pub index: usize,
    /// Where it is in the request (`resourceSpans[0].scopeSpans[0].spans[3]`).
    pub at: String,
    /// The native event object.
    pub event: Value,
    /// Native field → where in the span it came from (`startTimeUnixNano`,
    /// `attributes[gen_ai.request.model]`), to name it in errors.
    pub sources: Vec<(&'static str, String)>,
}

impl Item {
    /// The OTLP path of a native field of this item, for error messages.
    pub fn path_of(&self, field: &str) -> String {
        let source = self.sources.iter().find(|(f, _)| *f == field).map_or(field, |(_, s)| s.as_str());
        format!("{}.{source}", self.at)
    }
}

/// A request, mapped: the events to store, in request order, and the
/// spans that were not stages.
#[derive(Debug, Default, PartialEq)]
pub struct Mapped {
    pub items: Vec<Item>,
    pub skipped: usize,
    /// Problems found while mapping (before validation), by span, with
    /// the OTLP path of the field.
    pub errors: Vec<ItemError>,
}

/// Maps every span of the request.
pub fn map_request(req: &ExportTraceServiceRequest) -> Mapped {
    let mut out = Mapped::default();
    let mut index = 0;
    for (r, rs) in req.resource_spans.iter().enumerate() {
        let resource: &[KeyValue] = rs.resource.as_ref().map_or(&[], |r| &r.attributes);
        for (s, ss) in rs.scope_spans.iter().enumerate() {
            let scope = ss.scope.as_ref().map(|s| s.name.as_str()).filter(|n| !n.is_empty());
            for (i, span) in ss.spans.iter().enumerate() {
                index += 1;
                if !is_stage(span) {
                    out.skipped += 1;
                    continue;
                }
                let at = format!("resourceSpans[{r}].scopeSpans[{s}].spans[{i}]");
                out.items.push(map_span(index - 1, at, span, resource, scope, &mut out.errors));
            }
        }
    }
    out
}

fn is_stage(span: &Span) -> bool {
    span.attributes.iter().any(|kv| GENAI_PREFIXES.iter().any(|p| kv.key.starts_with(p)))
}

/// A span's attributes, with the ones the mapping used marked.
struct Attrs<'a> {
    span: &'a [KeyValue],
    resource: &'a [KeyValue],
    used: Vec<&'a str>,
}

impl<'a> Attrs<'a> {
    fn get(&self, key: &str) -> Option<&'a AnyValue> {
        self.span.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.as_ref())
    }

    /// The first of `keys` with a non-empty string value (numbers and
    /// booleans are rendered as text), and where it was.
    fn first_string(&mut self, keys: &[&'static str], resource_too: bool) -> Option<(String, String)> {
        for &key in keys {
            let found = self.get(key).or_else(|| {
                resource_too.then(|| self.resource.iter().find(|kv| kv.key == key)).flatten()?.value.as_ref()
            });
            if let Some(s) = found.and_then(scalar_text).filter(|s| !s.trim().is_empty()) {
                self.used.push(key);
                return Some((s, format!("attributes[{key}]")));
            }
        }
        None
    }
}

fn map_span(
    index: usize,
    at: String,
    span: &Span,
    resource: &[KeyValue],
    scope: Option<&str>,
    errors: &mut Vec<ItemError>,
) -> Item {
    let mut a = Attrs { span: &span.attributes, resource, used: Vec::new() };
    let mut sources = Vec::new();
    let mut event = Map::new();
    let trace_id = hex::encode(&span.trace_id);
    let mut fail = |field: &str, message: &str| errors.push(ItemError::new(index, format!("{at}.{field}"), message));
    if span.trace_id.len() != 16 || span.trace_id.iter().all(|b| *b == 0) {
        fail("traceId", "must be 16 bytes, not all zero");
    }
    if span.span_id.len() != 8 || span.span_id.iter().all(|b| *b == 0) {
        fail("spanId", "must be 8 bytes, not all zero");
    }
    if !span.parent_span_id.is_empty() && span.parent_span_id.len() != 8 {
        fail("parentSpanId", "must be 8 bytes or empty");
    }
    // Times: nanoseconds since the epoch; a span without a start is refused.
    if span.start_time_unix_nano == 0 {
        fail("startTimeUnixNano", "is required");
    } else if span.start_time_unix_nano < YEAR_2000_NS {
        // Seconds or milliseconds sent where nanoseconds belong.
        fail("startTimeUnixNano", "is before the year 2000: it must be nanoseconds since the epoch");
    } else {
        event.insert("ts".into(), json!(span.start_time_unix_nano / 1_000_000));
    }
    if span.end_time_unix_nano != 0 {
        match span.end_time_unix_nano.checked_sub(span.start_time_unix_nano) {
            Some(ns) => {
                event.insert("durationMs".into(), json!(ns.div_ceil(1_000) as f64 / 1_000.0));
            }
            None => fail("endTimeUnixNano", "is before startTimeUnixNano"),
        }
    }
    sources.push(("ts", "startTimeUnixNano".into()));
    sources.push(("durationMs", "endTimeUnixNano".into()));

    let mut put = |event: &mut Map<String, Value>, field: &'static str, found: Option<(String, String)>| {
        if let Some((value, source)) = found {
            event.insert(field.into(), Value::String(value));
            sources.push((field, source));
        }
    };
    let chat = a.first_string(CHAT_ID, true);
    if chat.is_some() {
        put(&mut event, "chatId", chat);
    } else {
        put(&mut event, "chatId", Some((trace_id.clone(), "traceId".into())));
    }
    put(&mut event, "turnId", Some((trace_id, "traceId".into())));
    let stage = stage(&mut a);
    put(&mut event, "stage", stage);
    put(&mut event, "model", a.first_string(MODEL, false));
    put(&mut event, "provider", a.first_string(PROVIDER, false));
    put(&mut event, "persona", a.first_string(PERSONA, false));
    put(&mut event, "tenant", a.first_string(TENANT, true));
    let service = resource.iter().find(|kv| kv.key == "service.name").and_then(|kv| kv.value.as_ref());
    let service = service.and_then(scalar_text).filter(|s| !s.trim().is_empty());
    put(&mut event, "pipeline", service.map(|s| (truncate(&s, 256), "resource.attributes[service.name]".into())));

    if let Some(status) = &span.status {
        if status.code == StatusCode::Error as i32 {
            event.insert("status".into(), json!("error"));
            let message = Some(status.message.trim().to_string()).filter(|m| !m.is_empty()).or_else(|| exception(span));
            event.insert("error".into(), json!(message.unwrap_or_else(|| "error".into())));
            sources.push(("error", "status.message".into()));
        }
    }

    let usage = usage(&mut a, index, &at, &mut sources, errors);
    if !usage.is_empty() {
        event.insert("usage".into(), Value::Object(usage));
    }
    let tool = a.first_string(TOOL, false);
    let mut meta = meta(span, &a, resource, scope);
    if let Some((tool, from)) = tool {
        meta.insert("tool".into(), json!(tool));
        sources.push(("meta.tool", from));
    }
    event.insert("meta".into(), Value::Object(meta));
    sources.push(("meta", "attributes".into()));
    Item { index, at, event: Value::Object(event), sources }
}

fn stage(a: &mut Attrs) -> Option<(String, String)> {
    if let Some(found) = a.first_string(&[STAGE], false) {
        return Some(found);
    }
    if let Some((op, key)) = a.first_string(&[OPERATION], false) {
        let stage = OPERATIONS.iter().find(|(o, _)| *o == op).map_or(op.as_str(), |(_, s)| s);
        return Some((stage.to_string(), key));
    }
    if let Some((kind, key)) = a.first_string(&[SPAN_KIND], false) {
        let stage = SPAN_KINDS
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(&kind))
            .map_or_else(|| kind.to_ascii_lowercase(), |(_, s)| s.to_string());
        return Some((stage, key));
    }
    Some(("llm".into(), "attributes".into()))
}

/// Token counts in the native shape. Cached and cache-write tokens are
/// parts of the input, reasoning tokens part of the output, as the GenAI
/// conventions say; an exporter that reports them beside (more parts than
/// whole) has them added, so no token is lost or counted twice.
fn usage(
    a: &mut Attrs,
    index: usize,
    at: &str,
    sources: &mut Vec<(&'static str, String)>,
    errors: &mut Vec<ItemError>,
) -> Map<String, Value> {
    let mut counts = [0i64; 5];
    for (slot, (field, keys)) in TOKENS.iter().enumerate() {
        for &key in keys.iter() {
            let Some(v) = a.get(key) else { continue };
            a.used.push(key);
            match count(v) {
                Some(n) => {
                    counts[slot] = n;
                    sources.push((field, format!("attributes[{key}]")));
                }
                None => errors.push(ItemError::new(
                    index,
                    format!("{at}.attributes[{key}]"),
                    "must be a non-negative integer",
                )),
            }
            break;
        }
    }
    let [mut input, mut output, cached, write, reasoning] = counts;
    if cached.saturating_add(write) > input {
        input = input.saturating_add(cached).saturating_add(write);
    }
    if reasoning > output {
        output = output.saturating_add(reasoning);
    }
    let mut m = Map::new();
    for (field, n) in [
        ("inputTokens", input),
        ("outputTokens", output),
        ("cachedInputTokens", cached),
        ("cacheWriteTokens", write),
        ("reasoningTokens", reasoning),
    ] {
        if n > 0 {
            m.insert(field.into(), json!(n));
        }
    }
    m
}

/// A token count: an integer, an integral double, or a string of digits.
fn count(v: &AnyValue) -> Option<i64> {
    match v.value.as_ref()? {
        any_value::Value::IntValue(n) => (*n >= 0).then_some(*n),
        any_value::Value::DoubleValue(d) if d.fract() == 0.0 && (0.0..9e15).contains(d) => Some(*d as i64),
        any_value::Value::StringValue(s) => s.trim().parse::<i64>().ok().filter(|n| *n >= 0),
        _ => None,
    }
}

/// The first `exception` event's `exception.type: exception.message`.
fn exception(span: &Span) -> Option<String> {
    let ev = span.events.iter().find(|e| e.name == "exception")?;
    let get =
        |k: &str| ev.attributes.iter().find(|kv| kv.key == k).and_then(|kv| kv.value.as_ref()).and_then(scalar_text);
    match (get("exception.type"), get("exception.message")) {
        (Some(t), Some(m)) => Some(format!("{t}: {m}")),
        (t, m) => m.or(t),
    }
}

/// The span's context and leftover attributes, kept under the meta cap
/// (attributes that would not fit are dropped and counted).
fn meta(span: &Span, a: &Attrs, resource: &[KeyValue], scope: Option<&str>) -> Map<String, Value> {
    let mut m = Map::new();
    let service =
        resource.iter().find(|kv| kv.key == "service.name").and_then(|kv| kv.value.as_ref()).and_then(scalar_text);
    if let Some(service) = service {
        m.insert("service".into(), json!(truncate(&service, 256)));
    }
    m.insert("span".into(), json!(truncate(&span.name, 256)));
    m.insert("spanId".into(), json!(hex::encode(&span.span_id)));
    if !span.parent_span_id.is_empty() {
        m.insert("parentSpanId".into(), json!(hex::encode(&span.parent_span_id)));
    }
    if let Some(scope) = scope {
        m.insert("scope".into(), json!(truncate(scope, 256)));
    }
    // Room for the wrapper, the counter and some slack.
    let budget = MAX_META_BYTES - 512 - serde_json::to_vec(&m).map_or(0, |b| b.len());
    let mut attributes = Map::new();
    let (mut size, mut dropped) = (0usize, 0usize);
    for kv in a.span.iter().filter(|kv| !a.used.contains(&kv.key.as_str())) {
        let value = kv.value.as_ref().map_or(Value::Null, to_json);
        let cost = kv.key.len() + serde_json::to_vec(&value).map_or(usize::MAX / 2, |b| b.len()) + 6;
        if size + cost > budget || attributes.contains_key(&kv.key) {
            dropped += 1;
            continue;
        }
        size += cost;
        attributes.insert(kv.key.clone(), value);
    }
    if !attributes.is_empty() {
        m.insert("attributes".into(), Value::Object(attributes));
    }
    if dropped > 0 {
        m.insert("droppedAttributes".into(), json!(dropped));
    }
    m
}

fn truncate(s: &str, chars: usize) -> String {
    s.chars().take(chars).collect()
}

fn scalar_text(v: &AnyValue) -> Option<String> {
    match v.value.as_ref()? {
        any_value::Value::StringValue(s) => Some(s.clone()),
        any_value::Value::IntValue(n) => Some(n.to_string()),
        any_value::Value::DoubleValue(d) => Some(d.to_string()),
        any_value::Value::BoolValue(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An attribute value as plain JSON (bytes as hex).
fn to_json(v: &AnyValue) -> Value {
    match &v.value {
        None => Value::Null,
        Some(any_value::Value::StringValue(s)) => json!(s),
        Some(any_value::Value::BoolValue(b)) => json!(b),
        Some(any_value::Value::IntValue(n)) => json!(n),
        Some(any_value::Value::DoubleValue(d)) => serde_json::Number::from_f64(*d).map_or(Value::Null, Value::Number),
        Some(any_value::Value::BytesValue(b)) => json!(hex::encode(b)),
        Some(any_value::Value::ArrayValue(a)) => Value::Array(a.values.iter().map(to_json).collect()),
        Some(any_value::Value::KvlistValue(l)) => Value::Object(
            l.values.iter().map(|kv| (kv.key.clone(), kv.value.as_ref().map_or(Value::Null, to_json))).collect(),
        ),
        // An index into a profile's string table: meaningless in a trace.
        Some(any_value::Value::StringValueStrindex(_)) => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Status};

    const T0: u64 = 1_795_000_000_123_456_789;

    fn s(v: &str) -> AnyValue {
        AnyValue { value: Some(any_value::Value::StringValue(v.into())) }
    }
    fn i(v: i64) -> AnyValue {
        AnyValue { value: Some(any_value::Value::IntValue(v)) }
    }
    fn kv(k: &str, v: AnyValue) -> KeyValue {
        KeyValue { key: k.into(), value: Some(v), ..Default::default() }
    }

    fn span(attrs: Vec<KeyValue>) -> Span {
        Span {
            trace_id: vec![0xab; 16],
            span_id: vec![0xcd; 8],
            name: "chat gpt-4o".into(),
            start_time_unix_nano: T0,
            end_time_unix_nano: T0 + 1_500_000_000,
            attributes: attrs,
            ..Default::default()
        }
    }

    fn request(resource: Vec<KeyValue>, spans: Vec<Span>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource { attributes: resource, ..Default::default() }),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope { name: "openlit".into(), ..Default::default() }),
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    fn one(attrs: Vec<KeyValue>) -> Value {
        let m = map_request(&request(vec![kv("service.name", s("agent"))], vec![span(attrs)]));
        assert!(m.errors.is_empty(), "{:?}", m.errors);
        m.items.into_iter().next().expect("one item").event
    }

    #[test]
    fn a_genai_chat_span_becomes_a_priced_stage() {
        let e = one(vec![
            kv("gen_ai.operation.name", s("chat")),
            kv("gen_ai.request.model", s("gpt-4o")),
            kv("gen_ai.response.model", s("gpt-4o-2024-08-06")),
            kv("gen_ai.provider.name", s("openai")),
            kv("gen_ai.conversation.id", s("conv-1")),
            kv("gen_ai.agent.name", s("support")),
            kv("gen_ai.usage.input_tokens", i(1200)),
            kv("gen_ai.usage.output_tokens", i(300)),
            kv("gen_ai.usage.cache_read.input_tokens", i(1000)),
            kv("gen_ai.usage.reasoning.output_tokens", i(100)),
            kv("http.response.status_code", i(200)),
        ]);
        assert_eq!(e["chatId"], "conv-1");
        assert_eq!(e["turnId"], "ab".repeat(16));
        assert_eq!(e["stage"], "llm");
        assert_eq!(e["model"], "gpt-4o-2024-08-06");
        assert_eq!(e["provider"], "openai");
        assert_eq!(e["persona"], "support");
        assert_eq!(e["ts"], 1_795_000_000_123i64);
        assert_eq!(e["durationMs"], 1500.0);
        assert!(e.get("status").is_none(), "success is the default");
        assert_eq!(
            e["usage"],
            json!({"inputTokens": 1200, "outputTokens": 300, "cachedInputTokens": 1000, "reasoningTokens": 100})
        );
        // Leftovers and context go to meta; used attributes do not (the
        // requested model stays: the response's model was the one used).
        assert_eq!(e["meta"]["service"], "agent");
        assert_eq!(e["meta"]["scope"], "openlit");
        assert_eq!(e["meta"]["spanId"], "cd".repeat(8));
        assert_eq!(
            e["meta"]["attributes"],
            json!({"gen_ai.request.model": "gpt-4o", "http.response.status_code": 200})
        );
    }

    #[test]
    fn the_tenant_comes_from_the_span_then_the_resource() {
        let span_says = one(vec![kv("gen_ai.operation.name", s("chat")), kv("tenant.id", s("acme"))]);
        assert_eq!(span_says["tenant"], "acme");
        assert!(
            span_says["meta"].get("attributes").is_none_or(|a| a.get("tenant.id").is_none()),
            "used, so not in meta"
        );
        let resource = vec![kv("service.name", s("agent")), kv("tenant.id", s("globex"))];
        let m = map_request(&request(resource.clone(), vec![span(vec![kv("gen_ai.operation.name", s("chat"))])]));
        assert_eq!(m.items[0].event["tenant"], "globex");
        let ours_first = span(vec![kv("gen_ai.operation.name", s("chat")), kv("flowmeter.tenant", s("initech"))]);
        assert_eq!(map_request(&request(resource, vec![ours_first])).items[0].event["tenant"], "initech");
        assert!(one(vec![kv("gen_ai.operation.name", s("chat"))]).get("tenant").is_none());
    }

    #[test]
    fn the_pipeline_is_the_resource_service_name() {
        let resource = vec![kv("service.name", s("rag-agent"))];
        let m = map_request(&request(resource, vec![span(vec![kv("gen_ai.operation.name", s("chat"))])]));
        assert_eq!(m.items[0].event["pipeline"], "rag-agent");
        let long = vec![kv("service.name", s(&"x".repeat(300)))];
        let m = map_request(&request(long, vec![span(vec![kv("gen_ai.operation.name", s("chat"))])]));
        assert_eq!(m.items[0].event["pipeline"].as_str().unwrap().len(), 256, "cut to the field's limit");
        let none = map_request(&request(vec![], vec![span(vec![kv("gen_ai.operation.name", s("chat"))])]));
        assert!(none.items[0].event.get("pipeline").is_none());
    }

    #[test]
    fn openinference_attributes_map_the_same() {
        let e = one(vec![
            kv("openinference.span.kind", s("LLM")),
            kv("llm.model_name", s("claude-sonnet-4-5")),
            kv("llm.provider", s("anthropic")),
            kv("session.id", s("sess-9")),
            kv("llm.token_count.prompt", i(500)),
            kv("llm.token_count.completion", i(40)),
            kv("llm.token_count.prompt_details.cache_read", i(200)),
            kv("llm.token_count.prompt_details.cache_write", i(100)),
        ]);
        assert_eq!((e["chatId"].as_str(), e["stage"].as_str()), (Some("sess-9"), Some("llm")));
        assert_eq!(e["model"], "claude-sonnet-4-5");
        assert_eq!(
            e["usage"],
            json!({"inputTokens": 500, "outputTokens": 40, "cachedInputTokens": 200, "cacheWriteTokens": 100})
        );
    }

    #[test]
    fn stage_rules_in_order() {
        let stage = |attrs| one(attrs)["stage"].as_str().unwrap().to_string();
        let op = |o: &str| kv("gen_ai.operation.name", s(o));
        assert_eq!(stage(vec![kv("flowmeter.stage", s("intent")), op("chat")]), "intent");
        assert_eq!(stage(vec![op("execute_tool"), kv("gen_ai.tool.name", s("search_web"))]), "tools");
        assert_eq!(stage(vec![op("invoke_agent"), kv("gen_ai.agent.name", s("router"))]), "agent");
        assert_eq!(stage(vec![op("embeddings")]), "embeddings");
        assert_eq!(stage(vec![op("rerank_things")]), "rerank_things");
        assert_eq!(stage(vec![kv("openinference.span.kind", s("RETRIEVER"))]), "retriever");
        assert_eq!(stage(vec![kv("openinference.span.kind", s("tool"))]), "tools");
        assert_eq!(stage(vec![kv("gen_ai.request.model", s("gpt-4o"))]), "llm");
        // The tool's name is the event's `meta.tool` (per-tool analytics).
        let e = one(vec![op("execute_tool"), kv("gen_ai.tool.name", s("search_web"))]);
        assert_eq!(e["meta"]["tool"], "search_web");
        assert!(e["meta"].get("attributes").is_none_or(|a| a.get("gen_ai.tool.name").is_none()));
        let oi = one(vec![kv("openinference.span.kind", s("TOOL")), kv("tool.name", s("calculator"))]);
        assert_eq!(oi["meta"]["tool"], "calculator");
    }

    #[test]
    fn chat_id_falls_back_to_the_resource_then_the_trace() {
        let m = map_request(&request(
            vec![kv("session.id", s("from-resource"))],
            vec![span(vec![kv("gen_ai.system", s("groq"))])],
        ));
        assert_eq!(m.items[0].event["chatId"], "from-resource");
        assert_eq!(m.items[0].event["provider"], "groq");
        let e = one(vec![kv("gen_ai.system", s("groq"))]);
        assert_eq!(e["chatId"], "ab".repeat(16));
        let e = one(vec![kv("langfuse.session.id", s("lf")), kv("gen_ai.system", s("x"))]);
        assert_eq!(e["chatId"], "lf");
    }

    #[test]
    fn token_counts_in_other_shapes() {
        let usage = |attrs| one(attrs)["usage"].clone();
        // Strings and integral doubles, as some SDKs send them.
        let d = |v: f64| AnyValue { value: Some(any_value::Value::DoubleValue(v)) };
        assert_eq!(
            usage(vec![kv("gen_ai.usage.input_tokens", s("12")), kv("gen_ai.usage.output_tokens", d(3.0))]),
            json!({"inputTokens": 12, "outputTokens": 3})
        );
        // The older names and the reasoning alias.
        assert_eq!(
            usage(vec![
                kv("gen_ai.usage.prompt_tokens", i(10)),
                kv("gen_ai.usage.completion_tokens", i(5)),
                kv("gen_ai.usage.reasoning_tokens", i(2)),
            ]),
            json!({"inputTokens": 10, "outputTokens": 5, "reasoningTokens": 2})
        );
        // Parts reported beside the whole (Anthropic's own way) are added.
        assert_eq!(
            usage(vec![
                kv("gen_ai.usage.input_tokens", i(10)),
                kv("gen_ai.usage.cache_read.input_tokens", i(100)),
                kv("gen_ai.usage.cache_creation.input_tokens", i(50)),
                kv("gen_ai.usage.output_tokens", i(5)),
                kv("gen_ai.usage.reasoning.output_tokens", i(7)),
            ]),
            json!({"inputTokens": 160, "outputTokens": 12, "cachedInputTokens": 100, "cacheWriteTokens": 50, "reasoningTokens": 7})
        );
    }

    #[test]
    fn errors_take_the_status_message_or_the_exception() {
        let mut sp = span(vec![kv("gen_ai.system", s("openai"))]);
        sp.status = Some(Status { code: StatusCode::Error as i32, message: "rate limited".into() });
        let m = map_request(&request(vec![], vec![sp.clone()]));
        assert_eq!(
            (m.items[0].event["status"].as_str(), m.items[0].event["error"].as_str()),
            (Some("error"), Some("rate limited"))
        );
        sp.status = Some(Status { code: StatusCode::Error as i32, message: String::new() });
        sp.events = vec![span::Event {
            name: "exception".into(),
            attributes: vec![kv("exception.type", s("TimeoutError")), kv("exception.message", s("took too long"))],
            ..Default::default()
        }];
        let m = map_request(&request(vec![], vec![sp.clone()]));
        assert_eq!(m.items[0].event["error"], "TimeoutError: took too long");
        sp.status = Some(Status { code: StatusCode::Ok as i32, message: String::new() });
        let m = map_request(&request(vec![], vec![sp]));
        assert!(m.items[0].event.get("error").is_none());
    }

    #[test]
    fn plain_spans_are_skipped_and_counted() {
        let http = span(vec![kv("http.request.method", s("GET"))]);
        let llm = span(vec![kv("gen_ai.system", s("openai"))]);
        let m = map_request(&request(vec![], vec![http.clone(), llm, http]));
        assert_eq!((m.items.len(), m.skipped), (1, 2));
        assert_eq!(m.items[0].index, 1);
        assert_eq!(m.items[0].at, "resourceSpans[0].scopeSpans[0].spans[1]");
    }

    #[test]
    fn broken_spans_are_named_by_path_and_field() {
        let mut bad = span(vec![kv("gen_ai.system", s("openai")), kv("gen_ai.usage.input_tokens", i(-3))]);
        bad.trace_id = vec![1, 2, 3];
        bad.span_id = vec![0; 8];
        bad.start_time_unix_nano = 0;
        let m = map_request(&request(vec![], vec![bad]));
        let fields: Vec<&str> = m.errors.iter().map(|e| e.field.as_str()).collect();
        let at = "resourceSpans[0].scopeSpans[0].spans[0]";
        assert_eq!(
            fields,
            [
                format!("{at}.traceId"),
                format!("{at}.spanId"),
                format!("{at}.startTimeUnixNano"),
                format!("{at}.attributes[gen_ai.usage.input_tokens]")
            ]
        );
        let mut millis = span(vec![kv("gen_ai.system", s("openai"))]);
        millis.start_time_unix_nano = 1_795_000_000_000;
        let m = map_request(&request(vec![], vec![millis]));
        assert_eq!(m.errors[0].field, format!("{at}.startTimeUnixNano"));
        assert!(m.errors[0].message.contains("nanoseconds"), "{:?}", m.errors);
        let mut backwards = span(vec![kv("gen_ai.system", s("openai"))]);
        backwards.end_time_unix_nano = backwards.start_time_unix_nano - 1;
        let m = map_request(&request(vec![], vec![backwards]));
        assert_eq!(m.errors[0].field, format!("{at}.endTimeUnixNano"));
    }

    #[test]
    fn meta_stays_under_the_cap() {
        let mut attrs = vec![kv("gen_ai.system", s("openai"))];
        for n in 0..40 {
            attrs.push(kv(&format!("big.{n}"), s(&"x".repeat(1000))));
        }
        let e = one(attrs);
        let size = serde_json::to_vec(&e["meta"]).unwrap().len();
        assert!(size <= MAX_META_BYTES, "{size}");
        let kept = e["meta"]["attributes"].as_object().unwrap().len();
        assert_eq!(kept + e["meta"]["droppedAttributes"].as_u64().unwrap() as usize, 40);
        assert!(kept > 10);
    }

    #[test]
    fn errors_name_the_attribute_a_field_came_from() {
        let m = map_request(&request(vec![], vec![span(vec![kv("gen_ai.request.model", s("m"))])]));
        assert_eq!(
            m.items[0].path_of("model"),
            "resourceSpans[0].scopeSpans[0].spans[0].attributes[gen_ai.request.model]"
        );
        assert_eq!(m.items[0].path_of("ts"), "resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano");
    }
}
