//! Export jobs: an export too large to stream while the user waits (or any,
//! asked with `async=1`) is written to a file by a background runner. The
//! runner reports its progress after every page, stops at the next page
//! once cancelled, and writes to `<id>.<ext>.part`, renamed into place only
//! when complete: a "done" job's file is always whole. A job whose runner
//! stops reporting (its process restarted or died) is marked failed by
//! [`Service::tidy_exports`], which also deletes files after 24 hours.

use super::costs::Export;
use super::error::Context;
use super::export_file;
use super::{Service, ServiceError, Viewer};
use domain::exports::{ExportFormat, ExportJob, JobStatus, KEEP_MS, STALE_MS};
use domain::summary::SummaryQuery;
use futures::StreamExt;
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

/// Most jobs listed.
pub const MAX_JOBS_LISTED: i64 = 50;
/// Events per page the runner reads and writes.
const PAGE: i64 = 2_000;
const UNAVAILABLE: &str = "the store is unavailable";
/// Why a job whose runner went quiet failed.
pub const STOPPED: &str = "the server running this export stopped (a restart or a crash); start it again";

/// A finished job's file, ready to send.
pub struct ExportFile {
    pub path: PathBuf,
    /// The name to save it under.
    pub name: String,
    pub format: ExportFormat,
}

impl Service {
    /// Starts writing the reader's window and filters to a file; answers at
    /// once with the queued job.
    pub async fn start_export(
        &self,
        viewer: &Viewer,
        q: &SummaryQuery,
        format: ExportFormat,
        now_ms: i64,
    ) -> Result<ExportJob, ServiceError> {
        let export = self.export(viewer, q, now_ms).await?;
        // The window as resolved now, so the file holds what was asked for
        // however late the runner gets to it.
        let query = SummaryQuery {
            range: None,
            from: Some(export.from),
            to: Some(export.to),
            tenant: viewer.tenant_scope(q.tenant.clone())?,
            ..q.clone()
        };
        let job = ExportJob {
            id: crate::auth::session::new_token()[..20].to_string(),
            format,
            status: JobStatus::Queued,
            total: export.total,
            written: 0,
            error: None,
            download: None,
            bytes: None,
            query,
            created_at: now_ms,
            finished_at: None,
        };
        self.store.insert_export_job(&job, viewer.tenant(), now_ms).await.or_unavailable(UNAVAILABLE)?;
        tracing::info!(job = %job.id, total = job.total, format = format.as_str(), "Export job started.");
        tokio::spawn(run(self.clone(), job.id.clone(), format, export));
        Ok(job)
    }

    /// The latest jobs the reader may see, newest first.
    pub async fn export_jobs(&self, viewer: &Viewer) -> Result<Vec<ExportJob>, ServiceError> {
        let tenant = viewer.tenant_scope(None)?;
        self.store.export_jobs(tenant.as_deref(), MAX_JOBS_LISTED).await.or_unavailable(UNAVAILABLE)
    }

    /// One job (another tenant's is as absent as a missing one).
    pub async fn export_job(&self, viewer: &Viewer, id: &str) -> Result<ExportJob, ServiceError> {
        let tenant = viewer.tenant_scope(None)?;
        match self.store.export_job(id, tenant.as_deref()).await.or_unavailable(UNAVAILABLE)? {
            Some(s) => Ok(s.job),
            None => Err(ServiceError::NotFound { field: "id", what: "export job" }),
        }
    }

    /// Cancels a queued or running job; its runner stops at its next page
    /// and deletes what it wrote.
    pub async fn cancel_export(&self, viewer: &Viewer, id: &str, now_ms: i64) -> Result<ExportJob, ServiceError> {
        let job = self.export_job(viewer, id).await?;
        if !job.status.is_open() {
            return Err(ServiceError::Conflict(format!("the export is {} already", job.status.as_str())));
        }
        let store = &self.store;
        store
            .finish_export(id, JobStatus::Cancelled, None, Some("cancelled"), now_ms)
            .await
            .or_unavailable(UNAVAILABLE)?;
        tracing::info!(job = %id, "Export job cancelled.");
        self.export_job(viewer, id).await
    }

