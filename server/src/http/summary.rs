//! `GET /api/telemetry/summary` and `GET /api/telemetry/conversations`.

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
    Query(params): Query<HashMap<String, String>>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let p = Params(&params);
    if let Some(chat) = p.text("chatId") {
        return match load_conversation(&state.store, &chat).await? {
            Some(detail) => Ok(Json(detail).into_response()),
            None => Err(ApiError::NoSuchConversation(chat)),
        };
    }
    let limit = p.int("limit", 1, 500)?.unwrap_or(50);
    let conversations = state.store.latest_conversations(limit).await?;
    Ok(Json(ConversationList { conversations }).into_response())
}
