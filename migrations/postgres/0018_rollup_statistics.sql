-- How many combinations of dimensions each rollup holds, for the planner.
-- A summary sums a window's rows per combination (`GROUP BY model, stage,
-- persona, status, tenant, tool, pipeline`). Without this, Postgres
-- guesses the number of groups as the product of each column's distinct
-- values, though the dimensions go together (a persona has its models and
-- stages): about 3,300 groups where there are 228, in the hour rollup of
-- 3M simulated events. For that many it sorts the rows by seven text
-- columns and then groups them, where a hash table of the real groups
-- takes half the time: a 23-hour edge of a summary read afresh, 24-34 ms
-- sorted, 13-22 ms hashed (docs/performance.md). ANALYZE (autovacuum's
-- too) keeps these counts up to date. Postgres only: SQLite's planner
-- groups with a sorter either way.

CREATE STATISTICS rollup_minute_dims (ndistinct) ON model, stage, persona, status, tenant, tool, pipeline FROM rollup_minute;
CREATE STATISTICS rollup_hour_dims (ndistinct) ON model, stage, persona, status, tenant, tool, pipeline FROM rollup_hour;
CREATE STATISTICS rollup_day_dims (ndistinct) ON model, stage, persona, status, tenant, tool, pipeline FROM rollup_day;
