-- Export jobs: an export too big to stream while the user waits is written
-- to a file in the background (see pipeline/src/service/exports.rs). The
-- runner reports after every page (heartbeat_at); a job whose runner went
-- quiet is failed. `tenant` is the scope it was started under: a tenant's
-- key sees its own tenant's jobs only.

CREATE TABLE export_jobs (
    id           TEXT   PRIMARY KEY,
    format       TEXT   NOT NULL CHECK (format IN ('csv', 'json')),
    query        TEXT   NOT NULL,
    tenant       TEXT,
    status       TEXT   NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    total        BIGINT NOT NULL DEFAULT 0,
    written      BIGINT NOT NULL DEFAULT 0,
    file         TEXT,
    bytes        BIGINT,
    error        TEXT,
    created_at   BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX export_jobs_created ON export_jobs (created_at);
