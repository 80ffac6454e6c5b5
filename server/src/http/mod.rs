//! The HTTP surface: REST and SSE under `/api`, `/metrics`, the Leptos pages
//! and server functions, static files. One module per resource; [`router`]
//! is callable from tests.
//!
//! Every request first has its session resolved ([`session::resolve`]),
//! passes the CSRF check ([`session::csrf`]), then the access layer
//! ([`access::guard`]), which holds it to its rule in `app::access` before
//! anything else is parsed. Handlers then parse their input, ask the
//! pipeline's service, and encode the answer. Every request is held to the
//! [`deadline`], and every answer leaves with the security headers of
//! [`headers`], compressed when the client accepts it ([`compress`]).
//! [`listen`] is the accept loop; [`limits`] caps live streams and the
//! ingest rate.

pub mod access;
pub mod assets;
pub mod budget;
pub mod deadline;
pub mod encoding;
pub mod error;
pub mod events;
pub mod export;
pub mod headers;
pub mod health;
pub mod limits;
pub mod listen;
pub mod login;
pub mod metrics;
pub mod openapi;
pub mod otlp;
pub mod params;
pub mod session;
pub mod summary;
pub mod telemetry;

use crate::state::AppState;
use app::{shell, App};
use axum::extract::DefaultBodyLimit;
use axum::http::{Extensions, HeaderMap, StatusCode, Version};
use axum::middleware;
use axum::routing::{any, get, post};
use axum::Router;
use error::ApiError;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::sync::OnceLock;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::trace::TraceLayer;

/// The pages' routes, generated once per process. Leptos generates them by
/// running the app with resource loads suppressed through a process-wide
/// flag: a page render whose data starts loading meanwhile, on any server
/// in the process, waits for ever (leptos-rs/leptos#4773). Once, before the
/// first server answers, nothing renders alongside.
fn pages() -> Vec<AxumRouteListing> {
    static PAGES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    PAGES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let pages = pages();
    let options = state.leptos_options.clone();
    let service = state.service.clone();
    // Every page render (and server function) gets the service, and a
    // page its script policy.
    let page_context = move || {
        leptos::prelude::provide_context(service.clone());
        headers::page_policy();
    };
    Router::new()
        .route("/api/ping", get(health::ping))
        .route("/api/openapi.json", get(openapi::openapi))
        .route("/api/health", get(health::health))
        .route("/metrics", get(metrics::metrics))
        .route("/api/auth/login", post(login::login))
        .route("/api/auth/logout", post(login::logout))
        // The handler enforces the configured limit itself, with a JSON error.
        .route("/api/events", post(events::post_events).layer(DefaultBodyLimit::disable()))
        .route("/v1/traces", post(otlp::post_traces).layer(DefaultBodyLimit::disable()))
        .route("/api/telemetry/history", get(telemetry::history))
        .route("/api/telemetry/stream", get(telemetry::stream))
        .route("/api/telemetry/summary", get(summary::summary))
        .route("/api/telemetry/conversations", get(summary::conversations))
        .route("/api/telemetry/sessions/live", get(summary::live_sessions))
        .route("/api/telemetry/export", get(export::export))
        .route("/api/exports", get(export::list_jobs).post(export::start_job))
        .route("/api/exports/{id}", get(export::poll_job).delete(export::cancel_job))
        .route("/api/exports/{id}/file", get(export::file))
        .route("/api/budget/check", get(budget::check))
        // Server functions reach the service through the context.
        .leptos_routes_with_context(&state, pages, page_context.clone(), move || shell(options.clone()))
        .route("/api/{*rest}", any(|| async { ApiError::NotFound }))
        .route("/pkg/{*name}", get(asset))
        .route("/vendor/{*name}", get(asset))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(page_context, shell))
        .layer(middleware::from_fn_with_state(state.clone(), access::guard))
        .layer(middleware::from_fn(session::csrf))
        .layer(middleware::from_fn_with_state(state.clone(), session::resolve))
        .layer(answer_panics())
        .layer(middleware::from_fn_with_state(state.clone(), deadline::enforce))
        .layer(TraceLayer::new_for_http())
        .layer(middleware::from_fn_with_state(state.clone(), metrics::observe))
        .layer(middleware::from_fn(headers::secure))
        .layer(compress())
        .with_state(state)
}

