//! `GET /api/telemetry/history` (paged JSON, newest first) and
//! `GET /api/telemetry/stream` (SSE with gap-free resume, gzipped for
//! clients that accept it: [`encoding`]).

use super::access::Reader;
use super::encoding;
use super::error::{ApiError, ErrorBody, Refusals};
use super::params::Params;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::time;
use futures::{Stream, StreamExt};
use pipeline::auth::session;
use pipeline::service::events::HistoryPage;
use pipeline::store::hash_key;
use pipeline::store::HistoryQuery;
use pipeline::stream::{Resume, StreamItem};
use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;
/// Comment lines that keep idle proxies from closing the stream.
pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// How long the browser waits before reconnecting a dropped stream.
const RETRY: Duration = Duration::from_secs(3);

#[utoipa::path(get, path = "/api/telemetry/history", tag = "telemetry",
    description = "Stored events, newest first, a page at a time. Viewers get no cost fields.",
    params(
        ("limit" = Option<i64>, Query, description = "1 to 1000 (default 100)"),
        ("before" = Option<i64>, Query, description = "Only events with a smaller id (the previous page's `nextBefore`)"),
        ("chatId" = Option<String>, Query, description = "One conversation"),
        ("tenant" = Option<String>, Query, description = "One tenant"),
        ("pipeline" = Option<String>, Query, description = "One pipeline"),
    ),
    responses((status = 200, body = HistoryPage), Refusals,
        (status = 503, description = "The store is unavailable (or ingest is busy or off); nothing was stored; retry after `Retry-After`", body = ErrorBody),),
    security(("session" = []), ("api_key" = []), ("bearer" = [])))]
pub async fn history(
    State(state): State<AppState>,
    Reader(viewer): Reader,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<HistoryPage>, ApiError> {
    let p = Params(&params);
    let query = HistoryQuery {
        limit: p.int("limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT),
        before: p.id("before")?,
        chat_id: p.text("chatId"),
        tenant: p.text("tenant"),
        pipeline: p.text("pipeline"),
    };
    Ok(Json(state.service.history(&viewer, &query).await?))
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

#[utoipa::path(get, path = "/api/telemetry/stream", tag = "telemetry",
    description = "Server-sent events: `connected` (with `retry: 3000`), then one event per stored event (its id as the SSE id), and `alert` toasts for admins; a heartbeat comment every 15 s. Resumes after `Last-Event-ID`, else after `?after=`, else starts with the latest 50. Gzipped (`Content-Encoding: gzip`) when `Accept-Encoding` allows it, and flushed after every batch of events, so each can be decoded as it arrives.",
    params(
        ("after" = Option<i64>, Query, description = "Resume after this event id"),
        ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event id (wins over `after`)"),
    ),
    responses(
        (status = 200, description = "The stream", content_type = "text/event-stream", body = String),
        Refusals,
        (status = 429, description = "Too many open streams for this session or key, or on this server", body = ErrorBody),
        (status = 503, description = "The store is unavailable (or ingest is busy or off); nothing was stored; retry after `Retry-After`", body = ErrorBody),
    ),
    security(("session" = []), ("api_key" = []), ("bearer" = [])))]
pub async fn stream(
    State(state): State<AppState>,
    Reader(viewer): Reader,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let mut permit = state.streams.admit(&caller(&headers))?;
    let resume = resume_point(&headers, &params)?;
    let items = state.service.stream(viewer, resume, time::now_ms()).await?;
    let gzip = encoding::accepts(&headers, "gzip") && permit.gzip();
    // The stream holds its places until the client goes.
    let items = items.map(move |item| {
        let _held = &permit;
        item
    });
    let mut response =
        Sse::new(sse_events(items)).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat")).into_response();
    // Tell nginx-style proxies not to buffer the stream.
    response.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if gzip {
        response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        response = response.map(encoding::gzip_stream);
    }
    Ok(response)
}

/// Who holds a stream, for its cap: the session (by its token's hash) or
/// the read key (by the key's).
fn caller(headers: &HeaderMap) -> String {
    let cookie = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(session::from_cookie_header);
    match (cookie, super::access::api_key(headers)) {
        (Some(token), _) => session::token_hash(token),
        (None, Some(Some(key))) => hash_key(key),
        (None, _) => String::new(),
    }
}

fn sse_events(items: impl Stream<Item = StreamItem>) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    items.filter_map(|item| async move {
        let encoded = match item {
            StreamItem::Connected { last_event_id, server_time } => {
                SseEvent::default().event("connected").retry(RETRY).json_data(
                    serde_json::json!({ "lastEventId": last_event_id, "serverTime": time::to_rfc3339(server_time) }),
                )
            }
            // Encoded once for every stream of this kind of reader.
            StreamItem::Event(e) => Ok(SseEvent::default().id(e.id.to_string()).data(&*e.json)),
            StreamItem::Alert(notice) => SseEvent::default().event("alert").json_data(&*notice),
        };
        match encoded {
            Ok(event) => Some(Ok(event)),
            Err(e) => {
                tracing::error!(error = %e, "A stream item could not be encoded; skipped.");
                None
            }
        }
    })
}
