//! Exports (admins, read keys). `GET /api/telemetry/export?format=csv|json&range=…`
//! streams the events behind a cost view page by page, so a million rows
//! never sit in memory; `X-Total-Count` says how many rows are coming. An
//! export of more than [`SYNC_MAX_EVENTS`] events, or any with `async=1`,
//! becomes a job instead (202, the job, and `Location`):
//!
//! - `POST /api/exports?format=&range=…` starts a job; `GET /api/exports` lists them;
//! - `GET /api/exports/{id}` polls one; `DELETE /api/exports/{id}` cancels it;
//! - `GET /api/exports/{id}/file` downloads a done one.

use super::access::Reader;
use super::error::{ApiError, ErrorBody, Refusals};
use super::params::{Params, WindowParams};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::exports::{ExportFormat, ExportJob, SYNC_MAX_EVENTS};
use domain::time;
use futures::StreamExt;
use pipeline::service::export_file;
use pipeline::service::Viewer;
use serde::Serialize;
use std::collections::HashMap;

const PAGE: i64 = 2_000;

fn format_of(p: &Params) -> Result<ExportFormat, ApiError> {
    match p.text("format") {
        None => Ok(ExportFormat::Csv),
        Some(f) => ExportFormat::parse(&f)
            .ok_or(ApiError::BadParam { field: "format", message: format!("`{f}` must be csv or json") }),
    }
}

/// 202 with the job, and where to poll it.
fn accepted(job: ExportJob) -> Response {
    let location = format!("/api/exports/{}", job.id);
    (StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(job)).into_response()
}

#[utoipa::path(get, path = "/api/telemetry/export", tag = "costs",
    description = "The events behind a cost view, streamed as CSV or JSON (`X-Total-Count` says how many). Over 100,000 events, or with `async=1`, it becomes a background job instead (202).",
    params(
        WindowParams,
        ("format" = Option<String>, Query, description = "`csv` (default) or `json`"),
        ("async" = Option<String>, Query, description = "`1` or `true`: always as a job"),
    ),
    responses(
        (status = 200, description = "The file", content((String = "text/csv"), (serde_json::Value = "application/json"))),
        (status = 202, description = "Started as a job; poll `Location`", body = ExportJob),
        Refusals,
        (status = 503, description = "The store is unavailable; retry after `Retry-After`", body = ErrorBody),
    ),
    security(("session" = []), ("api_key" = []), ("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    Reader(viewer): Reader,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let p = Params(&params);
    let format = format_of(&p)?;
    let query = p.summary_query()?;
    let wants_job = matches!(p.text("async").as_deref(), Some("1" | "true"));
    let export = state.service.export(&viewer, &query, time::now_ms()).await?;
    if wants_job || export.total > SYNC_MAX_EVENTS {
        return Ok(accepted(state.service.start_export(&viewer, &query, format, time::now_ms()).await?));
    }
    let (from, to, total) = (export.from, export.to, export.total);
    let mut first = true;
    let pages = export.pages(PAGE).map(move |page| match page {
        Ok(events) => Ok(export_file::render(&events, format, std::mem::take(&mut first))),
        Err(e) => {
            tracing::error!(error = %e, "Export stopped by a store error.");
            Err(std::io::Error::other("the store failed during the export"))
        }
    });
    let (open, close) = export_file::frame(format);
    let body = futures::stream::once(async move { Ok(open.as_bytes().to_vec()) })
        .chain(pages)
        .chain(futures::stream::once(async move { Ok(close.as_bytes().to_vec()) }));
    let name = export_file::file_name(from, to, format);
    Ok((
        [
            (header::CONTENT_TYPE, export_file::content_type(format).to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::HeaderName::from_static("x-total-count"), total.to_string()),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct JobList {
    pub jobs: Vec<ExportJob>,
}

/// The latest jobs, newest first.
#[utoipa::path(get, path = "/api/exports", tag = "costs",
    responses((status = 200, body = JobList), Refusals,
        (status = 503, description = "The store is unavailable; retry after `Retry-After`", body = ErrorBody),),
    security(("session" = []), ("api_key" = []), ("bearer" = [])))]
pub async fn list_jobs(State(state): State<AppState>, Reader(viewer): Reader) -> Result<Json<JobList>, ApiError> {
    Ok(Json(JobList { jobs: state.service.export_jobs(&viewer).await? }))
}

/// Starts a background export of a window.
#[utoipa::path(post, path = "/api/exports", tag = "costs",
    params(WindowParams, ("format" = Option<String>, Query, description = "`csv` (default) or `json`")),
    responses((status = 202, description = "Started; poll `Location`", body = ExportJob), Refusals,
        (status = 503, description = "The store is unavailable; retry after `Retry-After`", body = ErrorBody),),
    security(("session" = []), ("api_key" = []), ("bearer" = [])))]
pub async fn start_job(
    State(state): State<AppState>,
    Reader(viewer): Reader,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let p = Params(&params);
    let format = format_of(&p)?;
    let job = state.service.start_export(&viewer, &p.summary_query()?, format, time::now_ms()).await?;
    Ok(accepted(job))
}

#[utoipa::path(get, path = "/api/exports/{id}", tag = "costs",
    params(("id" = String, Path)),
    responses((status = 200, body = ExportJob), (status = 404, description = "No such job (or not this caller's)", body = ErrorBody), Refusals,
        (status = 503, description = "The store is unavailable; retry after `Retry-After`", body = ErrorBody),),
    security(("session" = []), ("api_key" = []), ("bearer" = [])))]
