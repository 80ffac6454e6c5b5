//! `GET /api/telemetry/summary`, `GET /api/telemetry/conversations` and
//! `GET /api/telemetry/sessions/live`.

use super::access::Reader;
use super::error::{ApiError, ErrorBody, Refusals};
use super::params::{Params, WindowParams};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::Json;
use domain::conversation::{
    ConversationDetail, ConversationQuery, ConversationStatus, ConversationSummary, DEFAULT_LIST_SIZE, MAX_LIST_SIZE,
};
use domain::sessions::LiveSessions;
use domain::summary::Summary;
use domain::time;
use serde::Serialize;
use std::collections::HashMap;

#[utoipa::path(get, path = "/api/telemetry/summary", tag = "costs",
    description = "What a window cost and how it went: totals, spend by model, persona, stage, tenant and tool, latency percentiles, the trend and the change against the window before.",
    params(WindowParams),
    responses((status = 200, body = Summary), Refusals,
        (status = 503, description = "The store is unavailable (or ingest is busy or off); nothing was stored; retry after `Retry-After`", body = ErrorBody),),
    security(("session" = []), ("api_key" = []), ("bearer" = [])))]
pub async fn summary(
    State(state): State<AppState>,
    Reader(viewer): Reader,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Summary>, ApiError> {
    let query = Params(&params).summary_query()?;
    Ok(Json(state.service.summary(&viewer, &query, time::now_ms()).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ConversationList {
    pub conversations: Vec<ConversationSummary>,
}

/// A list of conversations, or (with `chatId`) one in full.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ConversationsAnswer {
    One(ConversationDetail),
    List(ConversationList),
}

/// With `chatId`: that conversation's turns and stages. Without: the latest
/// `limit` conversations (default 50) with their totals, narrowed by
/// `search` (part of the chat id), `persona`, `model` and `status`.
#[utoipa::path(get, path = "/api/telemetry/conversations", tag = "telemetry",
    params(
        ("chatId" = Option<String>, Query, description = "One conversation, in full (its first 5,000 events)"),
        ("limit" = Option<i64>, Query, description = "1 to 200 (default 50)"),
        ("search" = Option<String>, Query, description = "Part of the chat id"),
        ("persona" = Option<String>, Query),
        ("model" = Option<String>, Query),
        ("status" = Option<String>, Query, description = "`error`, `running` or `success`"),
        ("tenant" = Option<String>, Query),
        ("pipeline" = Option<String>, Query, description = "One pipeline"),
    ),
    responses((status = 200, body = ConversationsAnswer), (status = 404, description = "No such thing", body = ErrorBody), Refusals,
        (status = 503, description = "The store is unavailable (or ingest is busy or off); nothing was stored; retry after `Retry-After`", body = ErrorBody),),
    security(("session" = []), ("api_key" = []), ("bearer" = [])))]
pub async fn conversations(
    State(state): State<AppState>,
    Reader(viewer): Reader,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<ConversationsAnswer>, ApiError> {
    let p = Params(&params);
    if let Some(chat) = p.text("chatId") {
        return match state.service.conversation(&viewer, &chat).await? {
            Some(detail) => Ok(Json(ConversationsAnswer::One(detail))),
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
        pipeline: p.text("pipeline"),
    };
    let conversations = state.service.conversations(&viewer, &query).await?;
    Ok(Json(ConversationsAnswer::List(ConversationList { conversations })))
}

/// The conversations going on now (an event in the last 5 minutes, or a
/// stage still running), most recent first.
#[utoipa::path(get, path = "/api/telemetry/sessions/live", tag = "telemetry",
    responses((status = 200, body = LiveSessions), Refusals,
        (status = 503, description = "The store is unavailable (or ingest is busy or off); nothing was stored; retry after `Retry-After`", body = ErrorBody),),
    security(("session" = []), ("api_key" = []), ("bearer" = [])))]
pub async fn live_sessions(
    State(state): State<AppState>,
    Reader(viewer): Reader,
) -> Result<Json<LiveSessions>, ApiError> {
    Ok(Json(state.service.live_sessions(&viewer, time::now_ms()).await?))
}
