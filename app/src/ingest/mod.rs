//! Ingest: the front of the pipeline. A request body is parsed into items,
//! each item validated into an [`Event`], the batch stored in one
//! transaction and only then published on the bus and acknowledged.
//!
//! ```text
//! body ─► parse ─► validate ─► store (atomic) ─► bus ─► ack (ids)
//! ```

pub mod error;
pub mod parse;
pub mod usage;
pub mod validate;

pub use error::{IngestError, ItemError};
pub use parse::BodyFormat;

use crate::bus::Bus;
use crate::domain::Event;
use crate::store::Store;
use std::sync::Arc;
use tokio::sync::Mutex;

/// Most events one request may carry.
pub const MAX_EVENTS_PER_REQUEST: usize = 10_000;

#[derive(Clone, Debug)]
pub struct Ingestor {
    store: Store,
    bus: Bus,
    /// Held from insert to publish so the bus carries batches in id order.
    order: Arc<Mutex<()>>,
}

impl Ingestor {
    pub fn new(store: Store, bus: Bus) -> Ingestor {
        Ingestor { store, bus, order: Arc::new(Mutex::new(())) }
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
        let stored = self.store_and_publish(events).await?;
        Ok(stored.iter().map(|e| e.id).collect())
    }

    /// Stores validated events, then publishes them in id order.
    async fn store_and_publish(&self, events: Vec<Event>) -> Result<Arc<[Event]>, IngestError> {
        let _in_order = self.order.lock().await;
        let stored: Arc<[Event]> = self.store.insert_events(events).await?.into();
        self.bus.publish(stored.clone());
        Ok(stored)
    }
}
