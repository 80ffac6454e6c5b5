//! Security headers on every answer — pages, APIs, files, refusals and
//! panics alike (the layer sits outside all the others): no MIME sniffing,
//! no referrer sent off the site, and no framing by another site (the
//! clickjacking defence, as `frame-ancestors` and for older browsers
//! `X-Frame-Options`).
//!
//! The Content Security Policy allows exactly what the app loads: its own
//! scripts, styles, WASM (`'wasm-unsafe-eval'` to compile it) and API. A
//! rendered page's inline scripts (hydration, streamed resources) carry
//! the nonce Leptos makes per response, and [`page_policy`] names that
//! nonce; every other answer allows no inline script at all. Inline style
//! attributes stay allowed: the charts set them.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// Each header and its value, set unless the handler set its own (a
/// rendered page sets its own policy, with its nonce).
pub const HEADERS: [(header::HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "same-origin"),
    (header::CONTENT_SECURITY_POLICY, DEFAULT_POLICY),
    (header::X_FRAME_OPTIONS, "DENY"),
];

/// What every answer but a rendered page allows: nothing inline.
pub const DEFAULT_POLICY: &str =
    "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// A rendered page's policy: its inline scripts carry `nonce`.
pub fn policy_with_nonce(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// For a page being rendered (called in its reactive context): answers
/// with the policy for this response's nonce. Server functions have none
/// and keep the default.
pub fn page_policy() {
    use leptos::prelude::use_context;
    let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&policy_with_nonce(&nonce)) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

pub async fn secure(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let headers = resp.headers_mut();
    for (name, value) in HEADERS {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    resp
}
