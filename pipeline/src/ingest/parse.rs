//! Splits a request body into event objects: one JSON object, a JSON array
//! of them, or NDJSON (one object per line). Items keep their position so
//! errors can name them by index.

use super::error::{IngestError, ItemError};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFormat {
    /// `application/json`: an object or an array of objects.
    Json,
    /// `application/x-ndjson`: one object per line, blank lines ignored.
    Ndjson,
}

impl BodyFormat {
    pub const ACCEPTED: &'static str = "application/json or application/x-ndjson";

    /// Picks the format from a `Content-Type` header value (JSON if absent).
    pub fn from_content_type(ct: Option<&str>) -> Result<BodyFormat, IngestError> {
        match media_type(ct).as_str() {
            "" | "application/json" | "text/json" => Ok(BodyFormat::Json),
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" | "application/x-jsonlines" => {
                Ok(BodyFormat::Ndjson)
            }
            other => Err(IngestError::UnsupportedMediaType { got: other.to_string(), accepted: BodyFormat::ACCEPTED }),
        }
    }
}

/// A `Content-Type` value's media type, lower-cased, without parameters
/// (`""` when absent).
pub(super) fn media_type(ct: Option<&str>) -> String {
    ct.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// Parses the body into its event items (not yet validated).
pub fn parse_body(body: &[u8], format: BodyFormat) -> Result<Vec<Value>, IngestError> {
    let items = match format {
        BodyFormat::Json => match serde_json::from_slice::<Value>(body) {
            Ok(Value::Array(items)) => items,
            Ok(other) => vec![other],
            Err(e) => return Err(IngestError::malformed(format!("body is not valid JSON: {e}"), vec![])),
        },
        BodyFormat::Ndjson => parse_ndjson(body)?,
    };
    if items.is_empty() {
        return Err(IngestError::malformed("the request holds no events".into(), vec![]));
    }
    Ok(items)
}

fn parse_ndjson(body: &[u8]) -> Result<Vec<Value>, IngestError> {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    let lines = body.split(|&b| b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace));
    for (index, line) in lines.enumerate() {
        match serde_json::from_slice::<Value>(line) {
            Ok(v) => items.push(v),
            Err(e) => errors.push(ItemError::new(index, "", format!("line is not valid JSON: {e}"))),
        }
    }
    if errors.is_empty() {
        Ok(items)
    } else {
        let total = items.len() + errors.len();
        Err(IngestError::invalid(errors, total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_object_array_and_ndjson() {
        let one = parse_body(br#"{"chatId":"a"}"#, BodyFormat::Json).unwrap();
        assert_eq!(one.len(), 1);
        let many = parse_body(br#"[{"chatId":"a"},{"chatId":"b"}]"#, BodyFormat::Json).unwrap();
        assert_eq!(many.len(), 2);
        let lines = parse_body(b"{\"chatId\":\"a\"}\n\n{\"chatId\":\"b\"}\r\n", BodyFormat::Ndjson).unwrap();
        assert_eq!(lines[1]["chatId"], "b");
    }

    #[test]
    fn rejects_broken_bodies_naming_the_line() {
        assert!(matches!(parse_body(b"{", BodyFormat::Json), Err(IngestError::Invalid { .. })));
        assert!(matches!(parse_body(b"[]", BodyFormat::Json), Err(IngestError::Invalid { .. })));
        match parse_body(b"{\"a\":1}\nnope\n", BodyFormat::Ndjson) {
            Err(IngestError::Invalid { items, .. }) => assert_eq!(items[0].index, 1),
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(BodyFormat::from_content_type(None).unwrap(), BodyFormat::Json);
        assert_eq!(BodyFormat::from_content_type(Some("application/json; charset=utf-8")).unwrap(), BodyFormat::Json);
        assert_eq!(BodyFormat::from_content_type(Some("application/x-ndjson")).unwrap(), BodyFormat::Ndjson);
        assert!(BodyFormat::from_content_type(Some("text/plain")).is_err());
    }
}
