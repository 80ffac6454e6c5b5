-- Export jobs: an export too big to stream while the user waits is written
-- to a file in the background (see pipeline/src/service/exports.rs). The
-- runner reports after every page (heartbeat_at); a job whose runner went
-- quiet is failed. `tenant` is the scope it was started under: a tenant's
-- key sees its own tenant's jobs only.

CREATE TABLE export_jobs (
    id           TEXT    PRIMARY KEY,
    format       TEXT    NOT NULL CHECK (format IN ('csv', 'json')),
    query        TEXT    NOT NULL,
    tenant       TEXT,
    status       TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    total        INTEGER NOT NULL DEFAULT 0,
    written      INTEGER NOT NULL DEFAULT 0,
    file         TEXT,
    bytes        INTEGER,
    error        TEXT,
    created_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    finished_at  INTEGER
);
CREATE INDEX export_jobs_created ON export_jobs (created_at);
