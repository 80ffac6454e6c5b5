//! The server's shared state: one clonable handle per resource, reachable
//! from axum handlers (`State`) and server functions (`expect_context`).

use crate::auth::limiter::Limiter;
use pipeline::bus::Bus;
use pipeline::ingest::Ingestor;
use pipeline::ops::IngestCounters;
use pipeline::price::Pricing;
use pipeline::store::Store;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// The settings the state is built from (see the server's `Config`).
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// SHA-256 hashes of the ingest keys from the configuration.
    pub config_key_hashes: HashSet<String>,
    pub max_body_bytes: usize,
    /// `TELEMETRY_ENABLED`: the default the admin toggle starts from.
    pub telemetry_enabled: bool,
    /// Mark session cookies `Secure` (the server is reached over TLS).
    pub secure_cookies: bool,
    pub retention_days: i64,
}

/// Failed sign-ins allowed per window, per account and per client address.
pub const LOGIN_FAILURES_PER_ACCOUNT: usize = 5;
pub const LOGIN_FAILURES_PER_ADDRESS: usize = 20;
pub const LOGIN_WINDOW_MS: i64 = 15 * 60_000;

#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    pub bus: Bus,
    pub ingestor: Ingestor,
    /// The live price table (bundled + environment + admin overrides).
    pub pricing: Pricing,
    pub settings: Arc<Settings>,
    /// Ingest on/off; off answers 503. Starts at `TELEMETRY_ENABLED`, the
    /// admin toggle flips it until the next restart.
    pub telemetry_enabled: Arc<AtomicBool>,
    /// Days of data kept (the admin area changes it; stored in `settings`).
    pub retention_days: Arc<AtomicI64>,
    pub ingest_counters: Arc<IngestCounters>,
    pub login_per_account: Arc<Limiter>,
    pub login_per_address: Arc<Limiter>,
    pub started_at: Instant,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, store: Store, pricing: Pricing, settings: Settings) -> AppState {
        let bus = Bus::default();
        AppState {
            leptos_options,
            ingestor: Ingestor::new(store.clone(), bus.clone(), pricing.clone()),
            pricing,
            store,
            bus,
            telemetry_enabled: Arc::new(AtomicBool::new(settings.telemetry_enabled)),
            retention_days: Arc::new(AtomicI64::new(settings.retention_days)),
            settings: Arc::new(settings),
            ingest_counters: Arc::new(IngestCounters::default()),
            login_per_account: Arc::new(Limiter::new(LOGIN_FAILURES_PER_ACCOUNT, LOGIN_WINDOW_MS)),
            login_per_address: Arc::new(Limiter::new(LOGIN_FAILURES_PER_ADDRESS, LOGIN_WINDOW_MS)),
            started_at: Instant::now(),
        }
    }

    pub fn telemetry_enabled(&self) -> bool {
        self.telemetry_enabled.load(Ordering::Relaxed)
    }

    pub fn retention_days(&self) -> i64 {
        self.retention_days.load(Ordering::Relaxed)
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
