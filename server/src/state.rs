//! The server's shared state: one clonable handle per resource, reachable
//! from axum handlers (`State`) and, for the pipeline's service, from server
//! functions (`expect_context`).

use crate::http::limiter::Limiter;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use pipeline::service::Service;
use std::sync::Arc;
use std::time::Instant;

/// Failed sign-ins allowed per window, per account and per client address.
pub const LOGIN_FAILURES_PER_ACCOUNT: usize = 5;
pub const LOGIN_FAILURES_PER_ADDRESS: usize = 20;
pub const LOGIN_WINDOW_MS: i64 = 15 * 60_000;

/// What HTTP adds to the service: limits and settings of its own.
#[derive(Clone, Copy, Debug)]
pub struct HttpSettings {
    pub max_body_bytes: usize,
    /// Mark session cookies `Secure` (the server is reached over TLS).
    pub secure_cookies: bool,
}

#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub service: Service,
    pub http: HttpSettings,
    pub login_per_account: Arc<Limiter>,
    pub login_per_address: Arc<Limiter>,
    pub started_at: Instant,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, service: Service, http: HttpSettings) -> AppState {
        AppState {
            leptos_options,
            service,
            http,
            login_per_account: Arc::new(Limiter::new(LOGIN_FAILURES_PER_ACCOUNT, LOGIN_WINDOW_MS)),
            login_per_address: Arc::new(Limiter::new(LOGIN_FAILURES_PER_ADDRESS, LOGIN_WINDOW_MS)),
            started_at: Instant::now(),
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
