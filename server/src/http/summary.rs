//! `GET /api/telemetry/summary` and `GET /api/telemetry/conversations`.

use super::auth::{redact_cost, CanAdmin, CanView};
use super::error::ApiError;
use super::params::Params;
use app::api::summary::load_conversation;
use app::domain::conversation::ConversationSummary;
use app::domain::summary::{Summary, SummaryQuery};
use app::domain::time;
use app::state::AppState;
use app::summary::summarize;
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
    let query = SummaryQuery {
        range: p.text("range"),
        from: p.time("from")?,
        to: p.time("to")?,
        model: p.text("model"),
        persona: p.text("persona"),
        stage: p.text("stage"),
        chat_id: p.text("chatId"),
    };
    Ok(Json(summarize(&state.store, &query, time::now_ms()).await?))
}

#[derive(Serialize)]
pub struct ConversationList {
    pub conversations: Vec<ConversationSummary>,
}

/// With `chatId`: that conversation's turns and stages. Without: the latest
/// `limit` conversations (default 50) with their totals.
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
        let limit = p.int("limit", 1, 500)?.unwrap_or(50);
        let conversations = state.store.latest_conversations(limit).await?;
        serde_json::to_value(ConversationList { conversations }).unwrap_or_default()
    };
    if !reader.sees_cost() {
        redact_cost(&mut body);
    }
    Ok(Json(body))
}
