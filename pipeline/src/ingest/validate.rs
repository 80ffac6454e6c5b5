//! Turns one parsed JSON item into an [`Event`], or says exactly what is
//! wrong with it: every error names the item's index and the field. All
//! problems of an item are reported at once, so a client fixes them in one go.

use super::error::ItemError;
use super::usage;
use domain::visibility::Cost;
use domain::{time, Event, Status, Usage};
use serde_json::{Map, Value};

/// Limits on field sizes (characters for strings, bytes for `meta`).
pub const MAX_NAME_CHARS: usize = 256;
pub const MAX_ERROR_CHARS: usize = 8 * 1024;
pub const MAX_META_BYTES: usize = 16 * 1024;

const FIELDS: &[&str] = &[
    "chatId",
    "turnId",
    "stage",
    "status",
    "ts",
    "durationMs",
    "persona",
    "model",
    "provider",
    "tenant",
    "pipeline",
    "usage",
    "error",
    "meta",
];

/// Validates item `index`; `now_ms` fills in a missing `ts` and `receivedAt`.
pub fn validate(index: usize, item: &Value, now_ms: i64) -> Result<Event, Vec<ItemError>> {
    let Value::Object(obj) = item else {
        return Err(vec![ItemError::new(index, "", "must be a JSON object (an event)")]);
    };
    let mut errors = Vec::new();
    let mut f = Fields { obj, index, errors: &mut errors };

    for key in obj.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
        let hint = FIELDS
            .iter()
            .find(|known| known.eq_ignore_ascii_case(&key.replace('_', "")))
            .map(|known| format!("unknown field; did you mean `{known}`?"))
            .unwrap_or_else(|| "unknown field".to_string());
        f.errors.push(ItemError::new(index, key.as_str(), hint));
    }

    let chat_id = f.required_name("chatId");
    let stage = f.required_name("stage");
    let turn_id = f.optional_string("turnId", MAX_NAME_CHARS);
    let persona = f.optional_string("persona", MAX_NAME_CHARS);
    let model = f.optional_string("model", MAX_NAME_CHARS);
    let provider = f.optional_string("provider", MAX_NAME_CHARS);
    let tenant = f.optional_string("tenant", MAX_NAME_CHARS);
    let pipeline = f.optional_string("pipeline", MAX_NAME_CHARS);
    let error = f.optional_string("error", MAX_ERROR_CHARS);
    let status = f.status(error.is_some());
    let ts = f.ts().unwrap_or(now_ms);
    let duration_ms = f.duration();
    let meta = f.meta();
    let tool = f.tool(meta.as_ref());
    let usage = match obj.get("usage") {
        Some(v) => usage::normalise(v, index, f.errors),
        None => Usage::default(),
    };

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Event {
        id: 0,
        chat_id: chat_id.unwrap_or_default(),
        turn_id,
        stage: stage.unwrap_or_default(),
        status,
        ts,
        duration_ms,
        persona,
        model,
        provider,
        usage,
        error,
        meta,
        // Priced next, before it is stored.
        cost_nanos: Cost::Shown(None),
        pricing_id: None,
        tenant,
        pipeline,
        tool,
        received_at: now_ms,
    })
}

struct Fields<'a> {
    obj: &'a Map<String, Value>,
    index: usize,
    errors: &'a mut Vec<ItemError>,
}

impl<'a> Fields<'a> {
    fn err(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(ItemError::new(self.index, field, message));
    }

