//! The server's shared state: one clonable handle per resource, reachable
//! from axum handlers (`State`) and server functions (`expect_context`).

use crate::bus::Bus;
use crate::ingest::Ingestor;
use crate::price::Pricing;
use crate::store::Store;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    pub bus: Bus,
    pub ingestor: Ingestor,
    /// The live price table (bundled + environment + admin overrides).
    pub pricing: Pricing,
    /// SHA-256 hashes of the ingest keys from the configuration.
    pub config_key_hashes: Arc<HashSet<String>>,
    /// Largest request body accepted by ingest, in bytes.
    pub max_body_bytes: usize,
    /// Ingest on/off; off answers 503 (the admin toggle flips it at runtime).
    pub telemetry_enabled: Arc<AtomicBool>,
    pub started_at: Instant,
}

impl AppState {
    pub fn new(
        leptos_options: LeptosOptions,
        store: Store,
        pricing: Pricing,
        config_key_hashes: HashSet<String>,
        max_body_bytes: usize,
        telemetry_enabled: bool,
    ) -> AppState {
        let bus = Bus::default();
        AppState {
            leptos_options,
            ingestor: Ingestor::new(store.clone(), bus.clone(), pricing.clone()),
            pricing,
            store,
            bus,
            config_key_hashes: Arc::new(config_key_hashes),
            max_body_bytes,
            telemetry_enabled: Arc::new(AtomicBool::new(telemetry_enabled)),
            started_at: Instant::now(),
        }
    }

    pub fn telemetry_enabled(&self) -> bool {
        self.telemetry_enabled.load(Ordering::Relaxed)
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
