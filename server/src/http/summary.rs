//! `GET /api/telemetry/summary` and `GET /api/telemetry/conversations`.

use super::auth::{redact_cost, CanAdmin, CanView};
use super::error::ApiError;
use super::params::Params;
use app::api::conversations::load_conversation;
use domain::conversation::{
    ConversationQuery, ConversationStatus, ConversationSummary, DEFAULT_LIST_SIZE, MAX_LIST_SIZE,
};
use domain::summary::Summary;
use domain::time;
use app::state::AppState;
use pipeline::summary::summarize;
use axum::extract::{Query, State};
use axum::Json;
use serde::Serialize;
use std::collections::HashMap;

pub async fn summary(
    State(state): State<AppState>,
    _admin: CanAdmin,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Summary>, ApiError> {
    let p = Params(&params);
    let query = p.summary_query()?;
    Ok(Json(summarize(&state.store, &query, time::now_ms()).await?))
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
    CanView(reader): CanView,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = Params(&params);
    let mut body = if let Some(chat) = p.text("chatId") {
        match load_conversation(&state.store, &chat).await? {
            Some(detail) => serde_json::to_value(detail).unwrap_or_default(),
            None => return Err(ApiError::NoSuchConversation(chat)),
        }
    } else {
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
        };
        let conversations = state.store.find_conversations(&query).await?;
        serde_json::to_value(ConversationList { conversations }).unwrap_or_default()
    };
    if !reader.sees_cost() {
        redact_cost(&mut body);
    }
    Ok(Json(body))
}
