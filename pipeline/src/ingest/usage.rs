//! Normalises a `usage` object into [`Usage`], whichever shape it came in:
//!
//! | shape | input | cached (⊆ input) | cache write (⊆ input) | output | reasoning (⊆ output) |
//! |---|---|---|---|---|---|
//! | native | `inputTokens` | `cachedInputTokens` | `cacheWriteTokens` | `outputTokens` | `reasoningTokens` |
//! | OpenAI / Groq chat | `prompt_tokens` | `prompt_tokens_details.cached_tokens` | – | `completion_tokens` | `completion_tokens_details.reasoning_tokens` |
//! | OpenAI responses | `input_tokens` | `input_tokens_details.cached_tokens` | – | `output_tokens` | `output_tokens_details.reasoning_tokens` |
//! | Anthropic | `input_tokens` + cache read + cache creation | `cache_read_input_tokens` | `cache_creation_input_tokens` | `output_tokens` | – |
//! | Gemini | `promptTokenCount` | `cachedContentTokenCount` | – | `candidatesTokenCount` + `thoughtsTokenCount` | `thoughtsTokenCount` |
//!
//! Anthropic reports cache reads and writes *beside* `input_tokens`; OpenAI
//! and Gemini count cached tokens *inside* the prompt. Normalising to "inside"
//! means a cached token is priced once, at the cached rate, never twice.
//! Native objects are strict (unknown keys are errors, to catch typos);
//! provider objects may carry extra keys (`total_tokens`, `service_tier`, …),
//! which are ignored.

use super::error::ItemError;
use domain::Usage;
use serde_json::{Map, Value};

const NATIVE: &[&str] = &["inputTokens", "outputTokens", "cachedInputTokens", "cacheWriteTokens", "reasoningTokens"];
const OPENAI_CHAT: &[&str] =
    &["prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details"];
const OPENAI_RESPONSES: &[&str] = &["input_tokens_details", "output_tokens_details"];
const ANTHROPIC: &[&str] = &["input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"];
const GEMINI: &[&str] = &["promptTokenCount", "candidatesTokenCount", "cachedContentTokenCount", "thoughtsTokenCount"];

/// Far above any real request, low enough that costs can never overflow.
const MAX_TOKENS: u64 = 100_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Native,
    OpenAiChat,
    OpenAiResponses,
    Anthropic,
    Gemini,
}

/// Reads token counts from one `usage` object, pushing errors for `index`.
struct Reader<'a> {
    obj: &'a Map<String, Value>,
    index: usize,
    errors: &'a mut Vec<ItemError>,
}

impl Reader<'_> {
    fn count(&mut self, path: &[&str]) -> i64 {
        let (last, parents) = path.split_last().expect("paths are non-empty");
        let mut cur = self.obj;
        for (depth, key) in parents.iter().enumerate() {
            match cur.get(*key) {
                None | Some(Value::Null) => return 0,
                Some(Value::Object(m)) => cur = m,
                Some(_) => {
                    self.err(&path[..=depth].join("."), "must be an object");
                    return 0;
                }
            }
        }
        match cur.get(*last) {
            None | Some(Value::Null) => 0,
            Some(Value::Number(n)) => match n.as_u64() {
                Some(u) if u <= MAX_TOKENS => u as i64,
                Some(_) => {
                    self.err(&path.join("."), "is too large (at most 100000000000)");
                    0
                }
                None => {
                    self.err(&path.join("."), "must be a non-negative integer");
                    0
                }
            },
            Some(_) => {
                self.err(&path.join("."), "must be a non-negative integer");
                0
            }
        }
    }

    fn err(&mut self, path: &str, message: &str) {
        self.errors.push(ItemError::new(self.index, format!("usage.{path}"), message));
    }
}

fn shape_of(obj: &Map<String, Value>) -> Result<Shape, String> {
    let has = |keys: &[&str]| obj.keys().any(|k| keys.contains(&k.as_str()));
    let mut shapes = Vec::new();
    if has(NATIVE) {
        shapes.push(Shape::Native);
    }
    if has(OPENAI_CHAT) {
        shapes.push(Shape::OpenAiChat);
    }
    if has(OPENAI_RESPONSES) {
        shapes.push(Shape::OpenAiResponses);
    } else if has(ANTHROPIC) {
        shapes.push(Shape::Anthropic);
    }
    if has(GEMINI) {
        shapes.push(Shape::Gemini);
    }
    match shapes.as_slice() {
        [] if obj.is_empty() => Ok(Shape::Native),
        [] => Err(format!(
            "has no known token fields (got {}); use inputTokens/outputTokens or a provider's usage object",
            obj.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
        )),
        [one] => Ok(*one),
        _ => Err("mixes fields of different usage formats".to_string()),
    }
}

