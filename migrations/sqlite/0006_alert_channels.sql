-- Alerts get a severity and a channel (webhook, Slack, Discord, Telegram),
-- rules a fourth kind ("no events for N minutes"), and a new install the
-- brief's two default rules, off until an admin turns them on.
--
-- notify: JSON {channel, url, botToken, chatId} (domain::alerts::Notify),
-- replacing the plain webhook_url. SQLite cannot change a CHECK, so the
-- rules table is rebuilt.

CREATE TABLE alert_rules_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('error_rate', 'p95_latency', 'ingest_failures', 'no_events')),
    severity   TEXT    NOT NULL DEFAULT 'warning' CHECK (severity IN ('info', 'warning', 'critical')),
    params     TEXT    NOT NULL,
    notify     TEXT,
    enabled    INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);
INSERT INTO alert_rules_new (id, name, kind, params, notify, enabled, created_at)
    SELECT id, name, kind, params,
           CASE WHEN webhook_url IS NULL THEN NULL ELSE json_object('channel', 'webhook', 'url', webhook_url) END,
           enabled, created_at
    FROM alert_rules;
DROP TABLE alert_rules;
ALTER TABLE alert_rules_new RENAME TO alert_rules;

ALTER TABLE budgets ADD COLUMN notify TEXT;
UPDATE budgets SET notify = json_object('channel', 'webhook', 'url', webhook_url) WHERE webhook_url IS NOT NULL;
ALTER TABLE budgets DROP COLUMN webhook_url;

ALTER TABLE alerts ADD COLUMN severity TEXT NOT NULL DEFAULT 'warning';
UPDATE alerts SET severity = 'critical' WHERE level = 'critical';

INSERT INTO alert_rules (name, kind, severity, params, enabled, created_at) VALUES
    ('High error rate', 'error_rate', 'critical', '{"threshold":5.0,"window_minutes":5,"min_events":20}', 0, 0),
    ('Slow pipeline (p95 over all stages)', 'p95_latency', 'warning', '{"threshold":2500.0,"window_minutes":5,"min_events":0}', 0, 0);
