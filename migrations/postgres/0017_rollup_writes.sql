-- Each `*_total` row counts the transactions that wrote its bucket. Every
-- write to a rollup row also writes its bucket's total row, in the same
-- transaction (ingest, reprice), and retention deletes both; so a bucket
-- whose `writes` is unchanged has unchanged sums. Summaries keep what they
-- read over whole hours and days, and use it again only while the
-- buckets' `(bucket, writes)` list is the one they read it with
-- (pipeline/src/summary/memo.rs).

ALTER TABLE rollup_minute_total ADD COLUMN writes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rollup_hour_total ADD COLUMN writes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rollup_day_total ADD COLUMN writes BIGINT NOT NULL DEFAULT 0;
