//! Export jobs: one row per job, updated by its runner as it writes (the
//! heartbeat tells a live runner from one whose replica stopped).

use super::{on_pool, on_writer, Store, StoreError};
use domain::exports::{ExportFormat, ExportJob, JobStatus};
use domain::summary::SummaryQuery;
use sqlx::FromRow;

#[derive(FromRow)]
struct JobRow {
    id: String,
    format: String,
    query: String,
    status: String,
    total: i64,
    written: i64,
    file: Option<String>,
    bytes: Option<i64>,
    error: Option<String>,
    created_at: i64,
    finished_at: Option<i64>,
}

const COLUMNS: &str = "id, format, query, status, total, written, file, bytes, error, created_at, finished_at";

/// A job's row as the runner and the download need it.
#[derive(Clone, Debug)]
pub struct StoredJob {
    pub job: ExportJob,
    /// The file's name in the export directory, once done.
    pub file: Option<String>,
}

impl TryFrom<JobRow> for StoredJob {
    type Error = StoreError;
    fn try_from(r: JobRow) -> Result<StoredJob, StoreError> {
        let bad = |what: &str| StoreError::Corrupt(format!("export job {}: {what}", r.id));
        let query: SummaryQuery = serde_json::from_str(&r.query).map_err(|e| bad(&e.to_string()))?;
        let status = JobStatus::parse(&r.status).ok_or_else(|| bad("status"))?;
        let job = ExportJob {
            format: ExportFormat::parse(&r.format).ok_or_else(|| bad("format"))?,
            status,
            total: r.total,
            written: r.written,
            error: r.error,
            download: (status == JobStatus::Done).then(|| format!("/api/exports/{}/file", r.id)),
            bytes: r.bytes,
            query,
            created_at: r.created_at,
            finished_at: r.finished_at,
            id: r.id,
        };
        Ok(StoredJob { job, file: r.file })
    }
}

impl Store {
    pub async fn insert_export_job(
        &self,
        job: &ExportJob,
        tenant: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let query = serde_json::to_string(&job.query).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        on_writer!(self, pool => sqlx::query(
            "INSERT INTO export_jobs (id, format, query, tenant, status, total, written, created_at, heartbeat_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)",
        )
        .bind(&job.id).bind(job.format.as_str()).bind(&query).bind(tenant).bind(job.status.as_str())
        .bind(job.total).bind(now_ms)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }

    /// A job, if it exists and `tenant` (a scoped reader's) may see it.
    pub async fn export_job(&self, id: &str, tenant: Option<&str>) -> Result<Option<StoredJob>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM export_jobs WHERE id = $1 AND ($2 IS NULL OR tenant = $2)");
        let row: Option<JobRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(id).bind(tenant).fetch_optional(pool).await?);
        row.map(StoredJob::try_from).transpose()
    }

    /// The latest jobs, newest first (a scoped reader's own tenant's).
    pub async fn export_jobs(&self, tenant: Option<&str>, limit: i64) -> Result<Vec<ExportJob>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM export_jobs WHERE ($1 IS NULL OR tenant = $1) ORDER BY created_at DESC, id LIMIT $2"
        );
        let rows: Vec<JobRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(tenant).bind(limit).fetch_all(pool).await?);
        rows.into_iter().map(|r| StoredJob::try_from(r).map(|s| s.job)).collect()
    }

    /// Notes the runner's progress; returns the job's status now (a cancel
    /// lands here, so the runner stops at its next page).
    pub async fn export_progress(&self, id: &str, written: i64, now_ms: i64) -> Result<Option<JobStatus>, StoreError> {
        let status: Option<String> = on_writer!(self, pool => sqlx::query_scalar(
            "UPDATE export_jobs SET written = $1, heartbeat_at = $2, \
             status = CASE WHEN status = 'queued' THEN 'running' ELSE status END WHERE id = $3 RETURNING status",
        )
        .bind(written).bind(now_ms).bind(id)
        .fetch_optional(pool)
        .await?);
        Ok(status.as_deref().and_then(JobStatus::parse))
    }

    /// Ends a job (done with its file, failed or cancelled with why) unless
    /// it has ended already; true when this call ended it.
    pub async fn finish_export(
        &self,
        id: &str,
        status: JobStatus,
        file: Option<(&str, i64)>,
        error: Option<&str>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = on_writer!(self, pool => sqlx::query(
            "UPDATE export_jobs SET status = $1, file = $2, bytes = $3, error = $4, finished_at = $5 \
             WHERE id = $6 AND status IN ('queued', 'running')",
        )
        .bind(status.as_str()).bind(file.map(|f| f.0)).bind(file.map(|f| f.1)).bind(error).bind(now_ms).bind(id)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(done == 1)
    }

    /// Marks open jobs whose runner has not reported since `before` as
    /// failed with `reason`; returns their ids (their partial files go).
    pub async fn fail_stale_exports(&self, before: i64, reason: &str, now_ms: i64) -> Result<Vec<String>, StoreError> {
        Ok(on_writer!(self, pool => sqlx::query_scalar(
            "UPDATE export_jobs SET status = 'failed', error = $1, finished_at = $2 \
             WHERE status IN ('queued', 'running') AND heartbeat_at < $3 RETURNING id",
        )
        .bind(reason).bind(now_ms).bind(before)
        .fetch_all(pool)
        .await?))
    }

    /// Deletes jobs that ended before `before`; returns their files.
    pub async fn expire_exports(&self, before: i64) -> Result<Vec<String>, StoreError> {
        let files: Vec<Option<String>> = on_writer!(self, pool => sqlx::query_scalar(
            "DELETE FROM export_jobs WHERE finished_at IS NOT NULL AND finished_at < $1 RETURNING file",
        )
        .bind(before)
        .fetch_all(pool)
        .await?);
        Ok(files.into_iter().flatten().collect())
    }
}
