//! `POST /api/events`: one event, a JSON array, or NDJSON. Answers 202
//! with the stored ids only after the transaction committed.

use super::error::{ApiError, ErrorBody, Refusals};
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Extension;
use axum::Json;
use domain::auth::KeyGrant;
use domain::time;
use http_body_util::LengthLimitError;
use pipeline::ingest::BodyFormat;
use pipeline::ops::IngestOutcome;
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Ack {
    pub accepted: usize,
    pub ids: Vec<i64>,
}

/// (The access layer has checked the ingest key; its refusals count as
/// rejected requests there.)
#[utoipa::path(post, path = "/api/events", tag = "ingest",
    description = "One event (an object), a JSON array of them, or NDJSON (one per line). Answered only once committed; all or nothing.",
    request_body(content(
        (serde_json::Value = "application/json"),
        (String = "application/x-ndjson"),
    )),
    responses(
        (status = 202, description = "Stored: the ids, in order", body = Ack),
        Refusals,
        (status = 408, description = "The body did not arrive within the request deadline; nothing was stored", body = ErrorBody),
        (status = 413, description = "Over the body limit or 10,000 events", body = ErrorBody),
        (status = 415, description = "Not JSON or NDJSON", body = ErrorBody),
        (status = 429, description = "Past a limit; retry after `Retry-After`", body = ErrorBody),
        (status = 503, description = "The store is unavailable (or ingest is busy or off); nothing was stored; retry after `Retry-After`", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn post_events(
    State(state): State<AppState>,
    Extension(grant): Extension<KeyGrant>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Ack>), ApiError> {
    let result = ingest(&state, &grant, &headers, body).await;
    count_outcome(&state, result.as_ref().map(Vec::len));
    let ids = result?;
    Ok((StatusCode::ACCEPTED, Json(Ack { accepted: ids.len(), ids })))
}

/// Counts how an ingest request (native or OTLP) ended: the events it
/// stored, or its refusal by status.
pub(super) fn count_outcome(state: &AppState, stored: Result<usize, &ApiError>) {
    state.service.metrics().ingest(match stored {
        Ok(events) => IngestOutcome::Accepted { events },
        Err(e) if e.status().is_client_error() => IngestOutcome::Rejected { status: e.status().as_u16() },
        Err(e) => IngestOutcome::Failed { status: e.status().as_u16() },
    });
}

async fn ingest(state: &AppState, grant: &KeyGrant, headers: &HeaderMap, body: Body) -> Result<Vec<i64>, ApiError> {
    let format = BodyFormat::from_content_type(headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()))?;
    let bytes = read_body(state, headers, body).await?;
    Ok(state.service.ingestor().ingest_body(&bytes, format, grant.tenant.as_deref(), time::now_ms()).await?)
}

/// An ingest request's body, up to the body limit, once ingest is known
/// to be on (OTLP shares it).
pub(super) async fn read_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    if !state.service.telemetry_enabled() {
        return Err(ApiError::Unavailable(
            "telemetry ingest is turned off on this server (TELEMETRY_ENABLED=false or the admin toggle); nothing was stored",
        ));
    }
    let limit = state.http.max_body_bytes;
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let over_limit = std::error::Error::source(&e).is_some_and(|s| s.is::<LengthLimitError>());
        if over_limit {
            ApiError::PayloadTooLarge(limit)
        } else {
            ApiError::BadBody
        }
    })
}
