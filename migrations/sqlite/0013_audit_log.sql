-- The audit log: who changed users, keys, prices, budgets, alert rules,
-- retention or the telemetry switch, and when (see
-- pipeline/src/service/audit.rs). Append-only: rows are never updated,
-- and retention does not remove them. `actor_id` is the admin's user id
-- (none for the command line); `actor` is their email as it was then.

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms    INTEGER NOT NULL,
    actor_id INTEGER,
    actor    TEXT   NOT NULL,
    action   TEXT   NOT NULL,
    target   TEXT   NOT NULL,
    detail   TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at_ms);
