-- Sparse events: an event's token counts and its first-in-turn and
-- first-in-chat marks are NULL when zero, which costs a row one bit of its
-- null bitmap where a zero BIGINT costs 8 bytes. Most events are zero in
-- most of these: stages that call no model have no tokens, few have cached
-- or reasoning tokens, and one event in several opens its turn
-- (docs/performance.md). The writer binds their zeros as NULL on Postgres
-- (`Value::Sparse`); readers take NULL as 0. Rows stored before keep their
-- zeros, which read the same. Only the catalogue changes: no row is
-- rewritten.

ALTER TABLE events
    ALTER COLUMN input_tokens DROP NOT NULL,
    ALTER COLUMN output_tokens DROP NOT NULL,
    ALTER COLUMN cached_input_tokens DROP NOT NULL,
    ALTER COLUMN cache_write_tokens DROP NOT NULL,
    ALTER COLUMN reasoning_tokens DROP NOT NULL,
    ALTER COLUMN first_in_turn DROP NOT NULL,
    ALTER COLUMN first_in_chat DROP NOT NULL;
