-- The turns' index of their last event id goes: no read uses it. It was
-- made for the cost monitor's recent operations, which now page turns by
-- when they started (`turns_first_ts`), with the last event id only as a
-- tiebreak within a page. Each group rewrote an entry of it for every
-- turn it continued; on Postgres the index cost 6 B per event at 10M, and
-- a turn's update, which changed an indexed column, could never be HOT
-- (docs/performance.md).

DROP INDEX turns_last_event;
