-- The events' chat, tenant and pipeline indexes keyed by the name alone.
-- SQLite ends every index entry with the row's rowid, and `id` is the
-- rowid: an index of (chat_id, id) stored each id twice. An index of
-- (chat_id) is in the same order, (chat_id, rowid), and answers
-- `chat_id = ? AND id < ? ORDER BY id DESC` the same way, without a sort.
-- 4.3 bytes per event less for each of the chat and tenant indexes, built
-- afresh on 10M events (docs/performance.md). Rebuilding them reads the
-- table once (about 8 s at 10M events). Postgres has its own reasons
-- (its migration 0020).

DROP INDEX events_chat_id;
CREATE INDEX events_chat_id ON events (chat_id);
DROP INDEX events_tenant_id;
CREATE INDEX events_tenant_id ON events (tenant) WHERE tenant IS NOT NULL;
DROP INDEX events_pipeline_id;
CREATE INDEX events_pipeline_id ON events (pipeline) WHERE pipeline IS NOT NULL;
