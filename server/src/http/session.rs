//! Sessions on every request: resolve the cookie to a user once (into the
//! request's extensions, where handlers and server functions read it), keep
//! signed-out visitors on the sign-in page, keep viewers out of admin pages,
//! and refuse cross-site state changes (CSRF: SameSite=Strict cookies plus
//! an Origin check).

use super::error::ApiError;
use pipeline::auth::session;
use domain::auth::{Me, Role};
use domain::time;
use app::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

/// Pages only admins may open.
const ADMIN_PAGES: &[&str] = &["/costs", "/admin"];
/// Pages anyone may open.
const PUBLIC_PAGES: &[&str] = &["/login"];

/// Puts the signed-in user (if any) into the request's extensions.
pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let token = req.headers().get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(session::from_cookie_header);
    if let Some(token) = token {
        match state.store.session_user(&session::token_hash(token), time::now_ms()).await {
            Ok(Some(me)) => {
                req.extensions_mut().insert(me);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "Session lookup failed; treating the request as signed out."),
        }
    }
    next.run(req).await
}

fn is_page(path: &str) -> bool {
    // APIs, server functions and files (anything with an extension) are not
    // pages; each API checks its own access.
    let api = path.starts_with("/api/") || path.starts_with("/pkg/") || path == "/metrics" || path.starts_with("/v1/");
    let file = path.rsplit('/').next().unwrap_or("").contains('.');
    !(api || file)
}

fn is_admin_page(path: &str) -> bool {
    ADMIN_PAGES.iter().any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

/// Signed-out visitors go to the sign-in page; viewers get 403 for admin pages.
pub async fn guard_pages(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if !is_page(&path) || PUBLIC_PAGES.contains(&path.as_str()) {
        return next.run(req).await;
    }
    match req.extensions().get::<Me>() {
        None => {
            let wanted = req.uri().path_and_query().map_or("/", |p| p.as_str());
            let next_param = app::views::links::encode_path(wanted);
            Redirect::to(&format!("/login?next={next_param}")).into_response()
        }
        Some(me) if is_admin_page(&path) && me.role < Role::Admin => forbidden_page(),
        Some(_) => next.run(req).await,
    }
}

fn forbidden_page() -> Response {
    let body = r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Forbidden · Flowmeter</title><link rel="stylesheet" href="/pkg/flowmeter.css"></head><body><main class="main"><section class="panel empty-state" data-forbidden><h1>Admins only</h1><p>This page needs the admin role.</p><p><a href="/">Back to the flow</a></p></section></main></body></html>"#;
    (StatusCode::FORBIDDEN, Html(body)).into_response()
}

/// Refuses state-changing requests that carry the session cookie but come
/// from another origin. Requests authenticated by `X-API-Key` pass: a page
/// on another site cannot send that header (it would need CORS, which
/// Flowmeter does not grant), so the cookie does not act for them.
pub async fn csrf(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || req.headers().contains_key(super::auth::HEADER);
    let has_session =
        req.headers().get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(session::from_cookie_header).is_some();
    if safe || !has_session || same_origin(req.headers()) {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), "Cross-site request refused.");
    ApiError::CrossSite.into_response()
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
    fn pages_and_origins() {
        assert!(is_page("/") && is_page("/replay/chat-1") && is_page("/admin"));
        assert!(!is_page("/api/events") && !is_page("/pkg/flowmeter.js") && !is_page("/favicon.ico"));
        assert!(is_admin_page("/costs") && is_admin_page("/admin/users") && !is_admin_page("/costsx"));
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