/// Normalises `value` (the event's `usage`) or records why it cannot.
pub fn normalise(value: &Value, index: usize, errors: &mut Vec<ItemError>) -> Usage {
    let obj = match value {
        Value::Null => return Usage::default(),
        Value::Object(obj) => obj,
        _ => {
            errors.push(ItemError::new(index, "usage", "must be an object"));
            return Usage::default();
        }
    };
    let shape = match shape_of(obj) {
        Ok(s) => s,
        Err(message) => {
            errors.push(ItemError::new(index, "usage", message));
            return Usage::default();
        }
    };
    let before = errors.len();
    let mut r = Reader { obj, index, errors };
    let usage = match shape {
        Shape::Native => {
            for key in obj.keys().filter(|k| !NATIVE.contains(&k.as_str())) {
                r.err(key, "unknown field");
            }
            Usage {
                input_tokens: r.count(&["inputTokens"]),
                output_tokens: r.count(&["outputTokens"]),
                cached_input_tokens: r.count(&["cachedInputTokens"]),
                cache_write_tokens: r.count(&["cacheWriteTokens"]),
                reasoning_tokens: r.count(&["reasoningTokens"]),
            }
        }
        Shape::OpenAiChat => Usage {
            input_tokens: r.count(&["prompt_tokens"]),
            output_tokens: r.count(&["completion_tokens"]),
            cached_input_tokens: r.count(&["prompt_tokens_details", "cached_tokens"]),
            cache_write_tokens: 0,
            reasoning_tokens: r.count(&["completion_tokens_details", "reasoning_tokens"]),
        },
        Shape::OpenAiResponses => Usage {
            input_tokens: r.count(&["input_tokens"]),
            output_tokens: r.count(&["output_tokens"]),
            cached_input_tokens: r.count(&["input_tokens_details", "cached_tokens"]),
            cache_write_tokens: 0,
            reasoning_tokens: r.count(&["output_tokens_details", "reasoning_tokens"]),
        },
        Shape::Anthropic => {
            let read = r.count(&["cache_read_input_tokens"]);
            let write = r.count(&["cache_creation_input_tokens"]);
            let plain = r.count(&["input_tokens"]);
            Usage {
                input_tokens: plain.saturating_add(read).saturating_add(write),
                output_tokens: r.count(&["output_tokens"]),
                cached_input_tokens: read,
                cache_write_tokens: write,
                reasoning_tokens: 0,
            }
        }
        Shape::Gemini => {
            let thoughts = r.count(&["thoughtsTokenCount"]);
            Usage {
                input_tokens: r.count(&["promptTokenCount"]),
                output_tokens: r.count(&["candidatesTokenCount"]).saturating_add(thoughts),
                cached_input_tokens: r.count(&["cachedContentTokenCount"]),
                cache_write_tokens: 0,
                reasoning_tokens: thoughts,
            }
        }
    };
    if errors.len() == before {
        check_parts(&usage, shape, index, errors);
    }
    usage
}

