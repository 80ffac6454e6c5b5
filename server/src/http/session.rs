//! Sessions on every request: resolve the cookie to a user once (into the
//! request's extensions, where the access layer, handlers and server
//! functions read it), and refuse cross-site state changes (CSRF:
//! SameSite=Strict cookies plus an Origin check).

use super::error::ApiError;
use crate::state::AppState;
use app::access::{self, Kind, Need, Target};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use domain::auth::Me;
use domain::time;
use pipeline::auth::session;

/// Puts the signed-in user (if any) into the request's extensions. Files
/// (the site's scripts and styles) need no session and cost no lookup.
///
/// When the session cannot be checked because the database is away, what
/// needs a signed-in user answers so (503, `Retry-After`) rather than
/// treating the visitor as signed out, which would send them to a sign-in
/// page where signing in fails too. A page gets a short page that retries
/// by itself; an open, hydrated page keeps what it shows while its stream
/// reconnects. What anyone may call (health, the sign-in page) goes on,
/// signed out.
pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let target = access::target(req.uri().path());
    if matches!(target, Target::File) {
        return next.run(req).await;
    }
    let token = req.headers().get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(session::from_cookie_header);
    if let Some(token) = token {
        match state.service.store().session_user(&session::token_hash(token), time::now_ms()).await {
            Ok(Some(me)) => {
                req.extensions_mut().insert(me);
            }
            Ok(None) => {}
            Err(e) => match target {
                // Where a session is what admits the caller.
                Target::Rule(rule) if matches!(rule.need, Need::SignedIn(_) | Need::SignedInOrReadKey(_)) => {
                    tracing::warn!(error = %e, path = rule.path, "Session lookup failed; answered 503.");
                    return match rule.kind {
                        Kind::Page => unavailable_page(),
                        kind => ApiError::Store(e).answer(kind),
                    };
                }
                // Anyone may call the rest (health, sign-in) or it takes a key.
                _ => tracing::warn!(error = %e, "Session lookup failed; treating the request as signed out."),
            },
        }
    }
    next.run(req).await
}

/// The page shown while the database is away: it retries every 5 s.
fn unavailable_page() -> Response {
    let body = r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta http-equiv="refresh" content="5"><title>Unavailable · Flowmeter</title><link rel="stylesheet" href="/pkg/flowmeter.css"></head><body><main class="main"><section class="panel empty-state" data-unavailable role="alert"><h1>Flowmeter cannot reach its database</h1><p>Nothing you sent is lost: events are acknowledged only once stored. This page tries again every 5 seconds.</p></section></main></body></html>"#;
    let mut resp = (StatusCode::SERVICE_UNAVAILABLE, Html(body)).into_response();
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    resp
}

/// Refuses state-changing requests that carry the session cookie but come
/// from another origin. Requests authenticated by `X-API-Key` pass: a page
/// on another site cannot send that header (it would need CORS, which
/// Flowmeter does not grant), so the cookie does not act for them.
pub async fn csrf(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || req.headers().contains_key(super::access::KEY_HEADER);
    let has_session =
        req.headers().get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(session::from_cookie_header).is_some();
    if safe || !has_session || same_origin(req.headers()) {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), "Cross-site request refused.");
    match access::target(req.uri().path()) {
        Target::Rule(rule) => ApiError::CrossSite.answer(rule.kind),
        _ => ApiError::CrossSite.into_response(),
    }
}

/// The request's `Origin` (or, without one, `Sec-Fetch-Site`) says it comes
/// from this site.
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()), host) {
        (Some(origin), Some(host)) => {
            origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host)
        }
        (Some(_), None) => false,
        (None, _) => {
            matches!(headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()), Some("same-origin") | Some("none"))
        }
    }
}

/// For REST handlers: the signed-in user, if any.
pub struct MaybeUser(pub Option<Me>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for MaybeUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(parts.extensions.get::<Me>().cloned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:3000".parse().unwrap());
        h.insert(header::ORIGIN, "http://127.0.0.1:3000".parse().unwrap());
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        assert!(!same_origin(&h));
        h.remove(header::ORIGIN);
        assert!(!same_origin(&h));
        h.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert!(same_origin(&h));
    }
}
