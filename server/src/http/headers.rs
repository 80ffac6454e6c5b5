//! Security headers on every answer — pages, APIs, files, refusals and
//! panics alike (the layer sits outside all the others): no MIME sniffing,
//! no referrer sent off the site, and no framing by another site (the
//! clickjacking defence, as `frame-ancestors` and for older browsers
//! `X-Frame-Options`). A script policy (`script-src` with nonces for the
//! hydration scripts) is not set yet.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// Each header and its value, set unless the handler set its own.
pub const HEADERS: [(header::HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "same-origin"),
    (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"),
    (header::X_FRAME_OPTIONS, "DENY"),
];

pub async fn secure(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let headers = resp.headers_mut();
    for (name, value) in HEADERS {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    resp
}
