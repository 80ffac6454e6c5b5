-- State several replicas share: who runs a once-per-cluster task (alert
-- evaluation, retention), failed sign-ins counted across replicas, and
-- ingest failures summed from every replica.

-- A lease: `holder` runs task `name` until `until_ms` (and may renew it).
CREATE TABLE leases (
    name     TEXT   PRIMARY KEY,
    holder   TEXT   NOT NULL,
    until_ms BIGINT NOT NULL
);

-- One row per failed sign-in, by account or client address.
CREATE TABLE login_failures (
    id    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key   TEXT   NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (key, at_ms);

INSERT INTO counters (name, value) VALUES ('ingest_failures', 0);
