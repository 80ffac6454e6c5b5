//! Pricing: every event gets its cost the moment it is ingested.
//!
//! - [`table`]: the bundled table (`models.json`), `MODEL_PRICING_OVERRIDES`
//!   and the admin's effective-dated overrides, merged into one [`PriceTable`]
//!   that finds an entry for a model id.
//! - [`cost`]: the pure function [`price`] — no I/O, exact integer money.
//! - [`update`]: a change from the pricing editor, checked and turned into
//!   an override entry.
//! - [`reprice`]: which stored events the current table prices differently.
//!
//! [`Pricing`] is the live handle the ingest pipeline reads and the pricing
//! editor replaces.

pub mod cost;
pub mod reprice;
pub mod table;
pub mod update;

pub use cost::{price, Priced};
pub use reprice::reprice;
pub use table::{PriceTable, PricingError};

use std::sync::{Arc, RwLock};

/// The current price table, swapped atomically when overrides change.
#[derive(Clone, Debug)]
pub struct Pricing(Arc<RwLock<Arc<PriceTable>>>);

impl Pricing {
    pub fn new(table: PriceTable) -> Pricing {
        Pricing(Arc::new(RwLock::new(Arc::new(table))))
    }

    pub fn current(&self) -> Arc<PriceTable> {
        self.0.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    pub fn replace(&self, table: PriceTable) {
        *self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(table);
    }
}
