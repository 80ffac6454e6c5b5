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
use super::error::ApiError;
use super::params::Params;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, Method, StatusCode};
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

#[derive(Serialize)]
pub struct JobList {
    pub jobs: Vec<ExportJob>,
}

/// `POST` starts a job, `GET` lists them.
pub async fn jobs(
    State(state): State<AppState>,
    Reader(viewer): Reader,
    method: Method,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    if method == Method::POST {
        let p = Params(&params);
        let format = format_of(&p)?;
        let job = state.service.start_export(&viewer, &p.summary_query()?, format, time::now_ms()).await?;
        return Ok(accepted(job));
    }
    Ok(Json(JobList { jobs: state.service.export_jobs(&viewer).await? }).into_response())
}

/// `GET` polls a job, `DELETE` cancels it.
pub async fn job(
    State(state): State<AppState>,
    Reader(viewer): Reader,
    method: Method,
    Path(id): Path<String>,
) -> Result<Json<ExportJob>, ApiError> {
    let job = match method {
        Method::DELETE => state.service.cancel_export(&viewer, &id, time::now_ms()).await?,
        _ => state.service.export_job(&viewer, &id).await?,
    };
    Ok(Json(job))
}

/// A done job's file.
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
    let chunks = futures::stream::unfold(Some(opened), |file| async move {
        use tokio::io::AsyncReadExt;
        let mut file = file?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(buf), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
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
