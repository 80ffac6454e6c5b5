//! The price table: which entry prices a model id, at a given time.
//!
//! Precedence, highest first: admin overrides in effect at the event's time
//! (newest `effective_from` first), then `MODEL_PRICING_OVERRIDES` entries,
//! then the bundled table. An override with the id of a bundled entry
//! replaces it; one with a new id adds a model. Patterns are anchored and
//! case-insensitive: `gpt-4o` is matched as `(?i)^(?:gpt-4o)$`.

use domain::money::parse_decimal_nanos;
use domain::pricing::{Origin, PriceEntry, Rates, Tier};
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Mutex;

/// The table shipped with Flowmeter (USD per 1M tokens, with sources).
pub const BUNDLED_JSON: &str = include_str!("models.json");

/// Largest accepted rate: $10,000 per 1M tokens.
const MAX_RATE_NANOS: i64 = 10_000 * 1_000_000_000;

#[derive(Debug, thiserror::Error)]
pub enum PricingError {
    /// Malformed JSON or a value of the wrong shape: where, and which key.
    #[error("{source_name}: at `{path}`: {message}")]
    Malformed { source_name: String, path: String, message: String },
    #[error("{source_name}: entry `{id}`: {message}")]
    BadEntry { source_name: String, id: String, message: String },
}

/// One entry as written in JSON: decimal USD per 1M tokens.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EntrySpec {
    id: String,
    #[serde(default)]
    provider: Option<String>,
    #[serde(rename = "match")]
    pattern: String,
    input: Usd,
    output: Usd,
    #[serde(default)]
    cached_input: Option<Usd>,
    #[serde(default)]
    cache_write: Option<Usd>,
    #[serde(default)]
    reasoning: Option<Usd>,
    #[serde(default)]
    tiers: Vec<TierSpec>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    as_of: Option<String>,
    #[serde(default)]
    note: Option<String>,
    /// Ids as the vendor publishes them, which this entry must price
    /// (checked by the tests, not used at run time).
    #[serde(default, rename = "examples")]
    _examples: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TierSpec {
    above_input_tokens: i64,
    input: Usd,
    output: Usd,
    #[serde(default)]
    cached_input: Option<Usd>,
    #[serde(default)]
    cache_write: Option<Usd>,
    #[serde(default)]
    reasoning: Option<Usd>,
}

/// A decimal amount of USD, read exactly from a JSON number or string.
#[derive(Debug, Clone, Copy)]
struct Usd(i64);

impl<'de> Deserialize<'de> for Usd {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Usd, D::Error> {
        use serde::de::Error;
        let text = match serde_json::Value::deserialize(d)? {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s,
            other => return Err(D::Error::custom(format!("expected a price in USD, got {other}"))),
        };
        let nanos = parse_decimal_nanos(&text).map_err(D::Error::custom)?;
        if nanos > MAX_RATE_NANOS {
            return Err(D::Error::custom(format!("{text} USD per 1M tokens is above the 10000 limit")));
        }
        Ok(Usd(nanos))
    }
}

fn rates(input: Usd, output: Usd, cached: Option<Usd>, write: Option<Usd>, reasoning: Option<Usd>) -> Rates {
    Rates {
        input: input.0,
        output: output.0,
        cached_input: cached.map(|u| u.0),
        cache_write: write.map(|u| u.0),
        reasoning: reasoning.map(|u| u.0),
    }
}

impl EntrySpec {
    fn into_entry(self, origin: Origin) -> PriceEntry {
        PriceEntry {
            rates: rates(self.input, self.output, self.cached_input, self.cache_write, self.reasoning),
            tiers: self
                .tiers
                .into_iter()
                .map(|t| Tier {
                    above_input_tokens: t.above_input_tokens,
                    rates: rates(t.input, t.output, t.cached_input, t.cache_write, t.reasoning),
                })
                .collect(),
            id: self.id,
            provider: self.provider,
            pattern: self.pattern,
            source: self.source,
            as_of: self.as_of,
            note: self.note,
            origin,
        }
    }
}

