-- The events' status check, written as comparisons. SQLite runs
-- `status IN ('success', 'error', 'running')` (three constants or more) by
-- building a small table for the list, each time the insert runs; the
-- writer inserts events one row at a time with its statement kept prepared,
-- so that was a table built and freed per event: 7 % of the writer's time
-- under batches (docs/performance.md). The same rule as comparisons costs
-- three of them.
--
-- SQLite cannot alter a CHECK. Its documented way to change one without
-- copying the table (https://www.sqlite.org/lang_altertable.html, "Making
-- other kinds of table schema changes") is to edit the table's text in
-- the schema: rows are stored the same either way, and every row stored
-- passes both. Connections opened before this keep the list form until
-- they reconnect, which is the same rule.
PRAGMA writable_schema = ON;

UPDATE sqlite_schema
   SET sql = replace(sql,
       'CHECK (status IN (''success'', ''error'', ''running''))',
       'CHECK (status = ''success'' OR status = ''error'' OR status = ''running'')')
 WHERE type = 'table' AND name = 'events';

PRAGMA writable_schema = OFF;
