-- A conversation's events are found by an index of their chat id alone,
-- not of (chat_id, id). Postgres stores a key that repeats once with the
-- list of its rows (B-tree deduplication), so a chat's dozen events cost
-- the index one key and 6 bytes each, where (chat_id, id) kept a whole
-- entry per event: 9.5 against 53.6 bytes per event at 10M
-- (docs/performance.md). Reads by chat sort what it finds: the replay
-- orders by time anyway, and a history page by chat sorts the chat's ids.
-- Rebuilding it reads the table once (5 s at 10M events).
-- SQLite keeps (chat_id, id): it has no deduplication.

DROP INDEX events_chat_id;
CREATE INDEX events_chat_id ON events (chat_id);
