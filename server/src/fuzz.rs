//! The fuzz targets' bodies: `fuzz/` runs them under `cargo fuzz`
//! (`scripts/soak.sh`), and `server/tests/it/fuzz_corpus.rs` replays their
//! seed corpus (and every crash found, kept there) in the test command.
//! Each feeds arbitrary bytes to one input path exactly as a request or a
//! start-up would, and checks what must hold of any answer: no panic, and
//! a refusal that says what is wrong.

use crate::config::Config;
use crate::http::params::Params;
use crate::http::telemetry::resume_point;
use axum::http::{HeaderMap, HeaderValue};
use pipeline::ingest::{self, usage, BodyFormat, IngestError, OtlpFormat};
use std::collections::HashMap;

/// A fixed clock: the same input always gets the same answer.
const NOW_MS: i64 = 1_795_000_000_000;

/// The first byte picks a variant; the rest is the input.
fn split(data: &[u8]) -> Option<(u8, &[u8])> {
    data.split_first().map(|(b, rest)| (*b, rest))
}

/// A refusal says what is wrong: with the body as a whole (a message), or
/// with each invalid item (its problems, each with a message).
fn refusal_is_clear(e: &IngestError) {
    assert!(!e.to_string().is_empty());
    if let IngestError::Invalid { items, .. } = e {
        assert!(items.iter().all(|i| !i.message.is_empty()), "{items:?}");
    }
}

/// A native ingest body (JSON or NDJSON): parsed and validated.
pub fn ingest_body(data: &[u8]) {
    let Some((variant, body)) = split(data) else { return };
    let format = if variant % 2 == 0 { BodyFormat::Json } else { BodyFormat::Ndjson };
    let result = ingest::parse::parse_body(body, format)
        .and_then(|items| ingest::events_from_values(&items, Some("tenant-a").filter(|_| variant % 3 == 0), NOW_MS));
    match result {
        Ok(events) => assert!(events.iter().all(|e| !e.chat_id.is_empty() && !e.stage.is_empty())),
        Err(e) => refusal_is_clear(&e),
    }
}

/// A provider's usage object, normalised to token counts.
pub fn usage(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let mut errors = Vec::new();
    let u = usage::normalise(&value, 0, &mut errors);
    if errors.is_empty() {
        let counts = [u.input_tokens, u.output_tokens, u.cached_input_tokens, u.cache_write_tokens, u.reasoning_tokens];
        assert!(counts.iter().all(|&n| n >= 0), "{u:?} from {value}");
    } else {
        assert!(errors.iter().all(|e| e.field.starts_with("usage") && !e.message.is_empty()), "{errors:?}");
    }
}

/// An OTLP/HTTP traces body (protobuf or JSON): decoded, mapped and validated.
pub fn otlp(data: &[u8]) {
    let Some((variant, body)) = split(data) else { return };
    let format = if variant % 2 == 0 { OtlpFormat::Protobuf } else { OtlpFormat::Json };
    match ingest::events_from_otlp(body, format, None, NOW_MS) {
        Ok((events, mapped)) => assert_eq!(events.len(), mapped.items.len()),
        Err(e) => {
            refusal_is_clear(&e);
            if let IngestError::Invalid { items, .. } = &e {
                assert!(items.iter().all(|i| i.field.starts_with("resourceSpans[")), "{items:?}");
            }
        }
    }
}

/// A stream's resume point (`Last-Event-ID`, `?after=`) and a query
/// string as the summary and history read it.
pub fn stream_query(data: &[u8]) {
    let Some((variant, rest)) = split(data) else { return };
    let text = String::from_utf8_lossy(rest);
    let (header, query) = text.split_once('\n').unwrap_or((&text, ""));
    let params: HashMap<String, String> = serde_urlencoded::from_str(query).unwrap_or_default();
    let mut headers = HeaderMap::new();
    if variant % 2 == 0 {
        if let Ok(v) = HeaderValue::from_str(header) {
            headers.insert("last-event-id", v);
        }
    }
    if let Err(e) = resume_point(&headers, &params) {
        assert_eq!(e.status(), 400, "{e}");
    }
    let p = Params(&params);
    for result in [p.summary_query().map(drop), p.int("limit", 1, 1000).map(drop), p.id("before").map(drop)] {
        if let Err(e) = result {
            assert_eq!(e.status(), 400, "{e}");
        }
    }
}

/// The configuration: a `Leptos.toml` (up to the first NUL byte) and
/// `KEY=value` environment lines after it.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (file, env) = text.split_once('\0').unwrap_or((&text, ""));
    let Ok(base) = toml::from_str::<Config>(file) else { return };
    let vars: HashMap<String, String> =
        env.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
    if let Err(e) = base.with_env(|k| vars.get(k).cloned()) {
        assert!(!e.to_string().is_empty());
    }
}

/// A target's body.
pub type Target = fn(&[u8]);

/// Every target, by the name of its corpus directory.
pub const TARGETS: [(&str, Target); 5] = [
    ("ingest_body", ingest_body),
    ("usage", usage),
    ("otlp", otlp),
    ("stream_query", stream_query),
    ("config", config),
];