pub async fn poll_job(
    State(state): State<AppState>,
    Reader(viewer): Reader,
    Path(id): Path<String>,
) -> Result<Json<ExportJob>, ApiError> {
    Ok(Json(state.service.export_job(&viewer, &id).await?))
}

/// Cancels a queued or running job (its partial file goes).
#[utoipa::path(delete, path = "/api/exports/{id}", tag = "costs",
    params(("id" = String, Path)),
    responses((status = 200, description = "The job, cancelled", body = ExportJob), (status = 404, description = "No such job (or not this caller's)", body = ErrorBody), (status = 409, description = "Not in a state that allows it", body = ErrorBody), Refusals,
        (status = 503, description = "The store is unavailable; retry after `Retry-After`", body = ErrorBody),),
    security(("session" = []), ("api_key" = []), ("bearer" = [])))]
pub async fn cancel_job(
    State(state): State<AppState>,
    Reader(viewer): Reader,
    Path(id): Path<String>,
) -> Result<Json<ExportJob>, ApiError> {
    Ok(Json(state.service.cancel_export(&viewer, &id, time::now_ms()).await?))
}

/// A done job's file.
#[utoipa::path(get, path = "/api/exports/{id}/file", tag = "costs",
    params(("id" = String, Path)),
    responses((status = 200, description = "The file", content((String = "text/csv"), (serde_json::Value = "application/json"))), (status = 404, description = "No such job (or not this caller's)", body = ErrorBody), (status = 409, description = "Not in a state that allows it", body = ErrorBody), Refusals,
        (status = 503, description = "The store is unavailable; retry after `Retry-After`", body = ErrorBody),),
    security(("session" = []), ("api_key" = []), ("bearer" = [])))]
pub async fn file(
    State(state): State<AppState>,
    Reader(viewer): Reader,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let f = file_of(&state, &viewer, &id).await?;
    let opened = tokio::fs::File::open(&f.path).await.map_err(|e| {
        tracing::error!(job = %id, error = %e, "An export file could not be opened.");
        ApiError::Unavailable("the export file could not be read")
    })?;
    // 64 KiB at a time: a big export never sits in memory.
    let chunks = tokio_util::io::ReaderStream::with_capacity(opened, 64 * 1024);
    let body = Body::from_stream(chunks);
    Ok((
        [
            (header::CONTENT_TYPE, export_file::content_type(f.format).to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", f.name)),
        ],
        body,
    )
        .into_response())
}

async fn file_of(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<pipeline::service::exports::ExportFile, ApiError> {
    Ok(state.service.export_file(viewer, id).await?)
}
