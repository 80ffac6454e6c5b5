//! The access layer: every request is looked up in the one rule table
//! (`app::access`) and its caller checked *before* anything else is parsed
//! — the session (resolved just before) or the `X-API-Key` (matched by
//! SHA-256 against the configured and stored keys; never logged or kept).
//!
//! A caller without the role gets 401/403 in the REST API's JSON shape; a
//! page sends signed-out visitors to the sign-in page and shows viewers
//! "Admins only". Admitted readers are put into the request as a
//! [`Viewer`] (handlers take it with [`Reader`]). A server function's
//! arguments are decoded only then: a bad one is a 400 that names it.

use super::error::ApiError;
use crate::state::AppState;
use app::access::{self, Denied, Key, Kind, Need, Target};
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::auth::Me;
use domain::time;
use pipeline::ops::IngestOutcome;
use pipeline::service::Viewer;

/// The header machine clients send their key in.
pub const KEY_HEADER: &str = "x-api-key";
/// The API key a request carries: `X-API-Key`, or `Authorization: Bearer`
/// (OpenTelemetry exporters set either through `OTEL_EXPORTER_OTLP_HEADERS`).
/// `Some(None)`: a key header that is not valid text.
pub fn api_key(headers: &HeaderMap) -> Option<Option<&str>> {
    if let Some(v) = headers.get(KEY_HEADER) {
        return Some(v.to_str().ok());
    }
    let auth = headers.get(header::AUTHORIZATION)?;
    let bearer = auth.to_str().ok().and_then(|a| {
        let (scheme, key) = a.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then_some(key.trim())
    });
    Some(bearer)
}

/// Largest server-function request read to check its arguments.
const MAX_ARGS_BYTES: usize = 2 * 1024 * 1024;

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let rule = match access::target(req.uri().path()) {
        Target::File => return next.run(req).await,
        Target::Unknown => return ApiError::NotFound.into_response(),
        Target::Rule(rule) => rule,
    };
    let user = req.extensions().get::<Me>().cloned();
    // A session wins over a key; only look a key up where it can count.
    let presented = api_key(req.headers());
    let key = match presented {
        Some(value)
            if rule.need.takes_keys()
                && !(user.is_some() && matches!(rule.need, Need::SignedInOrReadKey(_) | Need::AnyoneOrReader)) =>
        {
            match value {
                Some(k) => match state.service.verify_key(k, time::now_ms()).await {
                    Ok(Some(grant)) => Some(Key::Valid(grant)),
                    Ok(None) => Some(Key::Invalid),
                    Err(e) => return ApiError::from(e).answer(rule.kind),
                },
                None => Some(Key::Invalid),
            }
        }
        _ => None,
    };
    // Handlers that act for the key (ingest, the budget check) read its grant.
    let grant = match &key {
        Some(Key::Valid(grant)) => Some(grant.clone()),
        _ => None,
    };
    // A valid ingest key within its rate, before its body is read.
    if let (Need::IngestKey, Some(_), Some(Some(k))) = (rule.need, &grant, presented) {
        if let Err(refusal) = state.ingest_rate.take(k, std::time::Instant::now()) {
            state.service.metrics().ingest(IngestOutcome::Rejected { status: refusal.status().as_u16() });
            return refusal.into_response();
        }
    }
    let viewer = match access::decide(rule.need, user.as_ref(), key) {
        Ok(viewer) => viewer,
        Err(denied) if matches!(rule.kind, Kind::Page) => return refuse_page(&req, denied),
        Err(denied) => {
            let refusal = match denied {
                Denied::Unauthorized(m) => ApiError::Unauthorized(m),
                Denied::Forbidden(m) => ApiError::Forbidden(m),
            };
            if rule.need == Need::IngestKey {
                // Ingest refused at the door still counts as a rejected request.
                state.service.metrics().ingest(IngestOutcome::Rejected { status: refusal.status().as_u16() });
            }
            return refusal.answer(rule.kind);
        }
    };
    let mut req = req;
    if let Some(viewer) = viewer {
        req.extensions_mut().insert(viewer);
    }
    if let Some(grant) = grant {
        req.extensions_mut().insert(grant);
    }
    match rule.kind {
        Kind::ServerFn(check_args) => match checked_args(req, check_args).await {
            Ok(req) => next.run(req).await,
            Err(refusal) => refusal.into_server_fn_response(),
        },
        Kind::Page | Kind::Rest(_) => next.run(req).await,
    }
}

/// Reads a server function's arguments and checks that they decode; hands
/// the request on with its body intact.
async fn checked_args(req: Request, check: fn(&[u8]) -> Result<(), String>) -> Result<Request, ApiError> {
    if req.method() == Method::GET {
        check(req.uri().query().unwrap_or("").as_bytes()).map_err(ApiError::BadArguments)?;
        return Ok(req);
    }
    let (parts, body) = req.into_parts();
    let bytes =
        axum::body::to_bytes(body, MAX_ARGS_BYTES).await.map_err(|_| ApiError::PayloadTooLarge(MAX_ARGS_BYTES))?;
    check(&bytes).map_err(ApiError::BadArguments)?;
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn refuse_page(req: &Request, denied: Denied) -> Response {
    match denied {
        Denied::Unauthorized(_) => {
            let wanted = req.uri().path_and_query().map_or("/", |p| p.as_str());
            Redirect::to(&format!("/login?next={}", domain::url::encode_path(wanted))).into_response()
        }
        Denied::Forbidden(_) => forbidden_page(),
    }
}

fn forbidden_page() -> Response {
    let body = r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Forbidden · Flowmeter</title><link rel="stylesheet" href="/pkg/flowmeter.css"></head><body><main class="main"><section class="panel empty-state" data-forbidden><h1>Admins only</h1><p>This page needs the admin role.</p><p><a href="/">Back to the flow</a></p></section></main></body></html>"#;
    (StatusCode::FORBIDDEN, Html(body)).into_response()
}

/// For REST handlers: who is reading, as the access layer admitted them.
pub struct Reader(pub Viewer);

impl<S: Send + Sync> FromRequestParts<S> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<Viewer>().cloned().map(Reader).ok_or(ApiError::Unauthorized("sign in required"))
    }
}
