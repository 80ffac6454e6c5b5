//! Ingest: the front of the pipeline. A request body is parsed into items,
//! each item validated into an [`Event`] and priced, the batch stored whole
//! (in the writer's next group commit, [`writer`]) and only then published
//! on the bus and acknowledged.
//!
//! ```text
//! body ─► parse ─► validate ─► price ─► writer: group commit ─► bus ─► ack (ids)
//! OTLP ─► otlp ─┘
//! ```

pub mod error;
pub mod otlp;
pub mod parse;
pub mod usage;
pub mod validate;
pub mod writer;

pub use error::{IngestError, ItemError};
pub use otlp::{OtlpAck, OtlpFormat};
pub use parse::BodyFormat;

use crate::bus::Bus;
use crate::ops::Metrics;
use crate::price::{self, Pricing};
use crate::store::Store;
use domain::Event;
use std::collections::HashMap;
use std::sync::Arc;
use writer::Writer;

/// Most events one request may carry.
pub const MAX_EVENTS_PER_REQUEST: usize = 10_000;

#[derive(Clone, Debug)]
pub struct Ingestor {
    pricing: Pricing,
    writer: Writer,
    /// For the one read before a write: whose conversations these are.
    store: Store,
}

impl Ingestor {
    /// Committed events are counted in `metrics`.
    pub fn new(store: Store, bus: Bus, pricing: Pricing, metrics: Arc<Metrics>) -> Ingestor {
        Ingestor { pricing, writer: Writer::start(store.clone(), bus, metrics), store }
    }

    /// Parses, validates and stores a request body; returns the stored ids.
    /// `key_tenant` is the ingest key's tenant, if it has one: events
    /// without a tenant get it, events naming another are refused.
    pub async fn ingest_body(
        &self,
        body: &[u8],
        format: BodyFormat,
        key_tenant: Option<&str>,
        now_ms: i64,
    ) -> Result<Vec<i64>, IngestError> {
        self.ingest_values(parse::parse_body(body, format)?, key_tenant, now_ms).await
    }

    /// Validates and stores parsed items, all or none.
    pub async fn ingest_values(
        &self,
        items: Vec<serde_json::Value>,
        key_tenant: Option<&str>,
        now_ms: i64,
    ) -> Result<Vec<i64>, IngestError> {
        let events = events_from_values(&items, key_tenant, now_ms)?;
        let clashes = self.tenant_clashes(&events).await?;
        if !clashes.is_empty() {
            return Err(IngestError::invalid(clashes, items.len()));
        }
        self.price_and_store(events).await
    }

    /// Decodes, maps and stores an OTLP traces request, all or none: one
    /// event per stage span; other spans are skipped and counted.
    pub async fn ingest_otlp(
        &self,
        body: &[u8],
        format: OtlpFormat,
        key_tenant: Option<&str>,
        now_ms: i64,
    ) -> Result<OtlpAck, IngestError> {
        let (events, mapped) = events_from_otlp(body, format, key_tenant, now_ms)?;
        let clashes = self.tenant_clashes(&events).await?;
        if !clashes.is_empty() {
            let mut errors = otlp::rename_errors(&mapped.items, clashes);
            errors.sort_by_key(|e| e.index);
            return Err(IngestError::invalid(errors, mapped.items.len() + mapped.skipped));
        }
        let ids = if events.is_empty() { Vec::new() } else { self.price_and_store(events).await? };
        Ok(OtlpAck { ids, skipped: mapped.skipped })
    }

    /// A conversation belongs to one tenant: an event naming another tenant
    /// than its conversation's (stored, or earlier in the batch) is refused.
    /// Events without a tenant cost no read.
    async fn tenant_clashes(&self, events: &[Event]) -> Result<Vec<ItemError>, IngestError> {
        let tenanted: Vec<(usize, &str, &str)> = events
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.tenant.as_deref().map(|t| (i, e.chat_id.as_str(), t)))
            .collect();
        if tenanted.is_empty() {
            return Ok(Vec::new());
        }
        let mut chats: Vec<&str> = tenanted.iter().map(|(_, c, _)| *c).collect();
        chats.sort_unstable();
        chats.dedup();
        let mut owner: HashMap<String, String> =
            self.store.conversation_tenants(&chats).await.map_err(IngestError::Store)?.into_iter().collect();
        let mut clashes = Vec::new();
        for (index, chat, tenant) in tenanted {
            match owner.get(chat) {
                Some(o) if o != tenant => clashes.push(ItemError::new(
                    index,
                    "tenant",
                    format!("`{tenant}`: conversation `{chat}` belongs to another tenant; use a chat id of this tenant's own"),
                )),
                Some(_) => {}
                None => {
                    owner.insert(chat.to_string(), tenant.to_string());
                }
            }
        }
        Ok(clashes)
    }

    async fn price_and_store(&self, mut events: Vec<Event>) -> Result<Vec<i64>, IngestError> {
        let table = self.pricing.current();
        for e in &mut events {
            price::cost::apply(&table, e);
        }
        self.writer.store(events).await
    }
}

/// The store-free front of native ingest: every parsed item validated
/// (and claimed for the key's tenant), or every problem of every item.
pub fn events_from_values(
    items: &[serde_json::Value],
    key_tenant: Option<&str>,
    now_ms: i64,
) -> Result<Vec<Event>, IngestError> {
    check_count(items.len())?;
    validate_all(items, key_tenant, now_ms).map_err(|errors| IngestError::invalid(errors, items.len()))
}

