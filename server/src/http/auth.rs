//! Who may call an API route: machine clients by `X-API-Key` (matched by
//! SHA-256 against the configured keys and the stored ones; the key itself
//! is never logged or kept), people by their session (resolved earlier by
//! `session::resolve`).
//!
//! | extractor | session | API key |
//! |---|---|---|
//! | [`IngestKey`] | – | ingest |
//! | [`CanView`] | viewer or admin | read |
//! | [`CanAdmin`] | admin | read (the REST summary API) |
//! | [`AnyKey`] | – | ingest or read |

use super::error::ApiError;
use domain::auth::{Me, Role};
use domain::time;
use app::state::AppState;
use pipeline::store::{hash_key, KeyScope};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

pub const HEADER: &str = "x-api-key";

/// The scope of the request's API key; `None` without the header.
async fn key_scope(parts: &Parts, state: &AppState) -> Result<Option<KeyScope>, ApiError> {
    let Some(value) = parts.headers.get(HEADER) else { return Ok(None) };
    let key = value.to_str().map_err(|_| ApiError::Unauthorized("invalid API key"))?.trim();
    let hash = hash_key(key);
    if state.settings.config_key_hashes.contains(&hash) {
        return Ok(Some(KeyScope::Ingest));
    }
    match state.store.verify_api_key(&hash, time::now_ms()).await? {
        Some(scope) => Ok(Some(scope)),
        None => Err(ApiError::Unauthorized("invalid API key")),
    }
}

/// A request carrying a valid key with the ingest scope.
pub struct IngestKey;

impl FromRequestParts<AppState> for IngestKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match key_scope(parts, state).await? {
            Some(KeyScope::Ingest) => Ok(IngestKey),
            Some(KeyScope::Read) => {
                Err(ApiError::Unauthorized("this API key is read-only; ingest needs an ingest key"))
            }
            None => Err(ApiError::Unauthorized("missing X-API-Key header")),
        }
    }
}

/// Any valid API key, ingest or read (the budget check agents call).
pub struct AnyKey;

impl FromRequestParts<AppState> for AnyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match key_scope(parts, state).await? {
            Some(_) => Ok(AnyKey),
            None => Err(ApiError::Unauthorized("missing X-API-Key header")),
        }
    }
}

/// Who is reading: a person (with their role) or a read-only key.
#[derive(Clone, Debug)]
pub enum Reader {
    Person(Me),
    ReadKey,
}

impl Reader {
    /// Viewers never see money.
    pub fn sees_cost(&self) -> bool {
        match self {
            Reader::Person(me) => me.role == Role::Admin,
            Reader::ReadKey => true,
        }
    }
}

async fn reader(parts: &Parts, state: &AppState, needed: Role) -> Result<Reader, ApiError> {
    if let Some(me) = parts.extensions.get::<Me>() {
        return if me.role >= needed {
            Ok(Reader::Person(me.clone()))
        } else {
            Err(ApiError::Forbidden("this needs the admin role"))
        };
    }
    match key_scope(parts, state).await? {
        Some(KeyScope::Read) => Ok(Reader::ReadKey),
        Some(KeyScope::Ingest) => Err(ApiError::Forbidden("this API key may only ingest; reading needs a read key")),
        None => Err(ApiError::Unauthorized("sign in, or send a read API key in X-API-Key")),
    }
}

/// A signed-in viewer or admin, or a read key.
pub struct CanView(pub Reader);

impl FromRequestParts<AppState> for CanView {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        reader(parts, state, Role::Viewer).await.map(CanView)
    }
}

/// A signed-in admin, or a read key.
pub struct CanAdmin(pub Reader);

impl FromRequestParts<AppState> for CanAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        reader(parts, state, Role::Admin).await.map(CanAdmin)
    }
}

/// Removes cost fields from an event's (or a list's) JSON for viewers.
pub fn redact_cost(value: &mut serde_json::Value) {
    const COST_KEYS: [&str; 5] = ["costNanos", "pricingId", "unpricedEvents", "averagePerTurnNanos", "totalNanos"];
    match value {
        serde_json::Value::Object(map) => {
            for k in COST_KEYS {
                map.remove(k);
            }
            for v in map.values_mut() {
                redact_cost(v);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_cost),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redaction_reaches_nested_events() {
        let mut v = serde_json::json!({"turns": [{"costNanos": 5, "stages": [{"id": 1, "costNanos": 5, "pricingId": "x"}]}], "costNanos": 9});
        super::redact_cost(&mut v);
        assert_eq!(v, serde_json::json!({"turns": [{"stages": [{"id": 1}]}]}));
    }
}
