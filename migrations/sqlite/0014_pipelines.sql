-- Pipelines: which agent pipeline (service) sent an event, when one
-- Flowmeter watches several. Events and conversations carry it (the flow
-- canvas and the replay list filter by it, each through its own index),
-- and it is an eighth rollup dimension ('' when absent), so costs,
-- summaries and budgets can be per pipeline. SQLite cannot change a
-- primary key, so the rollup tables are rebuilt.

ALTER TABLE events ADD COLUMN pipeline TEXT;
CREATE INDEX events_pipeline_id ON events (pipeline, id) WHERE pipeline IS NOT NULL;
ALTER TABLE conversations ADD COLUMN pipeline TEXT;
CREATE INDEX conversations_pipeline_last_ts ON conversations (pipeline, last_ts) WHERE pipeline IS NOT NULL;

CREATE TABLE rollup_minute_new (
    bucket               INTEGER NOT NULL,
    model                TEXT    NOT NULL,
    stage                TEXT    NOT NULL,
    persona              TEXT    NOT NULL,
    status               TEXT    NOT NULL,
    tenant               TEXT    NOT NULL DEFAULT '',
    tool                 TEXT    NOT NULL DEFAULT '',
    pipeline             TEXT    NOT NULL DEFAULT '',
    events               INTEGER NOT NULL DEFAULT 0,
    errors               INTEGER NOT NULL DEFAULT 0,
    input_tokens         INTEGER NOT NULL DEFAULT 0,
    output_tokens        INTEGER NOT NULL DEFAULT 0,
    cached_input_tokens  INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens   INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens     INTEGER NOT NULL DEFAULT 0,
    cost_nanos           INTEGER NOT NULL DEFAULT 0,
    unpriced_events      INTEGER NOT NULL DEFAULT 0,
    unpriced_tokens      INTEGER NOT NULL DEFAULT 0,
    duration_count       INTEGER NOT NULL DEFAULT 0,
    duration_sum_ms      INTEGER NOT NULL DEFAULT 0,
    turns_started        INTEGER NOT NULL DEFAULT 0,
    chats_started        INTEGER NOT NULL DEFAULT 0,
    h00                  INTEGER NOT NULL DEFAULT 0,
    h01                  INTEGER NOT NULL DEFAULT 0,
    h02                  INTEGER NOT NULL DEFAULT 0,
    h03                  INTEGER NOT NULL DEFAULT 0,
    h04                  INTEGER NOT NULL DEFAULT 0,
    h05                  INTEGER NOT NULL DEFAULT 0,
    h06                  INTEGER NOT NULL DEFAULT 0,
    h07                  INTEGER NOT NULL DEFAULT 0,
    h08                  INTEGER NOT NULL DEFAULT 0,
    h09                  INTEGER NOT NULL DEFAULT 0,
    h10                  INTEGER NOT NULL DEFAULT 0,
    h11                  INTEGER NOT NULL DEFAULT 0,
    h12                  INTEGER NOT NULL DEFAULT 0,
    h13                  INTEGER NOT NULL DEFAULT 0,
    h14                  INTEGER NOT NULL DEFAULT 0,
    h15                  INTEGER NOT NULL DEFAULT 0,
    h16                  INTEGER NOT NULL DEFAULT 0,
    h17                  INTEGER NOT NULL DEFAULT 0,
    h18                  INTEGER NOT NULL DEFAULT 0,
    h19                  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, model, stage, persona, status, tenant, tool, pipeline)
) WITHOUT ROWID;
INSERT INTO rollup_minute_new (bucket, model, stage, persona, status, tenant, tool, events, errors, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, cost_nanos, unpriced_events, unpriced_tokens, duration_count, duration_sum_ms, turns_started, chats_started, h00, h01, h02, h03, h04, h05, h06, h07, h08, h09, h10, h11, h12, h13, h14, h15, h16, h17, h18, h19)
    SELECT bucket, model, stage, persona, status, tenant, tool, events, errors, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, cost_nanos, unpriced_events, unpriced_tokens, duration_count, duration_sum_ms, turns_started, chats_started, h00, h01, h02, h03, h04, h05, h06, h07, h08, h09, h10, h11, h12, h13, h14, h15, h16, h17, h18, h19 FROM rollup_minute;
