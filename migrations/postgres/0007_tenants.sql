-- Tenants: whose traffic an event is (the customer, team or domain the
-- pipeline served). Events, conversations and turns carry it; the rollups
-- gain it as a sixth dimension ('' when absent), so cost by tenant and a
-- tenant filter read rollups like every other dimension.

ALTER TABLE events ADD COLUMN tenant TEXT;
-- A tenant-scoped reader pages through its own events by id.
CREATE INDEX events_tenant_id ON events (tenant, id) WHERE tenant IS NOT NULL;
ALTER TABLE conversations ADD COLUMN tenant TEXT;
CREATE INDEX conversations_tenant_last_ts ON conversations (tenant, last_ts) WHERE tenant IS NOT NULL;
ALTER TABLE turns ADD COLUMN tenant TEXT;
CREATE INDEX turns_tenant_first_ts ON turns (tenant, first_ts) WHERE tenant IS NOT NULL;

ALTER TABLE rollup_minute ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE rollup_minute DROP CONSTRAINT rollup_minute_pkey;
ALTER TABLE rollup_minute ADD PRIMARY KEY (bucket, model, stage, persona, status, tenant);

ALTER TABLE rollup_hour ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE rollup_hour DROP CONSTRAINT rollup_hour_pkey;
ALTER TABLE rollup_hour ADD PRIMARY KEY (bucket, model, stage, persona, status, tenant);

ALTER TABLE rollup_day ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE rollup_day DROP CONSTRAINT rollup_day_pkey;
ALTER TABLE rollup_day ADD PRIMARY KEY (bucket, model, stage, persona, status, tenant);
