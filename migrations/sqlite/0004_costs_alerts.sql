-- Per-turn totals (the cost monitor's recent operations), budgets, alert
-- rules and the alerts they raised.

ALTER TABLE turns ADD COLUMN last_ts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN last_event_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN events INTEGER NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN errors INTEGER NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN input_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN output_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN cost_nanos INTEGER NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN unpriced_events INTEGER NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN persona TEXT;
ALTER TABLE turns ADD COLUMN model TEXT;
ALTER TABLE turns ADD COLUMN status TEXT;
CREATE INDEX turns_last_event ON turns (last_event_id);
CREATE INDEX turns_first_ts ON turns (first_ts);

-- A spending limit per day or month, for everything or one model/persona.
CREATE TABLE budgets (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT   NOT NULL,
    scope        TEXT   NOT NULL CHECK (scope IN ('global', 'model', 'persona')),
    scope_value  TEXT   NOT NULL DEFAULT '',
    period       TEXT   NOT NULL CHECK (period IN ('daily', 'monthly')),
    limit_nanos  INTEGER NOT NULL,
    warn_pct     INTEGER NOT NULL DEFAULT 80,
    critical_pct INTEGER NOT NULL DEFAULT 100,
    webhook_url  TEXT,
    created_at   INTEGER NOT NULL
);

-- Rules the alert task evaluates (budgets are evaluated as rules too).
-- params: JSON, by kind (see RuleParams in pipeline/src/store/alerts.rs).
CREATE TABLE alert_rules (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT   NOT NULL,
    kind        TEXT   NOT NULL CHECK (kind IN ('error_rate', 'p95_latency', 'ingest_failures')),
    params      TEXT   NOT NULL,
    webhook_url TEXT,
    enabled     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);

-- One row per crossing: fired once, resolved once.
CREATE TABLE alerts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    source           TEXT   NOT NULL,
    source_id        INTEGER NOT NULL,
    level            TEXT   NOT NULL,
    name             TEXT   NOT NULL,
    message          TEXT   NOT NULL,
    value            REAL NOT NULL,
    threshold        REAL NOT NULL,
    fired_at         INTEGER NOT NULL,
    resolved_at      INTEGER,
    webhook_status   TEXT   NOT NULL DEFAULT 'none',
    webhook_attempts INTEGER NOT NULL DEFAULT 0,
    webhook_error    TEXT
);
CREATE INDEX alerts_open ON alerts (source, source_id, level, resolved_at);