/// Parses a pricing document — `{"models": [...]}` (other top-level keys
/// describe it) or just the array — naming the position of a syntax error
/// and the key of a wrong value.
pub fn parse_entries(json: &str, source_name: &str, origin: Origin) -> Result<Vec<PriceEntry>, PricingError> {
    let malformed =
        |path: String, message: String| PricingError::Malformed { source_name: source_name.to_string(), path, message };
    let doc: serde_json::Value =
        serde_json::from_str(json).map_err(|e| malformed("(document)".into(), e.to_string()))?;
    let (list, prefix) = match doc {
        serde_json::Value::Object(mut map) => match map.remove("models") {
            Some(models) => (models, "models"),
            None => return Err(malformed("models".into(), "missing: expected {\"models\": [...]}".into())),
        },
        list @ serde_json::Value::Array(_) => (list, ""),
        _ => return Err(malformed("(document)".into(), "expected an object with `models` or an array".into())),
    };
    let specs: Vec<EntrySpec> = serde_path_to_error::deserialize(list).map_err(|e| {
        let path = e.path().to_string();
        let path = if prefix.is_empty() { path } else { format!("{prefix}{path}") };
        malformed(path, e.inner().to_string())
    })?;
    let entries: Vec<PriceEntry> = specs.into_iter().map(|s| s.into_entry(origin.clone())).collect();
    for e in &entries {
        let bad = |message: String| PricingError::BadEntry {
            source_name: source_name.to_string(),
            id: e.id.clone(),
            message,
        };
        if e.id.trim().is_empty() {
            return Err(bad("id must not be empty".into()));
        }
        compile(&e.pattern).map_err(bad)?;
    }
    Ok(entries)
}

fn anchored(pattern: &str) -> String {
    format!("^(?:{pattern})$")
}

/// Compiles one pattern as the table does (anchored, case-insensitive).
pub fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(&anchored(pattern)).case_insensitive(true).build().map_err(|e| format!("bad pattern: {e}"))
}

#[derive(Debug)]
pub struct PriceTable {
    /// Environment overrides first, then the bundled entries they leave.
    fixed: Vec<PriceEntry>,
    fixed_set: RegexSet,
    /// Which of `fixed` each model id seen so far matched.
    seen: Seen,
    /// Admin overrides, newest `effective_from` first.
    dated: Vec<(PriceEntry, i64, Regex)>,
}

/// Most model ids [`Seen`] remembers; when full it starts over, so a
/// stream of made-up ids costs memory no more than this.
const SEEN_MODELS: usize = 4_096;

/// The fixed entry each model id matched, remembered. Matching a name
/// against every pattern of the set takes 2–13 µs (it reports all the
/// patterns that match, so it runs the set's NFA), and ingest asked that
/// for every event, a fifth of a busy server's time; a pipeline calls
/// the same few models over and over. A table's patterns never change
/// (a new set of overrides is a new table), so what it remembers is never
/// stale.
#[derive(Debug, Default)]
struct Seen(Mutex<HashMap<Box<str>, Option<usize>>>);

