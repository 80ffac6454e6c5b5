-- Per-tool analytics: the tool a stage called (`meta.tool`, or OTLP's
-- `gen_ai.tool.name`) is kept on the event and is a seventh rollup
-- dimension ('' for stages that call none).

ALTER TABLE events ADD COLUMN tool TEXT;

ALTER TABLE rollup_minute ADD COLUMN tool TEXT NOT NULL DEFAULT '';
ALTER TABLE rollup_minute DROP CONSTRAINT rollup_minute_pkey;
ALTER TABLE rollup_minute ADD PRIMARY KEY (bucket, model, stage, persona, status, tenant, tool);

ALTER TABLE rollup_hour ADD COLUMN tool TEXT NOT NULL DEFAULT '';
ALTER TABLE rollup_hour DROP CONSTRAINT rollup_hour_pkey;
ALTER TABLE rollup_hour ADD PRIMARY KEY (bucket, model, stage, persona, status, tenant, tool);

ALTER TABLE rollup_day ADD COLUMN tool TEXT NOT NULL DEFAULT '';
ALTER TABLE rollup_day DROP CONSTRAINT rollup_day_pkey;
ALTER TABLE rollup_day ADD PRIMARY KEY (bucket, model, stage, persona, status, tenant, tool);
