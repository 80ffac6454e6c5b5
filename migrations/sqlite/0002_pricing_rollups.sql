-- Pricing, rollups and conversations (see app/src/rollup and app/src/price).

-- Cost of each event in nano-dollars (NULL: unpriced) and the pricing entry
-- that priced it; whether it opened its turn / conversation (for counts over
-- the raw edges of a summary window).
ALTER TABLE events ADD COLUMN cost_nanos INTEGER;
ALTER TABLE events ADD COLUMN pricing_id TEXT;
ALTER TABLE events ADD COLUMN first_in_turn INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN first_in_chat INTEGER NOT NULL DEFAULT 0;

-- Per-minute, per-hour and per-day sums per (model, stage, persona, status),
-- updated in the ingest transaction. Absent dimensions are ''. h00..h19 are
-- latency histogram bins (app/src/rollup/histogram.rs). WITHOUT ROWID keeps
-- rows in key order, so a range of buckets is one sequential read.
CREATE TABLE rollup_minute (
    bucket               INTEGER NOT NULL,
    model                TEXT   NOT NULL,
    stage                TEXT   NOT NULL,
    persona              TEXT   NOT NULL,
    status               TEXT   NOT NULL,
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
    PRIMARY KEY (bucket, model, stage, persona, status)
) WITHOUT ROWID;

CREATE TABLE rollup_hour (
    bucket               INTEGER NOT NULL,
    model                TEXT   NOT NULL,
    stage                TEXT   NOT NULL,
    persona              TEXT   NOT NULL,
    status               TEXT   NOT NULL,
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
    PRIMARY KEY (bucket, model, stage, persona, status)
) WITHOUT ROWID;

CREATE TABLE rollup_day (
    bucket               INTEGER NOT NULL,
    model                TEXT   NOT NULL,
    stage                TEXT   NOT NULL,
    persona              TEXT   NOT NULL,
    status               TEXT   NOT NULL,
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
    PRIMARY KEY (bucket, model, stage, persona, status)
) WITHOUT ROWID;

-- The same sums per bucket over all dimensions, for unfiltered trends and
-- totals (a handful of rows per window instead of one per combination).
CREATE TABLE rollup_minute_total (
    bucket          INTEGER PRIMARY KEY,
    events          INTEGER NOT NULL DEFAULT 0,
    errors          INTEGER NOT NULL DEFAULT 0,
    cost_nanos      INTEGER NOT NULL DEFAULT 0,
    unpriced_events INTEGER NOT NULL DEFAULT 0,
    input_tokens    INTEGER NOT NULL DEFAULT 0,
    output_tokens   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE rollup_hour_total (
    bucket          INTEGER PRIMARY KEY,
    events          INTEGER NOT NULL DEFAULT 0,
    errors          INTEGER NOT NULL DEFAULT 0,
    cost_nanos      INTEGER NOT NULL DEFAULT 0,
    unpriced_events INTEGER NOT NULL DEFAULT 0,
    input_tokens    INTEGER NOT NULL DEFAULT 0,
    output_tokens   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE rollup_day_total (
    bucket          INTEGER PRIMARY KEY,
    events          INTEGER NOT NULL DEFAULT 0,
    errors          INTEGER NOT NULL DEFAULT 0,
    cost_nanos      INTEGER NOT NULL DEFAULT 0,
    unpriced_events INTEGER NOT NULL DEFAULT 0,
    input_tokens    INTEGER NOT NULL DEFAULT 0,
    output_tokens   INTEGER NOT NULL DEFAULT 0
);

-- One row per conversation, with running totals.
CREATE TABLE conversations (
    chat_id         TEXT   PRIMARY KEY,
    first_ts        INTEGER NOT NULL,
    last_ts         INTEGER NOT NULL,
    last_event_id   INTEGER NOT NULL DEFAULT 0,
    events          INTEGER NOT NULL DEFAULT 0,
    turns           INTEGER NOT NULL DEFAULT 0,
    errors          INTEGER NOT NULL DEFAULT 0,
    input_tokens    INTEGER NOT NULL DEFAULT 0,
    output_tokens   INTEGER NOT NULL DEFAULT 0,
    cost_nanos      INTEGER NOT NULL DEFAULT 0,
    unpriced_events INTEGER NOT NULL DEFAULT 0,
    duration_ms     INTEGER NOT NULL DEFAULT 0,
    last_persona    TEXT,
    last_model      TEXT,
    last_status     TEXT
);
CREATE INDEX conversations_last_event ON conversations (last_event_id);
CREATE INDEX conversations_first_ts ON conversations (first_ts);
CREATE INDEX conversations_last_ts ON conversations (last_ts);

-- Turns seen so far (to count each turn once, when it starts).
CREATE TABLE turns (
    chat_id  TEXT   NOT NULL,
    turn_id  TEXT   NOT NULL,
    first_ts INTEGER NOT NULL,
    PRIMARY KEY (chat_id, turn_id)
) WITHOUT ROWID;

-- Running counters kept in step with the tables above.
CREATE TABLE counters (
    name  TEXT   PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('conversations', 0);

-- Prices set in the admin editor: a whole pricing entry (JSON, rates in
-- nano-dollars per 1M tokens) that prices events from `effective_from` on.
CREATE TABLE pricing_overrides (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id       TEXT   NOT NULL,
    entry          TEXT   NOT NULL,
    effective_from INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
);
