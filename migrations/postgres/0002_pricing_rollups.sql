-- Pricing, rollups and conversations (see app/src/rollup and app/src/price).

-- Cost of each event in nano-dollars (NULL: unpriced) and the pricing entry
-- that priced it; whether it opened its turn / conversation (for counts over
-- the raw edges of a summary window).
ALTER TABLE events ADD COLUMN cost_nanos BIGINT;
ALTER TABLE events ADD COLUMN pricing_id TEXT;
ALTER TABLE events ADD COLUMN first_in_turn BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN first_in_chat BIGINT NOT NULL DEFAULT 0;

-- Per-minute, per-hour and per-day sums per (model, stage, persona, status),
-- updated in the ingest transaction. Absent dimensions are ''. h00..h19 are
-- latency histogram bins (app/src/rollup/histogram.rs).
CREATE TABLE rollup_minute (
    bucket               BIGINT NOT NULL,
    model                TEXT   NOT NULL,
    stage                TEXT   NOT NULL,
    persona              TEXT   NOT NULL,
    status               TEXT   NOT NULL,
    events               BIGINT NOT NULL DEFAULT 0,
    errors               BIGINT NOT NULL DEFAULT 0,
    input_tokens         BIGINT NOT NULL DEFAULT 0,
    output_tokens        BIGINT NOT NULL DEFAULT 0,
    cached_input_tokens  BIGINT NOT NULL DEFAULT 0,
    cache_write_tokens   BIGINT NOT NULL DEFAULT 0,
    reasoning_tokens     BIGINT NOT NULL DEFAULT 0,
    cost_nanos           BIGINT NOT NULL DEFAULT 0,
    unpriced_events      BIGINT NOT NULL DEFAULT 0,
    unpriced_tokens      BIGINT NOT NULL DEFAULT 0,
    duration_count       BIGINT NOT NULL DEFAULT 0,
    duration_sum_ms      BIGINT NOT NULL DEFAULT 0,
    turns_started        BIGINT NOT NULL DEFAULT 0,
    chats_started        BIGINT NOT NULL DEFAULT 0,
    h00                  BIGINT NOT NULL DEFAULT 0,
    h01                  BIGINT NOT NULL DEFAULT 0,
    h02                  BIGINT NOT NULL DEFAULT 0,
    h03                  BIGINT NOT NULL DEFAULT 0,
    h04                  BIGINT NOT NULL DEFAULT 0,
    h05                  BIGINT NOT NULL DEFAULT 0,
    h06                  BIGINT NOT NULL DEFAULT 0,
    h07                  BIGINT NOT NULL DEFAULT 0,
    h08                  BIGINT NOT NULL DEFAULT 0,
    h09                  BIGINT NOT NULL DEFAULT 0,
    h10                  BIGINT NOT NULL DEFAULT 0,
    h11                  BIGINT NOT NULL DEFAULT 0,
    h12                  BIGINT NOT NULL DEFAULT 0,
    h13                  BIGINT NOT NULL DEFAULT 0,
    h14                  BIGINT NOT NULL DEFAULT 0,
    h15                  BIGINT NOT NULL DEFAULT 0,
    h16                  BIGINT NOT NULL DEFAULT 0,
    h17                  BIGINT NOT NULL DEFAULT 0,
    h18                  BIGINT NOT NULL DEFAULT 0,
    h19                  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, model, stage, persona, status)
);

CREATE TABLE rollup_hour (
    bucket               BIGINT NOT NULL,
    model                TEXT   NOT NULL,
    stage                TEXT   NOT NULL,
    persona              TEXT   NOT NULL,
    status               TEXT   NOT NULL,
    events               BIGINT NOT NULL DEFAULT 0,
    errors               BIGINT NOT NULL DEFAULT 0,
    input_tokens         BIGINT NOT NULL DEFAULT 0,
    output_tokens        BIGINT NOT NULL DEFAULT 0,
    cached_input_tokens  BIGINT NOT NULL DEFAULT 0,
    cache_write_tokens   BIGINT NOT NULL DEFAULT 0,
    reasoning_tokens     BIGINT NOT NULL DEFAULT 0,
    cost_nanos           BIGINT NOT NULL DEFAULT 0,
    unpriced_events      BIGINT NOT NULL DEFAULT 0,
    unpriced_tokens      BIGINT NOT NULL DEFAULT 0,
    duration_count       BIGINT NOT NULL DEFAULT 0,
    duration_sum_ms      BIGINT NOT NULL DEFAULT 0,
    turns_started        BIGINT NOT NULL DEFAULT 0,
    chats_started        BIGINT NOT NULL DEFAULT 0,
    h00                  BIGINT NOT NULL DEFAULT 0,
    h01                  BIGINT NOT NULL DEFAULT 0,
    h02                  BIGINT NOT NULL DEFAULT 0,
    h03                  BIGINT NOT NULL DEFAULT 0,
    h04                  BIGINT NOT NULL DEFAULT 0,
    h05                  BIGINT NOT NULL DEFAULT 0,
    h06                  BIGINT NOT NULL DEFAULT 0,
    h07                  BIGINT NOT NULL DEFAULT 0,
    h08                  BIGINT NOT NULL DEFAULT 0,
    h09                  BIGINT NOT NULL DEFAULT 0,
    h10                  BIGINT NOT NULL DEFAULT 0,
    h11                  BIGINT NOT NULL DEFAULT 0,
    h12                  BIGINT NOT NULL DEFAULT 0,
    h13                  BIGINT NOT NULL DEFAULT 0,
    h14                  BIGINT NOT NULL DEFAULT 0,
    h15                  BIGINT NOT NULL DEFAULT 0,
    h16                  BIGINT NOT NULL DEFAULT 0,
    h17                  BIGINT NOT NULL DEFAULT 0,
    h18                  BIGINT NOT NULL DEFAULT 0,
    h19                  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, model, stage, persona, status)
);

