-- Pipelines: which agent pipeline (service) sent an event, when one
-- Flowmeter watches several. Events and conversations carry it (the flow
-- canvas and the replay list filter by it, each through its own index),
-- and it is an eighth rollup dimension ('' when absent), so costs,
-- summaries and budgets can be per pipeline.

ALTER TABLE events ADD COLUMN pipeline TEXT;
CREATE INDEX events_pipeline_id ON events (pipeline, id) WHERE pipeline IS NOT NULL;
ALTER TABLE conversations ADD COLUMN pipeline TEXT;
CREATE INDEX conversations_pipeline_last_ts ON conversations (pipeline, last_ts) WHERE pipeline IS NOT NULL;

ALTER TABLE rollup_minute ADD COLUMN pipeline TEXT NOT NULL DEFAULT '';
ALTER TABLE rollup_minute DROP CONSTRAINT rollup_minute_pkey;
ALTER TABLE rollup_minute ADD PRIMARY KEY (bucket, model, stage, persona, status, tenant, tool, pipeline);

ALTER TABLE rollup_hour ADD COLUMN pipeline TEXT NOT NULL DEFAULT '';
ALTER TABLE rollup_hour DROP CONSTRAINT rollup_hour_pkey;
ALTER TABLE rollup_hour ADD PRIMARY KEY (bucket, model, stage, persona, status, tenant, tool, pipeline);

ALTER TABLE rollup_day ADD COLUMN pipeline TEXT NOT NULL DEFAULT '';
ALTER TABLE rollup_day DROP CONSTRAINT rollup_day_pkey;
ALTER TABLE rollup_day ADD PRIMARY KEY (bucket, model, stage, persona, status, tenant, tool, pipeline);

-- Budgets can be per pipeline.
ALTER TABLE budgets DROP CONSTRAINT budgets_scope_check;
ALTER TABLE budgets ADD CONSTRAINT budgets_scope_check CHECK (scope IN ('global', 'model', 'persona', 'tenant', 'pipeline'));
