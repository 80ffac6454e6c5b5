//! The HTTP surface: REST and SSE under `/api`, the Leptos pages and server
//! functions, static files. One module per resource; [`router`] is callable
//! from tests.

pub mod auth;
pub mod error;
pub mod events;
pub mod health;
pub mod params;
pub mod summary;
pub mod telemetry;

use app::state::AppState;
use app::{shell, App};
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get, post};
use axum::Router;
use error::ApiError;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::TraceLayer;

pub fn router(state: AppState) -> Router {
    let pages = generate_route_list(App);
    let options = state.leptos_options.clone();
    Router::new()
        .route("/api/ping", get(health::ping))
        .route("/api/health", get(health::health))
        // The handler enforces the configured limit itself, with a JSON error.
        .route("/api/events", post(events::post_events).layer(DefaultBodyLimit::disable()))
        .route("/api/telemetry/history", get(telemetry::history))
        .route("/api/telemetry/stream", get(telemetry::stream))
        .route("/api/telemetry/summary", get(summary::summary))
        .route("/api/telemetry/conversations", get(summary::conversations))
        .leptos_routes(&state, pages, move || shell(options.clone()))
        .route("/api/{*rest}", any(|| async { ApiError::NotFound }))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
