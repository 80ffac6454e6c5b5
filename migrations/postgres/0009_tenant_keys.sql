-- An API key may be scoped to one tenant: an ingest key then writes only
-- that tenant's events, a read key reads only that tenant's data.

ALTER TABLE api_keys ADD COLUMN tenant TEXT;
