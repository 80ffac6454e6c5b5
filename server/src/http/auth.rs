//! API-key authentication for machine clients: the `X-API-Key` header,
//! matched by SHA-256 hash against the configured keys and the stored ones.
//! The key itself is never logged or kept.

use super::error::ApiError;
use app::domain::time;
use app::state::AppState;
use app::store::{hash_key, KeyScope};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

pub const HEADER: &str = "x-api-key";

/// A request carrying a valid key with the ingest scope.
pub struct IngestKey;

impl FromRequestParts<AppState> for IngestKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match scope_of(parts, state).await? {
            KeyScope::Ingest => Ok(IngestKey),
            KeyScope::Read => Err(ApiError::Unauthorized("this API key is read-only; ingest needs an ingest key")),
        }
    }
}

async fn scope_of(parts: &Parts, state: &AppState) -> Result<KeyScope, ApiError> {
    let key = parts
        .headers
        .get(HEADER)
        .ok_or(ApiError::Unauthorized("missing X-API-Key header"))?
        .to_str()
        .map_err(|_| ApiError::Unauthorized("invalid API key"))?
        .trim();
    let hash = hash_key(key);
    if state.config_key_hashes.contains(&hash) {
        return Ok(KeyScope::Ingest);
    }
    state.store.verify_api_key(&hash, time::now_ms()).await?.ok_or(ApiError::Unauthorized("invalid API key"))
}
