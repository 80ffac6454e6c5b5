-- A sum of bigints that stays a bigint, for the rollup reads. Postgres'
-- own SUM(bigint) adds in 128 bits and returns numeric: every group of a
-- read converts each of its 34 sums to numeric and back (a CAST to
-- BIGINT), and that was most of a read's time in the database. Grouping
-- 48 minutes of rollups (3,611 rows into 786) took 12.3 ms with SUM and
-- 5.7 ms with this, the same rows (docs/performance.md).
-- int8pl is bigint's own `+`: a sum past the range of bigint is an error,
-- as the CAST made it. Strict, so NULLs (zeros in a rollup, migration
-- 0016) are skipped, and a sum of none is NULL, as SUM's is.

CREATE AGGREGATE bigint_sum(bigint) (
    SFUNC = int8pl,
    STYPE = bigint,
    COMBINEFUNC = int8pl,
    PARALLEL = SAFE
);
