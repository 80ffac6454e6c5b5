//! The request deadline: every request must be read and answered within
//! it (`REQUEST_TIMEOUT_SECS`). A body still arriving when it passes is
//! the client's slowness (a slowloris body): 408, and nothing was stored,
//! since ingest commits only a whole body. A handler still working is
//! ours: 503 with `Retry-After`. Live streams and file downloads answer
//! their headers at once, so only the time to start them counts.

use super::error::ApiError;
use crate::state::AppState;
use axum::body::HttpBody as _;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub async fn enforce(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = state.http.request_timeout;
    let (parts, body) = req.into_parts();
    // Whether the body has been read to its end (an empty one already is).
    let received = Arc::new(AtomicBool::new(body.is_end_stream()));
    let body = if received.load(Ordering::Relaxed) {
        body
    } else {
        let flag = received.clone();
        let end = futures::stream::once(async move { flag.store(true, Ordering::Relaxed) })
            .filter_map(|()| async { None::<Result<Bytes, axum::Error>> });
        Body::from_stream(body.into_data_stream().chain(end))
    };
    match tokio::time::timeout(limit, next.run(Request::from_parts(parts, body))).await {
        Ok(resp) => resp,
        Err(_) if !received.load(Ordering::Relaxed) => ApiError::BodyTimeout(limit.as_secs()).into_response(),
        Err(_) => ApiError::Slow(limit.as_secs()).into_response(),
    }
}
