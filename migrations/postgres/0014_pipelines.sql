-- Pipelines: which agent pipeline (service) sent an event, when one
-- Flowmeter watches several. Events and conversations carry it; the flow
-- canvas and the replay list filter by it, each through its own index.

ALTER TABLE events ADD COLUMN pipeline TEXT;
CREATE INDEX events_pipeline_id ON events (pipeline, id) WHERE pipeline IS NOT NULL;
ALTER TABLE conversations ADD COLUMN pipeline TEXT;
CREATE INDEX conversations_pipeline_last_ts ON conversations (pipeline, last_ts) WHERE pipeline IS NOT NULL;