    /// A done job's file.
    pub async fn export_file(&self, viewer: &Viewer, id: &str) -> Result<ExportFile, ServiceError> {
        let tenant = viewer.tenant_scope(None)?;
        let stored = self.store.export_job(id, tenant.as_deref()).await.or_unavailable(UNAVAILABLE)?;
        let Some(stored) = stored else { return Err(ServiceError::NotFound { field: "id", what: "export job" }) };
        let (JobStatus::Done, Some(file)) = (stored.job.status, stored.file) else {
            return Err(ServiceError::Conflict(format!("the export is {}, not done", stored.job.status.as_str())));
        };
        let path = self.export_dir().join(&file);
        if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Err(ServiceError::Conflict(
                "the file is not on this server: replicas must share EXPORT_DIR (or it was deleted)".into(),
            ));
        }
        let q = &stored.job.query;
        let name = export_file::file_name(q.from.unwrap_or(0), q.to.unwrap_or(0), stored.job.format);
        Ok(ExportFile { path, name, format: stored.job.format })
    }

    /// Fails jobs whose runner stopped reporting, and deletes jobs (and
    /// files) that ended more than a day ago. Returns (failed, expired).
    pub async fn tidy_exports(&self, now_ms: i64) -> Result<(usize, usize), ServiceError> {
        let stale =
            self.store.fail_stale_exports(now_ms - STALE_MS, STOPPED, now_ms).await.or_unavailable(UNAVAILABLE)?;
        for id in &stale {
            for format in [ExportFormat::Csv, ExportFormat::Json] {
                let _ = tokio::fs::remove_file(self.export_dir().join(part_name(id, format))).await;
            }
            tracing::warn!(job = %id, "Export job failed: its runner stopped.");
        }
        let expired = self.store.expire_exports(now_ms - KEEP_MS).await.or_unavailable(UNAVAILABLE)?;
        for file in &expired {
            let _ = tokio::fs::remove_file(self.export_dir().join(file)).await;
        }
        Ok((stale.len(), expired.len()))
    }
}

fn part_name(id: &str, format: ExportFormat) -> String {
    format!("{id}.{}.part", format.as_str())
}

/// How a runner ended.
enum Ended {
    Written(i64),
    /// Cancelled, or the job is gone.
    Stopped,
}

async fn run(service: Service, id: String, format: ExportFormat, export: Export) {
    let dir = service.export_dir().to_path_buf();
    let part = dir.join(part_name(&id, format));
    let name = format!("{id}.{}", format.as_str());
    let result = write(&service, &id, format, export, &part).await;
    let now = domain::time::now_ms();
    let store = service.store();
    match result {
        Ok(Ended::Written(bytes)) => {
            let kept = match tokio::fs::rename(&part, dir.join(&name)).await {
                Ok(()) => store.finish_export(&id, JobStatus::Done, Some((&name, bytes)), None, now).await,
                Err(e) => {
                    tracing::error!(job = %id, error = %e, "Export file could not be put in place.");
                    let _ = tokio::fs::remove_file(&part).await;
                    let error = format!("the file could not be written: {}", e.kind());
                    store.finish_export(&id, JobStatus::Failed, None, Some(&error), now).await.map(|_| false)
                }
            };
            match kept {
                Ok(true) => tracing::info!(job = %id, bytes, "Export job done."),
                // Cancelled at the last moment: the file goes too.
                Ok(false) => drop(tokio::fs::remove_file(dir.join(&name)).await),
                Err(e) => tracing::error!(job = %id, error = %e, "Export job could not be marked done."),
            }
        }
        Ok(Ended::Stopped) => {
            let _ = tokio::fs::remove_file(&part).await;
            tracing::info!(job = %id, "Export job stopped.");
        }
        Err(error) => {
            let _ = tokio::fs::remove_file(&part).await;
            tracing::error!(job = %id, error = %error, "Export job failed.");
            let _ = store.finish_export(&id, JobStatus::Failed, None, Some(&error), now).await;
        }
    }
}

/// Writes the pages to `part`, reporting progress after each; stops when
/// the job is no longer open. Errors are what the user is told.
async fn write(
    service: &Service,
    id: &str,
    format: ExportFormat,
    export: Export,
    part: &std::path::Path,
) -> Result<Ended, String> {
    let io = |e: std::io::Error| format!("the file could not be written: {}", e.kind());
    if let Some(dir) = part.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(io)?;
    }
    let mut file = tokio::fs::File::create(part).await.map_err(io)?;
    let (open, close) = export_file::frame(format);
    file.write_all(open.as_bytes()).await.map_err(io)?;
    let mut bytes = open.len() as i64;
    let (mut written, mut first) = (0i64, true);
    let mut pages = Box::pin(export.pages(PAGE));
    loop {
        let still = service.store().export_progress(id, written, domain::time::now_ms()).await;
        match still {
            Ok(Some(status)) if status.is_open() => {}
            Ok(_) => return Ok(Ended::Stopped),
            Err(e) => return Err(format!("the store failed: {e}")),
        }
        let Some(page) = pages.next().await else { break };
        let events = page.map_err(|e| format!("the store failed during the export: {e}"))?;
        let chunk = export_file::render(&events, format, std::mem::take(&mut first));
        file.write_all(&chunk).await.map_err(io)?;
        bytes += chunk.len() as i64;
        written += events.len() as i64;
    }
    file.write_all(close.as_bytes()).await.map_err(io)?;
    bytes += close.len() as i64;
    file.sync_all().await.map_err(io)?;
    Ok(Ended::Written(bytes))
}