    fn present(&self, field: &str) -> Option<&'a Value> {
        let obj: &'a Map<String, Value> = self.obj;
        obj.get(field).filter(|v| !v.is_null())
    }

    fn required_name(&mut self, field: &str) -> Option<String> {
        match self.present(field) {
            None => {
                self.err(field, "is required");
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                self.err(field, "must not be empty");
                None
            }
            Some(_) => self.optional_string(field, MAX_NAME_CHARS),
        }
    }

    fn optional_string(&mut self, field: &str, max_chars: usize) -> Option<String> {
        match self.present(field)? {
            Value::String(s) if s.chars().count() > max_chars => {
                self.err(field, format!("must be at most {max_chars} characters"));
                None
            }
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(s.clone()),
            _ => {
                self.err(field, "must be a string");
                None
            }
        }
    }

    /// Absent means success, or error when an `error` message is given.
    fn status(&mut self, has_error: bool) -> Status {
        let fallback = if has_error { Status::Error } else { Status::Success };
        match self.present("status") {
            None => fallback,
            Some(Value::String(s)) => Status::parse(s).unwrap_or_else(|| {
                self.err("status", format!("must be one of success, error, running (got `{s}`)"));
                fallback
            }),
            Some(_) => {
                self.err("status", "must be one of success, error, running");
                fallback
            }
        }
    }

    /// RFC 3339 string or epoch milliseconds.
    fn ts(&mut self) -> Option<i64> {
        const MAX_MS: i64 = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
        let ms = match self.present("ts")? {
            Value::String(s) => time::parse_rfc3339(s).or_else(|| {
                self.err("ts", format!("`{s}` is not an RFC 3339 timestamp (e.g. 2026-11-22T10:04:05.123Z)"));
                None
            })?,
            Value::Number(n) => n.as_i64().or_else(|| {
                self.err("ts", "epoch milliseconds must be an integer");
                None
            })?,
            _ => {
                self.err("ts", "must be an RFC 3339 string or epoch milliseconds");
                return None;
            }
        };
        if !(0..=MAX_MS).contains(&ms) {
            self.err("ts", "is out of range (1970 to 9999)");
            return None;
        }
        Some(ms)
    }

    /// Milliseconds; fractions are rounded to the nearest millisecond.
    fn duration(&mut self) -> Option<i64> {
        const MAX_MS: f64 = 1e12;
        match self.present("durationMs")? {
            Value::Number(n) => match n.as_f64() {
                Some(d) if (0.0..=MAX_MS).contains(&d) => Some(d.round() as i64),
                _ => {
                    self.err("durationMs", "must be a non-negative number of milliseconds");
                    None
                }
            },
            _ => {
                self.err("durationMs", "must be a number of milliseconds");
                None
            }
        }
    }

    /// `meta.tool`: the tool a stage called, a name like the others.
    fn tool(&mut self, meta: Option<&Value>) -> Option<String> {
        match meta?.get("tool")? {
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) if s.chars().count() > MAX_NAME_CHARS => {
                self.err("meta.tool", format!("at most {MAX_NAME_CHARS} characters"));
                None
            }
            Value::String(s) => Some(s.trim().to_string()),
            Value::Null => None,
            _ => {
                self.err("meta.tool", "must be a string (the tool's name)");
                None
            }
        }
    }

    fn meta(&mut self) -> Option<Value> {
        match self.present("meta")? {
            v @ Value::Object(_) => {
                let size = serde_json::to_vec(v).map(|b| b.len()).unwrap_or(usize::MAX);
                if size > MAX_META_BYTES {
                    self.err("meta", format!("is {size} bytes; at most {MAX_META_BYTES} (16 KiB) allowed"));
                    None
                } else {
                    Some(v.clone())
                }
            }
            _ => {
                self.err("meta", "must be a JSON object");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_795_000_000_000;

    fn rejected(v: Value) -> Vec<(String, String)> {
        match validate(4, &v, NOW) {
            Ok(e) => panic!("expected a rejection, stored {e:?}"),
            Err(errors) => {
                assert!(errors.iter().all(|e| e.index == 4));
                errors.into_iter().map(|e| (e.field, e.message)).collect()
            }
        }
    }

    fn fields(v: Value) -> Vec<String> {
        rejected(v).into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn accepts_a_full_event() {
        let e = validate(
            0,
            &json!({
                "chatId": "chat-1", "turnId": "t1", "stage": "response", "status": "success",
                "ts": "2026-11-22T10:00:00.250Z", "durationMs": 812.4, "persona": "sage",
                "model": "gpt-4o", "provider": "openai",
                "usage": {"inputTokens": 100, "outputTokens": 20}, "meta": {"k": [1, 2]}
            }),
            NOW,
        )
        .unwrap();
        assert_eq!(e.ts, time::parse_rfc3339("2026-11-22T10:00:00.250Z").unwrap());
        assert_eq!(e.duration_ms, Some(812));
        assert_eq!(e.usage.input_tokens, 100);
        assert_eq!(e.received_at, NOW);
        assert_eq!(e.meta, Some(json!({"k": [1, 2]})));
    }

    #[test]
    fn fills_defaults() {
        let e = validate(0, &json!({"chatId": "c", "stage": "s", "ts": 5}), NOW).unwrap();
        assert_eq!((e.status, e.ts), (Status::Success, 5));
        let e = validate(0, &json!({"chatId": "c", "stage": "s", "error": "boom"}), NOW).unwrap();
        assert_eq!((e.status, e.ts), (Status::Error, NOW));
    }

    #[test]
    fn missing_or_empty_required_fields() {
        assert_eq!(fields(json!({"stage": "s"})), ["chatId"]);
        assert_eq!(fields(json!({"chatId": "  ", "stage": "s"})), ["chatId"]);
        assert_eq!(fields(json!({"chatId": "c"})), ["stage"]);
        assert_eq!(fields(json!({"chatId": "c", "stage": ""})), ["stage"]);
        assert_eq!(fields(json!({"chatId": null, "stage": null})), ["chatId", "stage"]);
    }

    #[test]
    fn unknown_fields_are_named_with_a_hint() {
        let r = rejected(json!({"chat_id": "c", "chatId": "c", "stage": "s", "colour": 1}));
        assert_eq!(r[0], ("chat_id".into(), "unknown field; did you mean `chatId`?".into()));
        assert_eq!(r[1], ("colour".into(), "unknown field".into()));
    }

    #[test]
    fn wrong_types() {
        assert_eq!(fields(json!({"chatId": 5, "stage": "s"})), ["chatId"]);
        assert_eq!(fields(json!({"chatId": "c", "stage": "s", "model": ["x"]})), ["model"]);
        assert_eq!(fields(json!({"chatId": "c", "stage": "s", "durationMs": "5"})), ["durationMs"]);
        assert_eq!(fields(json!({"chatId": "c", "stage": "s", "durationMs": -1})), ["durationMs"]);
        assert_eq!(fields(json!({"chatId": "c", "stage": "s", "meta": [1]})), ["meta"]);
        assert_eq!(fields(json!({"chatId": "c", "stage": "s", "usage": 3})), ["usage"]);
        assert_eq!(fields(json!("just a string")), [""]);
    }

    #[test]
    fn bad_status() {
        let r = rejected(json!({"chatId": "c", "stage": "s", "status": "ok"}));
        assert_eq!(r, [("status".into(), "must be one of success, error, running (got `ok`)".into())]);
        assert_eq!(fields(json!({"chatId": "c", "stage": "s", "status": 1})), ["status"]);
    }

    #[test]
    fn negative_or_fractional_tokens() {
        assert_eq!(fields(json!({"chatId": "c", "stage": "s", "usage": {"outputTokens": -3}})), ["usage.outputTokens"]);
        assert_eq!(fields(json!({"chatId": "c", "stage": "s", "usage": {"inputTokens": 2.5}})), ["usage.inputTokens"]);
    }

    #[test]
    fn unparsable_ts() {
        assert_eq!(fields(json!({"chatId": "c", "stage": "s", "ts": "yesterday"})), ["ts"]);
        assert_eq!(fields(json!({"chatId": "c", "stage": "s", "ts": "2026-13-01T00:00:00Z"})), ["ts"]);
        assert_eq!(fields(json!({"chatId": "c", "stage": "s", "ts": 1.5})), ["ts"]);
        assert_eq!(fields(json!({"chatId": "c", "stage": "s", "ts": -1})), ["ts"]);
        assert_eq!(fields(json!({"chatId": "c", "stage": "s", "ts": true})), ["ts"]);
    }

    #[test]
    fn oversized_meta_and_strings() {
        let big = "x".repeat(MAX_META_BYTES);
        let r = rejected(json!({"chatId": "c", "stage": "s", "meta": {"blob": big}}));
        assert_eq!(r[0].0, "meta");
        assert!(r[0].1.contains("16 KiB"), "{}", r[0].1);
        let long = "y".repeat(MAX_NAME_CHARS + 1);
        assert_eq!(fields(json!({"chatId": long, "stage": "s"})), ["chatId"]);
    }

    #[test]
    fn reports_every_problem_of_an_item_at_once() {
        let f = fields(json!({"stage": 1, "status": "nope", "ts": "x", "extra": 0}));
        assert_eq!(f, ["extra", "chatId", "stage", "status", "ts"]);
    }
}
