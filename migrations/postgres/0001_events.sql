-- Events are append-only: one row per pipeline stage of one turn.
-- Times are epoch milliseconds; `id` grows with commit order (inserts take
-- a transaction-level advisory lock) and is the SSE event id and the cursor.
CREATE TABLE events (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id             TEXT    NOT NULL,
    turn_id             TEXT,
    stage               TEXT    NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('success', 'error', 'running')),
    ts                  BIGINT  NOT NULL,
    duration_ms         BIGINT,
    persona             TEXT,
    model               TEXT,
    provider            TEXT,
    input_tokens        BIGINT  NOT NULL DEFAULT 0,
    output_tokens       BIGINT  NOT NULL DEFAULT 0,
    cached_input_tokens BIGINT  NOT NULL DEFAULT 0,
    cache_write_tokens  BIGINT  NOT NULL DEFAULT 0,
    reasoning_tokens    BIGINT  NOT NULL DEFAULT 0,
    error               TEXT,
    meta                TEXT,
    received_at         BIGINT  NOT NULL
);
CREATE INDEX events_chat_id ON events (chat_id, id);
CREATE INDEX events_ts ON events (ts);

-- Ingest API keys, stored as SHA-256 hashes; the key itself is shown once.
CREATE TABLE api_keys (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    key_hash     TEXT    NOT NULL UNIQUE,
    scope        TEXT    NOT NULL DEFAULT 'ingest',
    created_at   BIGINT  NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