CREATE TABLE rollup_day (
    bucket               BIGINT NOT NULL,
    model                TEXT   NOT NULL,
    stage                TEXT   NOT NULL,
    persona              TEXT   NOT NULL,
    status               TEXT   NOT NULL,
    events               BIGINT NOT NULL DEFAULT 0,
    errors               BIGINT NOT NULL DEFAULT 0,
    input_tokens         BIGINT NOT NULL DEFAULT 0,
    output_tokens        BIGINT NOT NULL DEFAULT 0,
    cached_input_tokens  BIGINT NOT NULL DEFAULT 0,
    cache_write_tokens   BIGINT NOT NULL DEFAULT 0,
    reasoning_tokens     BIGINT NOT NULL DEFAULT 0,
    cost_nanos           BIGINT NOT NULL DEFAULT 0,
    unpriced_events      BIGINT NOT NULL DEFAULT 0,
    unpriced_tokens      BIGINT NOT NULL DEFAULT 0,
    duration_count       BIGINT NOT NULL DEFAULT 0,
    duration_sum_ms      BIGINT NOT NULL DEFAULT 0,
    turns_started        BIGINT NOT NULL DEFAULT 0,
    chats_started        BIGINT NOT NULL DEFAULT 0,
    h00                  BIGINT NOT NULL DEFAULT 0,
    h01                  BIGINT NOT NULL DEFAULT 0,
    h02                  BIGINT NOT NULL DEFAULT 0,
    h03                  BIGINT NOT NULL DEFAULT 0,
    h04                  BIGINT NOT NULL DEFAULT 0,
    h05                  BIGINT NOT NULL DEFAULT 0,
    h06                  BIGINT NOT NULL DEFAULT 0,
    h07                  BIGINT NOT NULL DEFAULT 0,
    h08                  BIGINT NOT NULL DEFAULT 0,
    h09                  BIGINT NOT NULL DEFAULT 0,
    h10                  BIGINT NOT NULL DEFAULT 0,
    h11                  BIGINT NOT NULL DEFAULT 0,
    h12                  BIGINT NOT NULL DEFAULT 0,
    h13                  BIGINT NOT NULL DEFAULT 0,
    h14                  BIGINT NOT NULL DEFAULT 0,
    h15                  BIGINT NOT NULL DEFAULT 0,
    h16                  BIGINT NOT NULL DEFAULT 0,
    h17                  BIGINT NOT NULL DEFAULT 0,
    h18                  BIGINT NOT NULL DEFAULT 0,
    h19                  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, model, stage, persona, status)
);

-- The same sums per bucket over all dimensions, for unfiltered trends and
-- totals (a handful of rows per window instead of one per combination).
CREATE TABLE rollup_minute_total (
    bucket          BIGINT PRIMARY KEY,
    events          BIGINT NOT NULL DEFAULT 0,
    errors          BIGINT NOT NULL DEFAULT 0,
    cost_nanos      BIGINT NOT NULL DEFAULT 0,
    unpriced_events BIGINT NOT NULL DEFAULT 0,
    input_tokens    BIGINT NOT NULL DEFAULT 0,
    output_tokens   BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE rollup_hour_total (
    bucket          BIGINT PRIMARY KEY,
    events          BIGINT NOT NULL DEFAULT 0,
    errors          BIGINT NOT NULL DEFAULT 0,
    cost_nanos      BIGINT NOT NULL DEFAULT 0,
    unpriced_events BIGINT NOT NULL DEFAULT 0,
    input_tokens    BIGINT NOT NULL DEFAULT 0,
    output_tokens   BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE rollup_day_total (
    bucket          BIGINT PRIMARY KEY,
    events          BIGINT NOT NULL DEFAULT 0,
    errors          BIGINT NOT NULL DEFAULT 0,
    cost_nanos      BIGINT NOT NULL DEFAULT 0,
    unpriced_events BIGINT NOT NULL DEFAULT 0,
    input_tokens    BIGINT NOT NULL DEFAULT 0,
    output_tokens   BIGINT NOT NULL DEFAULT 0
);

-- One row per conversation, with running totals.
CREATE TABLE conversations (
    chat_id         TEXT   PRIMARY KEY,
    first_ts        BIGINT NOT NULL,
    last_ts         BIGINT NOT NULL,
    last_event_id   BIGINT NOT NULL DEFAULT 0,
    events          BIGINT NOT NULL DEFAULT 0,
    turns           BIGINT NOT NULL DEFAULT 0,
    errors          BIGINT NOT NULL DEFAULT 0,
    input_tokens    BIGINT NOT NULL DEFAULT 0,
    output_tokens   BIGINT NOT NULL DEFAULT 0,
    cost_nanos      BIGINT NOT NULL DEFAULT 0,
    unpriced_events BIGINT NOT NULL DEFAULT 0,
    duration_ms     BIGINT NOT NULL DEFAULT 0,
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
    first_ts BIGINT NOT NULL,
    PRIMARY KEY (chat_id, turn_id)
);

-- Running counters kept in step with the tables above.
CREATE TABLE counters (
    name  TEXT   PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('conversations', 0);

-- Prices set in the admin editor: a whole pricing entry (JSON, rates in
-- nano-dollars per 1M tokens) that prices events from `effective_from` on.
CREATE TABLE pricing_overrides (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id       TEXT   NOT NULL,
    entry          TEXT   NOT NULL,
    effective_from BIGINT NOT NULL,
    created_at     BIGINT NOT NULL
);