/// The store-free front of OTLP ingest: the request decoded and mapped,
/// its stage spans validated; or every problem, named by its OTLP path.
/// Returns the mapping too (its items name the spans; `skipped` counts the
/// spans that are not stages).
pub fn events_from_otlp(
    body: &[u8],
    format: OtlpFormat,
    key_tenant: Option<&str>,
    now_ms: i64,
) -> Result<(Vec<Event>, otlp::map::Mapped), IngestError> {
    let mut mapped = otlp::map::map_request(&otlp::decode(body, format)?);
    check_count(mapped.items.len())?;
    let values: Vec<_> = mapped.items.iter().map(|i| &i.event).collect();
    let mut errors = std::mem::take(&mut mapped.errors);
    let events = match validate_all(values, key_tenant, now_ms) {
        Ok(events) => events,
        Err(invalid) => {
            errors.extend(otlp::rename_errors(&mapped.items, invalid));
            Vec::new()
        }
    };
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.index);
        return Err(IngestError::invalid(errors, mapped.items.len() + mapped.skipped));
    }
    Ok((events, mapped))
}

fn check_count(count: usize) -> Result<(), IngestError> {
    if count > MAX_EVENTS_PER_REQUEST {
        return Err(IngestError::TooManyEvents { limit: MAX_EVENTS_PER_REQUEST, count });
    }
    Ok(())
}

/// Every item validated (and claimed for the key's tenant), or every
/// problem of every item.
fn validate_all<'a>(
    items: impl IntoIterator<Item = &'a serde_json::Value>,
    key_tenant: Option<&str>,
    now_ms: i64,
) -> Result<Vec<Event>, Vec<ItemError>> {
    let mut events = Vec::new();
    let mut errors = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match validate::validate(index, item, now_ms).and_then(|e| claim_tenant(index, e, key_tenant)) {
            Ok(e) => events.push(e),
            Err(mut errs) => errors.append(&mut errs),
        }
    }
    if errors.is_empty() {
        Ok(events)
    } else {
        Err(errors)
    }
}

/// The one rule of a tenant's ingest key: it writes that tenant only. An
/// event without a tenant is the key's; one naming another is refused.
fn claim_tenant(index: usize, mut e: Event, key_tenant: Option<&str>) -> Result<Event, Vec<ItemError>> {
    match (key_tenant, e.tenant.as_deref()) {
        (None, _) => Ok(e),
        (Some(mine), None) => {
            e.tenant = Some(mine.to_string());
            Ok(e)
        }
        (Some(mine), Some(t)) if t == mine => Ok(e),
        (Some(mine), Some(t)) => {
            Err(vec![ItemError::new(index, "tenant", format!("`{t}`: this API key writes tenant `{mine}` only"))])
        }
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

    /// Whatever an OTLP body holds — cut, bytes flipped, any JSON — the
    /// decoder, the span mapping and validation answer without panicking.
    #[test]
    fn arbitrary_otlp_bodies_are_answered_never_panicked_on() {
        use prost::Message;
        let span = json!({
            "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174", "name": "chat",
            "startTimeUnixNano": "1795000000000000000", "endTimeUnixNano": "1795000001000000000",
            "status": {"code": 2, "message": "boom"},
            "events": [{"name": "exception", "attributes": [{"key": "exception.type", "value": {"stringValue": "E"}}]}],
            "attributes": [
                {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
                {"key": "gen_ai.conversation.id", "value": {"intValue": "7"}},
                {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "12"}},
                {"key": "gen_ai.usage.cache_read.input_tokens", "value": {"doubleValue": 20.0}},
                {"key": "list", "value": {"arrayValue": {"values": [{"boolValue": true}]}}},
                {"key": "map", "value": {"kvlistValue": {"values": [{"key": "k", "value": {"bytesValue": "AAE="}}]}}}
            ]
        });
        let body = json!({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "s"}}]},
            "scopeSpans": [{"scope": {"name": "x"}, "spans": [span.clone(), span]}]}]});
        let request = otlp::decode(body.to_string().as_bytes(), OtlpFormat::Json).expect("the seed decodes");
        assert_eq!(otlp::map::map_request(&request).items.len(), 2);
        let proto = request.encode_to_vec();
        let mut g = Gen(0x2545_f491_4f6c_dd1d);
        let check = |bytes: &[u8], format: OtlpFormat| {
            if let Ok(req) = otlp::decode(bytes, format) {
                let mapped = otlp::map::map_request(&req);
                if let Err(errors) = validate_all(mapped.items.iter().map(|i| &i.event), None, 1) {
                    let renamed = otlp::rename_errors(&mapped.items, errors);
                    assert!(renamed.iter().all(|e| e.field.starts_with("resourceSpans[")), "{renamed:?}");
                }
            }
        };
        for _ in 0..20_000 {
            let mut bytes = proto.clone();
            for _ in 0..1 + g.next() % 4 {
                let at = (g.next() as usize) % bytes.len();
                bytes[at] = g.next() as u8;
            }
            let cut = (g.next() as usize) % (bytes.len() + 1);
            check(&bytes[..cut], OtlpFormat::Protobuf);
            let v = g.value(0);
            check(v.to_string().as_bytes(), OtlpFormat::Json);
            let mut doc = body.clone();
            doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"][0]["value"] = v;
            check(doc.to_string().as_bytes(), OtlpFormat::Json);
        }
    }
}
