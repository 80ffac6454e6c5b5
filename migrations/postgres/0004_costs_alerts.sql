-- Per-turn totals (the cost monitor's recent operations), budgets, alert
-- rules and the alerts they raised.

ALTER TABLE turns ADD COLUMN last_ts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN last_event_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN events BIGINT NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN errors BIGINT NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN output_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN cost_nanos BIGINT NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN unpriced_events BIGINT NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN persona TEXT;
ALTER TABLE turns ADD COLUMN model TEXT;
ALTER TABLE turns ADD COLUMN status TEXT;
CREATE INDEX turns_last_event ON turns (last_event_id);
CREATE INDEX turns_first_ts ON turns (first_ts);

-- A spending limit per day or month, for everything or one model/persona.
CREATE TABLE budgets (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT   NOT NULL,
    scope        TEXT   NOT NULL CHECK (scope IN ('global', 'model', 'persona')),
    scope_value  TEXT   NOT NULL DEFAULT '',
    period       TEXT   NOT NULL CHECK (period IN ('daily', 'monthly')),
    limit_nanos  BIGINT NOT NULL,
    warn_pct     BIGINT NOT NULL DEFAULT 80,
    critical_pct BIGINT NOT NULL DEFAULT 100,
    webhook_url  TEXT,
    created_at   BIGINT NOT NULL
);

-- Rules the alert task evaluates (budgets are evaluated as rules too).
-- params: JSON, by kind (see RuleParams in pipeline/src/store/alerts.rs).
CREATE TABLE alert_rules (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT   NOT NULL,
    kind        TEXT   NOT NULL CHECK (kind IN ('error_rate', 'p95_latency', 'ingest_failures')),
    params      TEXT   NOT NULL,
    webhook_url TEXT,
    enabled     BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL
);

-- One row per crossing: fired once, resolved once.
CREATE TABLE alerts (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source           TEXT   NOT NULL,
    source_id        BIGINT NOT NULL,
    level            TEXT   NOT NULL,
    name             TEXT   NOT NULL,
    message          TEXT   NOT NULL,
    value            DOUBLE PRECISION NOT NULL,
    threshold        DOUBLE PRECISION NOT NULL,
    fired_at         BIGINT NOT NULL,
    resolved_at      BIGINT,
    webhook_status   TEXT   NOT NULL DEFAULT 'none',
    webhook_attempts BIGINT NOT NULL DEFAULT 0,
    webhook_error    TEXT
);
CREATE INDEX alerts_open ON alerts (source, source_id, level, resolved_at);