DROP TABLE rollup_minute;
ALTER TABLE rollup_minute_new RENAME TO rollup_minute;

CREATE TABLE rollup_hour_new (
    bucket               INTEGER NOT NULL,
    model                TEXT    NOT NULL,
    stage                TEXT    NOT NULL,
    persona              TEXT    NOT NULL,
    status               TEXT    NOT NULL,
    tenant               TEXT    NOT NULL DEFAULT '',
    tool                 TEXT    NOT NULL DEFAULT '',
    pipeline             TEXT    NOT NULL DEFAULT '',
    events               INTEGER NOT NULL DEFAULT 0,
    errors               INTEGER NOT NULL DEFAULT 0,
    input_tokens         INTEGER NOT NULL DEFAULT 0,
    output_tokens        INTEGER NOT NULL DEFAULT 0,
    cached_input_tokens  INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens   INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens     INTEGER NOT NULL DEFAULT 0,
    cost_nanos           INTEGER NOT NULL DEFAULT 0,
    unpriced_events      INTEGER NOT NULL DEFAULT 0,
    unpriced_tokens      INTEGER NOT NULL DEFAULT 0,
    duration_count       INTEGER NOT NULL DEFAULT 0,
    duration_sum_ms      INTEGER NOT NULL DEFAULT 0,
    turns_started        INTEGER NOT NULL DEFAULT 0,
    chats_started        INTEGER NOT NULL DEFAULT 0,
    h00                  INTEGER NOT NULL DEFAULT 0,
    h01                  INTEGER NOT NULL DEFAULT 0,
    h02                  INTEGER NOT NULL DEFAULT 0,
    h03                  INTEGER NOT NULL DEFAULT 0,
    h04                  INTEGER NOT NULL DEFAULT 0,
    h05                  INTEGER NOT NULL DEFAULT 0,
    h06                  INTEGER NOT NULL DEFAULT 0,
    h07                  INTEGER NOT NULL DEFAULT 0,
    h08                  INTEGER NOT NULL DEFAULT 0,
    h09                  INTEGER NOT NULL DEFAULT 0,
    h10                  INTEGER NOT NULL DEFAULT 0,
    h11                  INTEGER NOT NULL DEFAULT 0,
    h12                  INTEGER NOT NULL DEFAULT 0,
    h13                  INTEGER NOT NULL DEFAULT 0,
    h14                  INTEGER NOT NULL DEFAULT 0,
    h15                  INTEGER NOT NULL DEFAULT 0,
    h16                  INTEGER NOT NULL DEFAULT 0,
    h17                  INTEGER NOT NULL DEFAULT 0,
    h18                  INTEGER NOT NULL DEFAULT 0,
    h19                  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, model, stage, persona, status, tenant, tool, pipeline)
) WITHOUT ROWID;
INSERT INTO rollup_hour_new (bucket, model, stage, persona, status, tenant, tool, events, errors, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, cost_nanos, unpriced_events, unpriced_tokens, duration_count, duration_sum_ms, turns_started, chats_started, h00, h01, h02, h03, h04, h05, h06, h07, h08, h09, h10, h11, h12, h13, h14, h15, h16, h17, h18, h19)
    SELECT bucket, model, stage, persona, status, tenant, tool, events, errors, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, cost_nanos, unpriced_events, unpriced_tokens, duration_count, duration_sum_ms, turns_started, chats_started, h00, h01, h02, h03, h04, h05, h06, h07, h08, h09, h10, h11, h12, h13, h14, h15, h16, h17, h18, h19 FROM rollup_hour;
DROP TABLE rollup_hour;
ALTER TABLE rollup_hour_new RENAME TO rollup_hour;