/// The site's WASM, scripts and styles, compressed (see [`assets`]).
async fn asset(
    axum::extract::State(state): axum::extract::State<AppState>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    state.assets.serve(uri.path().trim_start_matches('/'), &headers).await
}

/// Pages, server function answers and JSON are compressed for clients that
/// accept it: the flow page of a busy store is 300 KB of HTML, 1.5 s on a
/// phone's 1.6 Mbps. Not the live stream (an event would wait in the
/// encoder: [`encoding`] gzips it, flushing as events go out), nor the
/// site's assets: [`assets`] compresses those once, and
/// sends them as they are until then. Level 5: the flow page of a fresh
/// store, 126 KB, is 11.4 KB as brotli at 5 against 13.2 KB at 4 (9.7 KB
/// at 11), for 1.8 ms of a core against 1.2 (150 ms at 11); on the phone
/// profile 1.8 KB is 10 ms before the page's files are asked for. Gzip at
/// 5 is about as quick. Session cookies are `SameSite=Strict`, so no
/// other site can have a signed-in answer compressed together with text
/// it chose (BREACH).
pub fn compress() -> CompressionLayer<impl Predicate> {
    let not_an_asset =
        |_: StatusCode, _: Version, _: &HeaderMap, served: &Extensions| served.get::<assets::Served>().is_none();
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(5))
        .compress_when(DefaultPredicate::new().and(not_an_asset))
}

/// A panic in a handler, or in a page's server-side render, is answered
/// with a 500 instead of leaving the client waiting on a dropped task.
/// (Leptos 0.8 can, rarely, read a disposed value while streaming a page.)
pub fn answer_panics() -> CatchPanicLayer<fn(Box<dyn std::any::Any + Send>) -> axum::response::Response> {
    fn answer(_: Box<dyn std::any::Any + Send>) -> axum::response::Response {
        axum::response::IntoResponse::into_response(ApiError::Panicked)
    }
    CatchPanicLayer::custom(answer as fn(_) -> _)
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_handler_is_answered_500_not_left_hanging() {
        let router = axum::Router::new()
            .route("/boom", axum::routing::get(|| async { panic!("a bug") as &'static str }))
            .layer(super::answer_panics());
        let resp = router.oneshot(Request::get("/boom").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(resp.status(), 500);
        let body = axum::body::to_bytes(resp.into_body(), 1024).await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"], "internal error; it was logged");
    }

    /// A site file is left to `assets` (which sends it as it is until its
    /// own compressed copies are ready); any other answer is compressed.
    #[tokio::test]
    async fn answers_are_compressed_but_never_a_site_file() {
        use axum::response::IntoResponse;
        let script = "export function hello() { return 'hello'; }\n".repeat(100);
        let router = axum::Router::new()
            .route("/page", axum::routing::get(move || async move { axum::response::Html(script) }))
            .route(
                "/pkg/app.js",
                axum::routing::get(|| async {
                    let mut r = ([("content-type", "text/javascript")], "let x = 1;\n".repeat(100)).into_response();
                    r.extensions_mut().insert(super::assets::Served);
                    r
                }),
            )
            .layer(super::compress());
        for (path, compressed) in [("/page", true), ("/pkg/app.js", false)] {
            let req = Request::get(path).header("accept-encoding", "br").body(Body::empty()).unwrap();
            let resp = router.clone().oneshot(req).await.unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.headers().get("content-encoding").is_some(), compressed, "{path}");
        }
    }
}
