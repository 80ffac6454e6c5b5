-- Sparse events (see the Postgres migration of the same number): the
-- events' token counts and first-in-turn and first-in-chat marks become
-- nullable, so that both schemas stay one (server/tests/schema.rs). SQLite
-- stores a zero in no bytes of its record, as it does a NULL, so its writer
-- keeps writing zeros, and the table is not copied: as in 0018, the
-- table's text in the schema is edited, which SQLite documents for changes
-- that every stored row already satisfies
-- (https://www.sqlite.org/lang_altertable.html). A connection that read
-- the schema before keeps the NOT NULL until it reconnects, which the
-- writer's zeros satisfy too.
PRAGMA writable_schema = ON;

UPDATE sqlite_schema
   SET sql = replace(replace(replace(replace(replace(replace(replace(sql,
       'input_tokens        INTEGER NOT NULL DEFAULT 0', 'input_tokens        INTEGER DEFAULT 0'),
       'output_tokens       INTEGER NOT NULL DEFAULT 0', 'output_tokens       INTEGER DEFAULT 0'),
       'cached_input_tokens INTEGER NOT NULL DEFAULT 0', 'cached_input_tokens INTEGER DEFAULT 0'),
       'cache_write_tokens  INTEGER NOT NULL DEFAULT 0', 'cache_write_tokens  INTEGER DEFAULT 0'),
       'reasoning_tokens    INTEGER NOT NULL DEFAULT 0', 'reasoning_tokens    INTEGER DEFAULT 0'),
       'first_in_turn INTEGER NOT NULL DEFAULT 0', 'first_in_turn INTEGER DEFAULT 0'),
       'first_in_chat INTEGER NOT NULL DEFAULT 0', 'first_in_chat INTEGER DEFAULT 0')
 WHERE type = 'table' AND name = 'events';

PRAGMA writable_schema = OFF;