CREATE TABLE rollup_day_new (
    bucket               INTEGER NOT NULL,
    model                TEXT    NOT NULL,
    stage                TEXT    NOT NULL,
    persona              TEXT    NOT NULL,
    status               TEXT    NOT NULL,
    tenant               TEXT    NOT NULL DEFAULT '',
    tool                 TEXT    NOT NULL DEFAULT '',
    pipeline             TEXT    NOT NULL DEFAULT '',
    events               INTEGER NOT NULL DEFAULT 0,
    errors               INTEGER NOT NULL DEFAULT 0,
    input_tokens         INTEGER NOT NULL DEFAULT 0,
    output_tokens        INTEGER NOT NULL DEFAULT 0,
    cached_input_tokens  INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens   INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens     INTEGER NOT NULL DEFAULT 0,
    cost_nanos           INTEGER NOT NULL DEFAULT 0,
    unpriced_events      INTEGER NOT NULL DEFAULT 0,
    unpriced_tokens      INTEGER NOT NULL DEFAULT 0,
    duration_count       INTEGER NOT NULL DEFAULT 0,
    duration_sum_ms      INTEGER NOT NULL DEFAULT 0,
    turns_started        INTEGER NOT NULL DEFAULT 0,
    chats_started        INTEGER NOT NULL DEFAULT 0,
    h00                  INTEGER NOT NULL DEFAULT 0,
    h01                  INTEGER NOT NULL DEFAULT 0,
    h02                  INTEGER NOT NULL DEFAULT 0,
    h03                  INTEGER NOT NULL DEFAULT 0,
    h04                  INTEGER NOT NULL DEFAULT 0,
    h05                  INTEGER NOT NULL DEFAULT 0,
    h06                  INTEGER NOT NULL DEFAULT 0,
    h07                  INTEGER NOT NULL DEFAULT 0,
    h08                  INTEGER NOT NULL DEFAULT 0,
    h09                  INTEGER NOT NULL DEFAULT 0,
    h10                  INTEGER NOT NULL DEFAULT 0,
    h11                  INTEGER NOT NULL DEFAULT 0,
    h12                  INTEGER NOT NULL DEFAULT 0,
    h13                  INTEGER NOT NULL DEFAULT 0,
    h14                  INTEGER NOT NULL DEFAULT 0,
    h15                  INTEGER NOT NULL DEFAULT 0,
    h16                  INTEGER NOT NULL DEFAULT 0,
    h17                  INTEGER NOT NULL DEFAULT 0,
    h18                  INTEGER NOT NULL DEFAULT 0,
    h19                  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, model, stage, persona, status, tenant, tool, pipeline)
) WITHOUT ROWID;
INSERT INTO rollup_day_new (bucket, model, stage, persona, status, tenant, tool, events, errors, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, cost_nanos, unpriced_events, unpriced_tokens, duration_count, duration_sum_ms, turns_started, chats_started, h00, h01, h02, h03, h04, h05, h06, h07, h08, h09, h10, h11, h12, h13, h14, h15, h16, h17, h18, h19)
    SELECT bucket, model, stage, persona, status, tenant, tool, events, errors, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, cost_nanos, unpriced_events, unpriced_tokens, duration_count, duration_sum_ms, turns_started, chats_started, h00, h01, h02, h03, h04, h05, h06, h07, h08, h09, h10, h11, h12, h13, h14, h15, h16, h17, h18, h19 FROM rollup_day;
DROP TABLE rollup_day;
ALTER TABLE rollup_day_new RENAME TO rollup_day;

-- Budgets can be per pipeline: the budgets table is rebuilt with
-- `pipeline` among the scopes (SQLite cannot change a CHECK).
CREATE TABLE budgets_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL,
    scope        TEXT    NOT NULL CHECK (scope IN ('global', 'model', 'persona', 'tenant', 'pipeline')),
    scope_value  TEXT    NOT NULL DEFAULT '',
    period       TEXT    NOT NULL CHECK (period IN ('daily', 'monthly')),
    limit_nanos  INTEGER NOT NULL,
    warn_pct     INTEGER NOT NULL DEFAULT 80,
    critical_pct INTEGER NOT NULL DEFAULT 100,
    created_at   INTEGER NOT NULL,
    notify       TEXT
);
INSERT INTO budgets_new (id, name, scope, scope_value, period, limit_nanos, warn_pct, critical_pct, created_at, notify)
    SELECT id, name, scope, scope_value, period, limit_nanos, warn_pct, critical_pct, created_at, notify FROM budgets;
DROP TABLE budgets;
ALTER TABLE budgets_new RENAME TO budgets;
