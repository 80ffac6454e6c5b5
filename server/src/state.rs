//! The server's shared state: the pipeline's service (also reachable from
//! server functions, through the context) and what HTTP adds to it.

use crate::http::assets::Assets;
use crate::http::limits::{RateLimiter, StreamGate};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use pipeline::service::Service;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What HTTP adds to the service: settings of its own.
#[derive(Clone, Copy, Debug)]
pub struct HttpSettings {
    pub max_body_bytes: usize,
    /// Mark session cookies `Secure` (the server is reached over TLS).
    pub secure_cookies: bool,
    /// Take the client's address from `X-Forwarded-For` (behind a proxy).
    pub trust_forwarded_for: bool,
    /// The time a request has to arrive and be answered.
    pub request_timeout: Duration,
    /// Live streams per session or key, and in total.
    pub max_streams_per_session: usize,
    pub max_streams: usize,
    /// Ingest requests per key per second, if limited.
    pub ingest_rate_limit: Option<u32>,
}

/// Handlers and layers clone the state for every request: a clone is one
/// reference count.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

/// What every clone of the [`AppState`] shares.
#[derive(Debug)]
pub struct Shared {
    pub leptos_options: LeptosOptions,
    /// The site's WASM, scripts and styles, compressed once.
    pub assets: Assets,
    pub service: Service,
    pub http: HttpSettings,
    /// The caps on open live streams.
    pub streams: Arc<StreamGate>,
    /// The per-key ingest rate.
    pub ingest_rate: RateLimiter,
    pub started_at: Instant,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, service: Service, http: HttpSettings) -> AppState {
        let production = leptos_options.env == leptos::config::Env::PROD;
        let assets = Assets::new(std::path::PathBuf::from(&*leptos_options.site_root), production);
        let streams = Arc::new(StreamGate::new(http.max_streams_per_session, http.max_streams));
        let ingest_rate = RateLimiter::new(http.ingest_rate_limit);
        AppState(Arc::new(Shared {
            leptos_options,
            assets,
            service,
            http,
            streams,
            ingest_rate,
            started_at: Instant::now(),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
