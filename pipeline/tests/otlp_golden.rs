//! Golden mapping tests: OTLP payloads recorded with the OpenTelemetry
//! Python SDK's encoder (`scripts/record-otlp-fixtures.py`), with the
//! attributes OpenLIT, OpenLLMetry and OpenInference set, in protobuf and
//! OTLP/JSON. Each maps to the events in `<name>.expected.json`, and both
//! encodings map to the same events.
//!
//! After a deliberate change of the mapping: `UPDATE_GOLDEN=1 cargo test
//! -p pipeline --test otlp_golden`, then read the diff.

use pipeline::ingest::otlp::{self, map, OtlpFormat};
use serde_json::Value;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/otlp")
}

fn mapped(name: &str, ext: &str, format: OtlpFormat) -> Value {
    let body = std::fs::read(fixtures().join(format!("{name}.{ext}"))).unwrap();
    let request = otlp::decode(&body, format).unwrap_or_else(|e| panic!("{name}.{ext}: {e}"));
    let m = map::map_request(&request);
    assert!(m.errors.is_empty(), "{name}.{ext}: {:?}", m.errors);
    serde_json::json!({
        "skipped": m.skipped,
        "events": m.items.iter().map(|i| serde_json::json!({"at": i.at, "event": i.event})).collect::<Vec<_>>(),
    })
}

fn golden(name: &str) {
    let from_pb = mapped(name, "pb", OtlpFormat::Protobuf);
    let from_json = mapped(name, "json", OtlpFormat::Json);
    assert_eq!(from_pb, from_json, "{name}: protobuf and JSON map alike");
    let path = fixtures().join(format!("{name}.expected.json"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&from_pb).unwrap() + "\n").unwrap();
    }
    let want: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(from_pb, want, "{name}: mapped events differ from {}", path.display());
}

#[test]
fn openlit_genai_conventions() {
    golden("openlit");
}

#[test]
fn openllmetry_older_token_names_and_anthropic_cache_counts() {
    golden("openllmetry");
}

#[test]
fn openinference_span_kinds_and_token_counts() {
    golden("openinference");
}
