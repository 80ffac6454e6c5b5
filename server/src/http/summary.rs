//! `GET /api/telemetry/summary`, `GET /api/telemetry/conversations` and
//! `GET /api/telemetry/sessions/live`.

use super::access::Reader;
use super::error::ApiError;
use super::params::Params;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::conversation::{
    ConversationQuery, ConversationStatus, ConversationSummary, DEFAULT_LIST_SIZE, MAX_LIST_SIZE,
};
use domain::sessions::LiveSessions;
use domain::summary::Summary;
use domain::time;
use serde::Serialize;
use std::collections::HashMap;

pub async fn summary(
    State(state): State<AppState>,
    Reader(viewer): Reader,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Summary>, ApiError> {
    let query = Params(&params).summary_query()?;
    Ok(Json(state.service.summary(&viewer, &query, time::now_ms()).await?))
}

#[derive(Serialize)]
pub struct ConversationList {
    pub conversations: Vec<ConversationSummary>,
}

/// With `chatId`: that conversation's turns and stages. Without: the latest
/// `limit` conversations (default 50) with their totals, narrowed by
/// `search` (part of the chat id), `persona`, `model` and `status`.
pub async fn conversations(
    State(state): State<AppState>,
    Reader(viewer): Reader,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let p = Params(&params);
    if let Some(chat) = p.text("chatId") {
        return match state.service.conversation(&viewer, &chat).await? {
            Some(detail) => Ok(Json(detail).into_response()),
            None => Err(ApiError::NoSuchConversation(chat)),
        };
    }
    let status = match p.text("status") {
        None => None,
        Some(s) => Some(ConversationStatus::parse(&s).ok_or(ApiError::BadParam {
            field: "status",
            message: format!("`{s}` must be error, running or success"),
        })?),
    };
    let query = ConversationQuery {
        limit: p.int("limit", 1, MAX_LIST_SIZE)?.unwrap_or(DEFAULT_LIST_SIZE),
        search: p.text("search"),
        persona: p.text("persona"),
        model: p.text("model"),
        status,
        tenant: p.text("tenant"),
    };
    let conversations = state.service.conversations(&viewer, &query).await?;
    Ok(Json(ConversationList { conversations }).into_response())
}

/// The conversations going on now (an event in the last 5 minutes, or a
/// stage still running), most recent first.
pub async fn live_sessions(
    State(state): State<AppState>,
    Reader(viewer): Reader,
) -> Result<Json<LiveSessions>, ApiError> {
    Ok(Json(state.service.live_sessions(&viewer, time::now_ms()).await?))
}
