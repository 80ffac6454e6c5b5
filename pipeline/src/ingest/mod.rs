//! Ingest: the front of the pipeline. A request body is parsed into items,
//! each item validated into an [`Event`] and priced, the batch stored whole
//! (in the writer's next group commit, [`writer`]) and only then published
//! on the bus and acknowledged.
//!
//! ```text
//! body ─► parse ─► validate ─► price ─► writer: group commit ─► bus ─► ack (ids)
//! ```

pub mod error;
pub mod parse;
pub mod usage;
pub mod validate;
pub mod writer;

pub use error::{IngestError, ItemError};
pub use parse::BodyFormat;

use crate::bus::Bus;
use crate::price::{self, Pricing};
use crate::store::Store;
use writer::Writer;

/// Most events one request may carry.
pub const MAX_EVENTS_PER_REQUEST: usize = 10_000;

#[derive(Clone, Debug)]
pub struct Ingestor {
    pricing: Pricing,
    writer: Writer,
}

impl Ingestor {
    pub fn new(store: Store, bus: Bus, pricing: Pricing) -> Ingestor {
        Ingestor { pricing, writer: Writer::start(store, bus) }
    }

    /// Parses, validates and stores a request body; returns the stored ids.
    pub async fn ingest_body(&self, body: &[u8], format: BodyFormat, now_ms: i64) -> Result<Vec<i64>, IngestError> {
        self.ingest_values(parse::parse_body(body, format)?, now_ms).await
    }

    /// Validates and stores parsed items, all or none.
    pub async fn ingest_values(&self, items: Vec<serde_json::Value>, now_ms: i64) -> Result<Vec<i64>, IngestError> {
        if items.len() > MAX_EVENTS_PER_REQUEST {
            return Err(IngestError::TooManyEvents { limit: MAX_EVENTS_PER_REQUEST, count: items.len() });
        }
        let total = items.len();
        let mut events = Vec::with_capacity(total);
        let mut errors = Vec::new();
        for (index, item) in items.iter().enumerate() {
            match validate::validate(index, item, now_ms) {
                Ok(e) => events.push(e),
                Err(mut errs) => errors.append(&mut errs),
            }
        }
        if !errors.is_empty() {
            return Err(IngestError::invalid(errors, total));
        }
        let table = self.pricing.current();
        for e in &mut events {
            price::cost::apply(&table, e);
        }
        self.writer.store(events).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    /// A tiny seeded generator of arbitrary JSON, biased towards event-ish
    /// keys so validation gets past the first check.
    struct Gen(u64);

    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn value(&mut self, depth: u32) -> Value {
            const KEYS: &[&str] = &[
                "chatId",
                "turnId",
                "stage",
                "status",
                "ts",
                "durationMs",
                "persona",
                "model",
                "provider",
                "usage",
                "error",
                "meta",
                "inputTokens",
                "prompt_tokens",
                "prompt_tokens_details",
                "cached_tokens",
                "input_tokens",
                "promptTokenCount",
                "x",
            ];
            match self.next() % if depth > 3 { 6 } else { 8 } {
                0 => Value::Null,
                1 => json!(self.next().is_multiple_of(2)),
                2 => json!((self.next() as i64) >> (self.next() % 64)),
                3 => json!(f64::from_bits(self.next() >> 2)),
                4 => json!(
                    ["success", "error", "running", "", "2026-11-22T10:00:00Z", "nope"][(self.next() % 6) as usize]
                ),
                5 => json!("é".repeat((self.next() % 300) as usize)),
                6 => Value::Array((0..self.next() % 4).map(|_| self.value(depth + 1)).collect()),
                _ => {
                    let mut m = Map::new();
                    for _ in 0..self.next() % 8 {
                        let k = KEYS[(self.next() % KEYS.len() as u64) as usize];
                        m.insert(k.to_string(), self.value(depth + 1));
                    }
                    Value::Object(m)
                }
            }
        }
    }

    #[test]
    fn arbitrary_input_is_answered_never_panicked_on() {
        let mut g = Gen(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let v = g.value(0);
            match validate::validate(0, &v, 1) {
                Ok(e) => assert!(!e.chat_id.is_empty() && !e.stage.is_empty()),
                Err(errors) => assert!(!errors.is_empty() && errors.iter().all(|e| !e.message.is_empty())),
            }
            let bytes = v.to_string().into_bytes();
            let cut = (g.next() as usize) % (bytes.len() + 1);
            let _ = parse::parse_body(&bytes[..cut], BodyFormat::Json);
            let _ = parse::parse_body(&bytes[..cut], BodyFormat::Ndjson);
        }
    }
}