/// Cached and cache-write tokens are part of the input, reasoning part of
/// the output; a usage claiming more parts than whole is rejected.
fn check_parts(u: &Usage, shape: Shape, index: usize, errors: &mut Vec<ItemError>) {
    // (input, cached field, cached as said in the message, output, reasoning)
    let (input, cached, cached_said, output, reasoning) = match shape {
        Shape::Native => (
            "inputTokens",
            "cachedInputTokens",
            "cachedInputTokens + cacheWriteTokens",
            "outputTokens",
            "reasoningTokens",
        ),
        Shape::OpenAiChat => (
            "prompt_tokens",
            "prompt_tokens_details.cached_tokens",
            "prompt_tokens_details.cached_tokens",
            "completion_tokens",
            "completion_tokens_details.reasoning_tokens",
        ),
        Shape::OpenAiResponses => (
            "input_tokens",
            "input_tokens_details.cached_tokens",
            "input_tokens_details.cached_tokens",
            "output_tokens",
            "output_tokens_details.reasoning_tokens",
        ),
        // Anthropic's parts are added to the input, so they always fit.
        Shape::Anthropic => return,
        Shape::Gemini => (
            "promptTokenCount",
            "cachedContentTokenCount",
            "cachedContentTokenCount",
            "candidatesTokenCount",
            "thoughtsTokenCount",
        ),
    };
    if u.cached_input_tokens.saturating_add(u.cache_write_tokens) > u.input_tokens {
        errors.push(ItemError::new(index, format!("usage.{cached}"), format!("{cached_said} exceeds {input}")));
    }
    if u.reasoning_tokens > u.output_tokens {
        errors.push(ItemError::new(index, format!("usage.{reasoning}"), format!("{reasoning} exceeds {output}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(v: Value) -> Usage {
        let mut errors = vec![];
        let u = normalise(&v, 0, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        u
    }

    fn fields(v: Value) -> Vec<String> {
        let mut errors = vec![];
        normalise(&v, 3, &mut errors);
        assert!(errors.iter().all(|e| e.index == 3));
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn openai_cached_tokens_stay_inside_the_prompt() {
        let u = ok(json!({
            "prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200,
            "prompt_tokens_details": {"cached_tokens": 600, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 50}
        }));
        assert_eq!(
            u,
            Usage {
                input_tokens: 1000,
                output_tokens: 200,
                cached_input_tokens: 600,
                cache_write_tokens: 0,
                reasoning_tokens: 50
            }
        );
    }

    #[test]
    fn anthropic_cache_tokens_are_added_to_the_input() {
        let u = ok(json!({
            "input_tokens": 50, "output_tokens": 300,
            "cache_read_input_tokens": 1000, "cache_creation_input_tokens": 200, "service_tier": "standard"
        }));
        assert_eq!(
            u,
            Usage {
                input_tokens: 1250,
                output_tokens: 300,
                cached_input_tokens: 1000,
                cache_write_tokens: 200,
                reasoning_tokens: 0
            }
        );
    }

    #[test]
    fn openai_responses_and_gemini() {
        let u = ok(
            json!({"input_tokens": 10, "output_tokens": 5, "input_tokens_details": {"cached_tokens": 4}, "output_tokens_details": {"reasoning_tokens": 2}}),
        );
        assert_eq!((u.input_tokens, u.cached_input_tokens, u.reasoning_tokens), (10, 4, 2));
        let g = ok(
            json!({"promptTokenCount": 100, "candidatesTokenCount": 20, "thoughtsTokenCount": 30, "cachedContentTokenCount": 40, "totalTokenCount": 150}),
        );
        assert_eq!(
            g,
            Usage {
                input_tokens: 100,
                output_tokens: 50,
                cached_input_tokens: 40,
                cache_write_tokens: 0,
                reasoning_tokens: 30
            }
        );
    }

    #[test]
    fn native_is_strict() {
        assert_eq!(ok(json!({"inputTokens": 3, "outputTokens": 4})).total(), 7);
        assert_eq!(fields(json!({"inputTokens": 3, "outputToken": 4})), ["usage.outputToken"]);
        assert_eq!(fields(json!({"inputTokens": -1})), ["usage.inputTokens"]);
        assert_eq!(fields(json!({"inputTokens": 1.5})), ["usage.inputTokens"]);
        assert_eq!(fields(json!({"inputTokens": "7"})), ["usage.inputTokens"]);
        assert_eq!(fields(json!({"inputTokens": 1, "cachedInputTokens": 2})), ["usage.cachedInputTokens"]);
        assert_eq!(fields(json!({"outputTokens": 1, "reasoningTokens": 2})), ["usage.reasoningTokens"]);
    }

    #[test]
    fn rejects_shapes_it_cannot_read() {
        assert_eq!(fields(json!("12")), ["usage"]);
        assert_eq!(fields(json!({"tokens": 12})), ["usage"]);
        assert_eq!(fields(json!({"inputTokens": 1, "prompt_tokens": 1})), ["usage"]);
        assert_eq!(fields(json!({"prompt_tokens": 1, "prompt_tokens_details": 5})), ["usage.prompt_tokens_details"]);
        assert_eq!(ok(json!(null)), Usage::default());
        assert_eq!(ok(json!({})), Usage::default());
    }
}
