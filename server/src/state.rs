//! The server's shared state: the pipeline's service (also reachable from
//! server functions, through the context) and what HTTP adds to it.

use crate::http::assets::Assets;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use pipeline::service::Service;
use std::sync::Arc;
use std::time::Instant;

/// What HTTP adds to the service: settings of its own.
#[derive(Clone, Copy, Debug)]
pub struct HttpSettings {
    pub max_body_bytes: usize,
    /// Mark session cookies `Secure` (the server is reached over TLS).
    pub secure_cookies: bool,
    /// Take the client's address from `X-Forwarded-For` (behind a proxy).
    pub trust_forwarded_for: bool,
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
    pub started_at: Instant,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, service: Service, http: HttpSettings) -> AppState {
        let production = leptos_options.env == leptos::config::Env::PROD;
        let assets = Assets::new(std::path::PathBuf::from(&*leptos_options.site_root), production);
        AppState(Arc::new(Shared { leptos_options, assets, service, http, started_at: Instant::now() }))
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
