//! `GET /api/telemetry/history` (paged JSON, newest first) and
//! `GET /api/telemetry/stream` (SSE with gap-free resume).

use super::auth::{redact_cost, CanView, Reader};
use super::error::ApiError;
use super::params::Params;
use domain::{time, Event};
use app::state::AppState;
use pipeline::store::HistoryQuery;
use pipeline::stream::{self, Resume, StreamItem};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::{Stream, StreamExt};
use serde::Serialize;
use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;
use tokio_stream::wrappers::ReceiverStream;

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;
/// Comment lines that keep idle proxies from closing the stream.
pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// How long the browser waits before reconnecting a dropped stream.
const RETRY: Duration = Duration::from_secs(3);

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    pub events: Vec<Event>,
    /// Pass as `before` for the next (older) page; null on the last page.
    pub next_before: Option<i64>,
}

pub async fn history(
    State(state): State<AppState>,
    CanView(reader): CanView,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = Params(&params);
    let limit = p.int("limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT);
    let before = p.id("before")?;
    let chat_id = p.text("chatId");
    let events = state.store.history(&HistoryQuery { limit, before, chat_id }).await?;
    let next_before = (events.len() as i64 == limit).then(|| events.last().map(|e| e.id)).flatten();
    let mut page = serde_json::to_value(HistoryPage { events, next_before }).unwrap_or_default();
    if !reader.sees_cost() {
        redact_cost(&mut page);
    }
    Ok(Json(page))
}

/// Where the stream starts: `Last-Event-ID` (the browser's reconnect) wins
/// over `?after=` (a page that already rendered events up to that id).
pub fn resume_point(headers: &HeaderMap, params: &HashMap<String, String>) -> Result<Resume, ApiError> {
    if let Some(v) = headers.get("last-event-id") {
        let id = v.to_str().ok().and_then(|s| s.trim().parse::<i64>().ok());
        return id
            .map(Resume::After)
            .ok_or(ApiError::BadParam { field: "Last-Event-ID", message: "must be an event id".into() });
    }
    match params.get("after") {
        None => Ok(Resume::Fresh),
        Some(v) => v
            .parse::<i64>()
            .map(Resume::After)
            .map_err(|_| ApiError::BadParam { field: "after", message: format!("`{v}` must be an event id") }),
    }
}

pub async fn stream(
    State(state): State<AppState>,
    CanView(reader): CanView,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let resume = resume_point(&headers, &params)?;
    // Admins' dashboards also get alert toasts.
    let admin = matches!(&reader, Reader::Person(me) if me.is_admin());
    let items = stream::open(state.store.clone(), state.bus.clone(), resume, time::now_ms(), admin).await?;
    let mut response = Sse::new(sse_events(ReceiverStream::new(items), reader.sees_cost()))
        .keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat"))
        .into_response();
    // Tell nginx-style proxies not to buffer the stream.
    response.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

fn sse_events(
    items: impl Stream<Item = StreamItem>,
    with_cost: bool,
) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    items.map(move |item| {
        Ok(match item {
            StreamItem::Connected { last_event_id, server_time } => {
                SseEvent::default().event("connected").retry(RETRY).data(
                    serde_json::json!({ "lastEventId": last_event_id, "serverTime": time::to_rfc3339(server_time) })
                        .to_string(),
                )
            }
            StreamItem::Event(e) => {
                let mut json = serde_json::to_value(&e).unwrap_or_default();
                if !with_cost {
                    redact_cost(&mut json);
                }
                SseEvent::default().id(e.id.to_string()).data(json.to_string())
            }
            StreamItem::Alert(notice) => {
                SseEvent::default().event("alert").data(serde_json::to_string(&*notice).unwrap_or_default())
            }
        })
    })
}