impl Seen {
    fn get_or(&self, model: &str, find: impl FnOnce() -> Option<usize>) -> Option<usize> {
        if let Some(found) = self.lock().get(model) {
            return *found;
        }
        let found = find(); // not under the lock
        let mut seen = self.lock();
        if seen.len() >= SEEN_MODELS {
            seen.clear();
        }
        seen.insert(model.into(), found);
        found
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, Option<usize>>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl PriceTable {
    /// The bundled table with `MODEL_PRICING_OVERRIDES` (if any) applied.
    pub fn load(env_overrides: Option<&str>) -> Result<PriceTable, PricingError> {
        let mut fixed = match env_overrides.filter(|s| !s.trim().is_empty()) {
            Some(json) => parse_entries(json, "MODEL_PRICING_OVERRIDES", Origin::Environment)?,
            None => Vec::new(),
        };
        let bundled = parse_entries(BUNDLED_JSON, "bundled pricing table", Origin::Bundled)?;
        let replaced: Vec<String> = fixed.iter().map(|o| o.id.clone()).collect();
        fixed.extend(bundled.into_iter().filter(|b| !replaced.contains(&b.id)));
        PriceTable::from_parts(fixed, Vec::new())
    }

    fn from_parts(fixed: Vec<PriceEntry>, mut admin: Vec<PriceEntry>) -> Result<PriceTable, PricingError> {
        let fixed_set = RegexSetBuilder::new(fixed.iter().map(|e| anchored(&e.pattern)))
            .case_insensitive(true)
            .build()
            .map_err(|e| PricingError::Malformed {
                source_name: "pricing table".into(),
                path: "models".into(),
                message: e.to_string(),
            })?;
        admin.sort_by_key(|e| std::cmp::Reverse(effective_from(e)));
        let dated = admin
            .into_iter()
            .map(|e| {
                let re = compile(&e.pattern).map_err(|message| PricingError::BadEntry {
                    source_name: "admin override".into(),
                    id: e.id.clone(),
                    message,
                })?;
                let from = effective_from(&e);
                Ok((e, from, re))
            })
            .collect::<Result<_, PricingError>>()?;
        Ok(PriceTable { fixed, fixed_set, seen: Seen::default(), dated })
    }

    /// This table plus the admin's effective-dated overrides (replacing any
    /// earlier set).
    pub fn with_admin_overrides(&self, admin: Vec<PriceEntry>) -> Result<PriceTable, PricingError> {
        PriceTable::from_parts(self.fixed.clone(), admin)
    }

    /// The entry that prices `model` for an event at `ts` (epoch ms).
    pub fn lookup(&self, model: &str, ts: i64) -> Option<&PriceEntry> {
        if let Some((e, _, _)) = self.dated.iter().find(|(_, from, re)| *from <= ts && re.is_match(model)) {
            return Some(e);
        }
        let found = self.seen.get_or(model, || self.fixed_set.matches(model).iter().next());
        found.map(|i| &self.fixed[i])
    }

    /// The entries without admin overrides (bundled, as overridden by the
    /// environment), in precedence order.
    pub fn fixed_entries(&self) -> &[PriceEntry] {
        &self.fixed
    }

    pub fn admin_entries(&self) -> impl Iterator<Item = &PriceEntry> {
        self.dated.iter().map(|(e, _, _)| e)
    }
}

fn effective_from(e: &PriceEntry) -> i64 {
    match e.origin {
        Origin::Admin { effective_from, .. } => effective_from,
        _ => i64::MIN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_of<'a>(t: &'a PriceTable, model: &str) -> Option<&'a str> {
        t.lookup(model, 0).map(|e| e.id.as_str())
    }

    #[test]
    fn the_bundled_table_covers_the_providers() {
        let t = PriceTable::load(None).unwrap();
        assert!(t.fixed_entries().len() >= 40, "{} entries", t.fixed_entries().len());
        for provider in ["openai", "anthropic", "google", "groq", "mistral", "deepseek", "xai"] {
            assert!(t.fixed_entries().iter().any(|e| e.provider.as_deref() == Some(provider)), "{provider}");
        }
        assert!(t.fixed_entries().iter().all(|e| e.source.is_some() && e.as_of.is_some()), "every price has a source");
    }

    #[test]
    fn dated_and_prefixed_ids_find_their_entry() {
        let t = PriceTable::load(None).unwrap();
        let cases = [
            ("gpt-4o", "gpt-4o"),
            ("gpt-4o-2024-08-06", "gpt-4o"),
            ("openai/gpt-4o", "gpt-4o"),
            ("GPT-4o-Mini", "gpt-4o-mini"),
            ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
            ("gpt-4.1-nano-2025-04-14", "gpt-4.1-nano"),
            ("o4-mini-2025-04-16", "o4-mini"),
            ("o3", "o3"),
            ("gpt-5-mini", "gpt-5-mini"),
            ("claude-sonnet-4-20250514", "claude-sonnet-4"),
            ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
            ("anthropic/claude-3.5-sonnet", "claude-3-5-sonnet"),
            ("anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet"),
            ("claude-3-5-haiku-latest", "claude-3-5-haiku"),
            ("claude-opus-4-1-20250805", "claude-opus-4-1"),
            ("claude-opus-4-20250514", "claude-opus-4"),
            ("gemini-2.5-pro", "gemini-2.5-pro"),
            ("models/gemini-1.5-flash-002", "gemini-1.5-flash"),
            ("gemini-2.5-flash-lite", "gemini-2.5-flash-lite"),
            ("groq/llama-3.1-70b-versatile", "groq/llama-3.3-70b-versatile"),
            ("llama-3.3-70b-versatile", "groq/llama-3.3-70b-versatile"),
            ("llama-3.1-8b-instant", "groq/llama-3.1-8b-instant"),
            ("meta-llama/llama-4-scout-17b-16e-instruct", "groq/llama-4-scout"),
            ("mistral-large-latest", "mistral-large"),
            ("deepseek-chat", "deepseek-chat"),
            ("grok-4-fast-reasoning", "grok-4-fast"),
            ("grok-3-mini", "grok-3-mini"),
        ];
        for (model, want) in cases {
            assert_eq!(id_of(&t, model), Some(want), "{model}");
        }
        for unknown in ["gpt-4o-2024", "my-finetune", "gpt-4ox", "xgpt-4o", ""] {
            assert_eq!(id_of(&t, unknown), None, "{unknown}");
        }
    }

    /// What the table remembers answers as the patterns do, for ids that
    /// match and ids that do not, and stays bounded past its size.
    #[test]
    fn remembered_matches_are_the_patterns_answers() {
        let t = PriceTable::load(None).unwrap();
        let ids = ["gpt-4o", "GPT-4o-Mini", "claude-opus-4-20250514", "my-finetune", "gpt-4ox", ""];
        let direct = |m: &str| t.fixed_set.matches(m).iter().next();
        for round in 0..2 {
            for id in ids {
                let found = t.lookup(id, 0).map(|e| e.id.as_str());
                assert_eq!(found, direct(id).map(|i| t.fixed[i].id.as_str()), "{id}, round {round}");
            }
        }
        for i in 0..SEEN_MODELS + 10 {
            assert!(t.lookup(&format!("made-up-{i}"), 0).is_none());
        }
        assert!(t.seen.lock().len() <= SEEN_MODELS);
        assert_eq!(id_of(&t, "gpt-4o-mini-2024-07-18"), Some("gpt-4o-mini"));
    }

    /// Every entry prices the ids its vendor publishes (dated, prefixed,
    /// `-latest`), and no other entry claims them.
    #[test]
    fn every_entry_matches_its_own_published_ids() {
        let t = PriceTable::load(None).unwrap();
        let json: serde_json::Value = serde_json::from_str(BUNDLED_JSON).unwrap();
        for entry in json["models"].as_array().unwrap() {
            let id = entry["id"].as_str().unwrap();
            let examples = entry["examples"].as_array().map_or(&[][..], |a| a.as_slice());
            assert!(!examples.is_empty(), "{id} lists the ids it prices");
            for example in examples {
                let example = example.as_str().unwrap();
                assert_eq!(id_of(&t, example), Some(id), "{example}");
                assert_eq!(t.fixed_set.matches(example).iter().count(), 1, "{example} matches one entry");
            }
        }
    }

    /// The bundled rates are the vendors' published list prices (USD per
    /// 1M tokens: input, cached input, output), checked at `asOf`.
    #[test]
    fn rates_are_the_published_list_prices() {
        let t = PriceTable::load(None).unwrap();
        let published: &[(&str, f64, Option<f64>, f64)] = &[
            ("gpt-4", 30.0, None, 60.0),
            ("gpt-4-0613", 30.0, None, 60.0),
            ("gpt-4-32k", 60.0, None, 120.0),
            ("gpt-3.5-turbo-0125", 0.5, None, 1.5),
            ("gpt-4-turbo-2024-04-09", 10.0, None, 30.0),
            ("gpt-4o-2024-08-06", 2.5, Some(1.25), 10.0),
            ("gpt-4o-mini", 0.15, Some(0.075), 0.6),
            ("gpt-4.1", 2.0, Some(0.5), 8.0),
            ("gpt-5", 1.25, Some(0.125), 10.0),
            ("gpt-5.1", 1.25, Some(0.125), 10.0),
            ("gpt-5-mini", 0.25, Some(0.025), 2.0),
            ("o3", 2.0, Some(0.5), 8.0),
            ("o1-pro", 150.0, None, 600.0),
            ("gpt-5.1-codex", 1.25, Some(0.125), 10.0),
            ("gemini-3-pro-preview", 2.0, Some(0.2), 12.0),
            ("devstral-medium-latest", 0.4, None, 2.0),
            ("claude-opus-4-5-20251101", 5.0, Some(0.5), 25.0),
            ("claude-sonnet-4-5-20250929", 3.0, Some(0.3), 15.0),
            ("claude-haiku-4-5", 1.0, Some(0.1), 5.0),
            ("claude-3-5-haiku-20241022", 0.8, Some(0.08), 4.0),
            ("gemini-2.5-pro", 1.25, Some(0.31), 10.0),
            ("gemini-2.5-flash", 0.3, Some(0.075), 2.5),
            ("gemini-2.0-flash", 0.1, Some(0.025), 0.4),
            ("llama-3.3-70b-versatile", 0.59, None, 0.79),
            ("llama-3.1-8b-instant", 0.05, None, 0.08),
            ("openai/gpt-oss-120b", 0.15, None, 0.75),
            ("mistral-large-latest", 2.0, None, 6.0),
            ("mistral-small-latest", 0.1, None, 0.3),
            ("deepseek-chat", 0.28, Some(0.028), 0.42),
            ("grok-4", 3.0, Some(0.75), 15.0),
            ("grok-4-fast-reasoning", 0.2, Some(0.05), 0.5),
        ];
        let nanos = |usd: f64| (usd * 1e9).round() as i64;
        for (model, input, cached, output) in published {
            let e = t.fixed_entries().iter().find(|e| Some(e.id.as_str()) == id_of(&t, model)).expect(model);
            assert_eq!(e.rates.input, nanos(*input), "{model} input");
            assert_eq!(e.rates.output, nanos(*output), "{model} output");
            if let Some(cached) = cached {
                assert_eq!(e.rates.cached_input, Some(nanos(*cached)), "{model} cached input");
            }
        }
    }

    #[test]
    fn no_model_id_matches_two_entries() {
        let t = PriceTable::load(None).unwrap();
        let ids = [
            "gpt-4o",
            "gpt-4o-mini",
            "gpt-4.1",
            "gpt-4.1-mini",
            "o1",
            "o1-mini",
            "o3",
            "o3-mini",
            "o3-pro",
            "gpt-5",
            "gpt-5-mini",
            "gpt-5-nano",
            "claude-opus-4",
            "claude-opus-4-1",
            "claude-opus-4-5",
            "claude-sonnet-4",
            "claude-sonnet-4-5",
            "gemini-2.5-flash",
            "gemini-2.5-flash-lite",
            "gemini-1.5-flash",
            "gemini-1.5-flash-8b",
            "grok-4",
            "grok-4-fast",
            "grok-3",
            "grok-3-mini",
            "mistral-medium",
            "mistral-medium-3",
        ];
        for id in ids {
            let n = t.fixed_set.matches(id).iter().count();
            assert_eq!(n, 1, "{id} matches {n} entries");
        }
    }

    #[test]
    fn environment_overrides_replace_and_add() {
        let env = r#"{"models": [
            {"id": "gpt-4o", "match": "gpt-4o", "input": "1", "output": 2},
            {"id": "house-model", "match": "house-.*", "input": 0.5, "output": 0.5}
        ]}"#;
        let t = PriceTable::load(Some(env)).unwrap();
        let e = t.lookup("gpt-4o", 0).unwrap();
        assert_eq!((e.rates.input, e.origin.clone()), (1_000_000_000, Origin::Environment));
        assert_eq!(t.fixed_entries().iter().filter(|e| e.id == "gpt-4o").count(), 1, "replaced, not duplicated");
        assert_eq!(id_of(&t, "HOUSE-v2"), Some("house-model"));
        let as_list = PriceTable::load(Some(r#"[{"id": "x", "match": "x", "input": 1, "output": 1}]"#)).unwrap();
        assert_eq!(id_of(&as_list, "x"), Some("x"));
    }

    #[test]
    fn malformed_overrides_name_position_and_key() {
        let err = PriceTable::load(Some(
            r#"{"models": [{"id": "a", "match": "a", "input": 1, "output": 1},
            {"id": "b", "match": "b", "input": "cheap", "output": 1}]}"#,
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("MODEL_PRICING_OVERRIDES"), "{err}");
        assert!(err.contains("models[1].input"), "{err}");
        let err = PriceTable::load(Some(r#"{"models": [{"id": "a", "match": "a", "input": 1, "output": 1,}]}"#))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1 column"), "{err}");
        let err =
            PriceTable::load(Some(r#"[{"id": "a", "match": "(", "input": 1, "output": 1}]"#)).unwrap_err().to_string();
        assert!(err.contains("entry `a`") && err.contains("bad pattern"), "{err}");
        let err =
            PriceTable::load(Some(r#"[{"id": "a", "match": "a", "input": 1, "outptu": 1}]"#)).unwrap_err().to_string();
        assert!(err.contains("MODEL_PRICING_OVERRIDES"), "{err}");
    }
}
