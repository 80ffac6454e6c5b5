-- The archive: events older than `archive_after_days` leave the events
-- table for compressed blocks of up to 1,024 events (pipeline's
-- store/archive.rs). An event there costs about a tenth of a row and its
-- index entries (docs/performance.md). Reads of events look in both.
--
-- The block directory: each block's id and time span, read to find the
-- blocks a read needs. Its bodies in a table of their own, so that
-- reading the directory never reads them.
CREATE TABLE event_blocks (
    first_id INTEGER PRIMARY KEY,
    last_id  INTEGER NOT NULL,
    min_ts   INTEGER NOT NULL,
    max_ts   INTEGER NOT NULL,
    events   INTEGER NOT NULL
);
CREATE TABLE event_block_bodies (
    first_id INTEGER PRIMARY KEY,
    body     BLOB NOT NULL
);
-- A read of recent events (the live stream's resume, a summary's latest
-- minute) finds no block by these at once, without reading the directory.
CREATE INDEX event_blocks_last_id ON event_blocks (last_id);
CREATE INDEX event_blocks_max_ts ON event_blocks (max_ts);
-- Which blocks hold a conversation's events (a replay's blocks).
CREATE TABLE event_block_chats (
    chat_id  TEXT    NOT NULL,
    first_id INTEGER NOT NULL,
    PRIMARY KEY (chat_id, first_id)
) WITHOUT ROWID;
