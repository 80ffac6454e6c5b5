-- Live sessions list each conversation's current stage and count turns as
-- new ones start: the latest stage and turn id are kept with its totals.

ALTER TABLE conversations ADD COLUMN last_stage TEXT;
ALTER TABLE conversations ADD COLUMN last_turn_id TEXT;
