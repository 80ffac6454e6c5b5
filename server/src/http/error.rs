//! One error type for the REST API and for refusals of server functions
//! before they run. The REST API answers it as JSON:
//! `{ "error": "…", "items": [{ "index", "field", "message" }] }`; a server
//! function, in the error encoding its browser caller decodes.
//! Client mistakes are 4xx and say what to fix; server faults are logged
//! in full and answered with a short, detail-free 503.

use app::access::Kind;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use pipeline::ingest::{IngestError, ItemError};
use pipeline::service::ServiceError;
use pipeline::store::StoreError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// A query parameter or header the client got wrong.
    #[error("invalid `{field}`: {message}")]
    BadParam { field: &'static str, message: String },
    /// A server function's arguments do not decode; the message names the one.
    #[error("{0}")]
    BadArguments(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("cross-site request refused: state changes must come from this site")]
    CrossSite,
    #[error("the request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    #[error("the request body could not be read")]
    BadBody,
    #[error("{0}")]
    Unavailable(&'static str),
    #[error("no such endpoint")]
    NotFound,
    #[error("no conversation `{0}`")]
    NoSuchConversation(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("the event store is unavailable")]
    Store(#[from] StoreError),
    /// The request deadline passed while its body was still arriving.
    #[error("the request body did not arrive within {0} s; nothing was stored")]
    BodyTimeout(u64),
    /// The request deadline passed while the server was answering.
    #[error("no answer within {0} s; retry later")]
    Slow(u64),
    #[error("too many live streams: at most {limit} {scope}; close one (another tab?) or retry later")]
    TooManyStreams { limit: usize, scope: &'static str },
    #[error("rate limit: this API key may send {per_second} ingest requests per second; nothing was stored, retry in {retry_after_secs} s")]
    RateLimited { per_second: u32, retry_after_secs: u64 },
    /// A handler panicked (a bug): answered rather than left hanging.
    #[error("internal error; it was logged")]
    Panicked,
}

/// When to retry after a 503 other than a busy writer (which says itself).
const UNAVAILABLE_RETRY_SECS: u64 = 5;

/// Every error answer's body: what is wrong, and for a refused ingest
/// request each invalid item's problems.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemError>,
}

/// The refusals every route that reads or takes a key may answer, in the
/// OpenAPI description: one place for what each means.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only described, never built: `ApiError` answers them.
pub enum Refusals {
    #[response(status = 400, description = "A parameter is invalid; the error names it")]
    BadParam(ErrorBody),
    #[response(status = 401, description = "No session or key, or a key that does not check out")]
    Unauthorized(ErrorBody),
    #[response(status = 403, description = "Not for this caller (role, key scope or tenant)")]
    Forbidden(ErrorBody),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Ingest(IngestError::Invalid { .. }) => StatusCode::BAD_REQUEST,
            ApiError::Ingest(IngestError::UnsupportedMediaType { .. }) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Ingest(IngestError::TooManyEvents { .. }) | ApiError::PayloadTooLarge(_) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::Ingest(IngestError::Store(_) | IngestError::Busy { .. } | IngestError::Unavailable)
            | ApiError::Store(_)
            | ApiError::Unavailable(_)
            | ApiError::Slow(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::TooManyStreams { .. } | ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Service(e) => StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            ApiError::BadParam { .. } | ApiError::BadArguments(_) | ApiError::BadBody => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::CrossSite => StatusCode::FORBIDDEN,
            ApiError::NotFound | ApiError::NoSuchConversation(_) => StatusCode::NOT_FOUND,
            ApiError::Panicked => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl ApiError {
    /// What the client is told, logged once here: a server fault in full
    /// (the client gets a short, detail-free message), a refusal at debug.
    pub fn public_message(&self) -> String {
        let message = match self {
            ApiError::Ingest(IngestError::Store(e))
            | ApiError::Store(e)
            | ApiError::Service(ServiceError::Unavailable { source: e, .. }) => {
                tracing::error!(error = %e, "Store failure answered with 503.");
                "the event store is unavailable; nothing was stored, retry later".to_string()
            }
            ApiError::Panicked => {
                tracing::error!("A request handler panicked; answered 500 (the panic is printed above).");
                self.to_string()
            }
            other => other.to_string(),
        };
        let status = self.status();
        if status.is_client_error() {
            tracing::debug!(%status, error = %message, "Request refused.");
        }
        message
    }

    /// The invalid items, each with its index and field.
    pub fn items(&self) -> &[ItemError] {
        match self {
            ApiError::Ingest(IngestError::Invalid { items, .. }) => items,
            _ => &[],
        }
    }

    /// Seconds to wait before retrying: every 503 and 429 is worth
    /// retrying (exporters do, when told when).
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::Ingest(IngestError::Busy { retry_after_secs })
            | ApiError::RateLimited { retry_after_secs, .. } => Some(*retry_after_secs),
            _ if matches!(self.status(), StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS) => {
                Some(UNAVAILABLE_RETRY_SECS)
            }
            _ => None,
        }
    }
}

impl ApiError {
    /// The refusal of a server function before it runs: the same status and
    /// `Retry-After`, with the body in the encoding of the function's own
    /// errors, so the page shows the message (say, the store is away) rather
    /// than failing to decode JSON.
    pub fn into_server_fn_response(self) -> Response {
        use leptos::server_fn::error::FromServerFnError;
        let body = leptos::prelude::ServerFnError::new(self.public_message()).ser();
        let resp =
            (self.status(), [(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response();
        self.with_retry_after(resp)
    }

    /// `Retry-After` on `resp` when this refusal is worth retrying.
    fn with_retry_after(&self, mut resp: Response) -> Response {
        if let Some(secs) = self.retry_after() {
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        resp
    }

    /// As [`IntoResponse`], or for a server function as
    /// [`ApiError::into_server_fn_response`].
    pub fn answer(self, kind: Kind) -> Response {
        match kind {
            Kind::ServerFn(_) => self.into_server_fn_response(),
            Kind::Page | Kind::Rest(_) => self.into_response(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: self.public_message(), items: self.items().to_vec() };
        let resp = (self.status(), Json(body)).into_response();
        self.with_retry_after(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full ingest queue is a 503 that says when to come back.
    #[tokio::test]
    async fn a_busy_writer_answers_503_with_retry_after() {
        let resp = ApiError::Ingest(IngestError::Busy { retry_after_secs: 1 }).into_response();
        assert_eq!(resp.status(), 503);
        assert_eq!(resp.headers()["retry-after"], "1");
        let body = axum::body::to_bytes(resp.into_body(), 1024).await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"], "ingest is busy; nothing was stored, retry in 1 s");
    }
}
