//! `POST /api/events`: one event, a JSON array, or NDJSON. Answers 202
//! with the stored ids only after the transaction committed.

use super::auth::IngestKey;
use super::error::ApiError;
use app::domain::time;
use app::ingest::BodyFormat;
use app::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use http_body_util::LengthLimitError;
use serde::Serialize;

#[derive(Serialize)]
pub struct Ack {
    pub accepted: usize,
    pub ids: Vec<i64>,
}

pub async fn post_events(
    State(state): State<AppState>,
    _key: IngestKey,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Ack>), ApiError> {
    if !state.telemetry_enabled() {
        return Err(ApiError::Unavailable(
            "telemetry ingest is turned off on this server (TELEMETRY_ENABLED=false or the admin toggle); nothing was stored",
        ));
    }
    let limit = state.max_body_bytes;
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let format = BodyFormat::from_content_type(ct)?;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|e| {
        let over_limit = std::error::Error::source(&e).is_some_and(|s| s.is::<LengthLimitError>());
        if over_limit {
            ApiError::PayloadTooLarge(limit)
        } else {
            ApiError::BadBody
        }
    })?;
    let ids = state.ingestor.ingest_body(&bytes, format, time::now_ms()).await?;
    Ok((StatusCode::ACCEPTED, Json(Ack { accepted: ids.len(), ids })))
}
