-- Alerts get a severity and a channel (webhook, Slack, Discord, Telegram),
-- rules a fourth kind ("no events for N minutes"), and a new install the
-- brief's two default rules, off until an admin turns them on.
--
-- notify: JSON {channel, url, botToken, chatId} (domain::alerts::Notify),
-- replacing the plain webhook_url.

ALTER TABLE alert_rules DROP CONSTRAINT alert_rules_kind_check;
ALTER TABLE alert_rules ADD CONSTRAINT alert_rules_kind_check
    CHECK (kind IN ('error_rate', 'p95_latency', 'ingest_failures', 'no_events'));
ALTER TABLE alert_rules ADD COLUMN severity TEXT NOT NULL DEFAULT 'warning'
    CHECK (severity IN ('info', 'warning', 'critical'));
ALTER TABLE alert_rules ADD COLUMN notify TEXT;
UPDATE alert_rules SET notify = json_build_object('channel', 'webhook', 'url', webhook_url)::text WHERE webhook_url IS NOT NULL;
ALTER TABLE alert_rules DROP COLUMN webhook_url;

ALTER TABLE budgets ADD COLUMN notify TEXT;
UPDATE budgets SET notify = json_build_object('channel', 'webhook', 'url', webhook_url)::text WHERE webhook_url IS NOT NULL;
ALTER TABLE budgets DROP COLUMN webhook_url;

ALTER TABLE alerts ADD COLUMN severity TEXT NOT NULL DEFAULT 'warning';
UPDATE alerts SET severity = 'critical' WHERE level = 'critical';

INSERT INTO alert_rules (name, kind, severity, params, enabled, created_at) VALUES
    ('High error rate', 'error_rate', 'critical', '{"threshold":5.0,"window_minutes":5,"min_events":20}', 0, 0),
    ('Slow pipeline (p95 over all stages)', 'p95_latency', 'warning', '{"threshold":2500.0,"window_minutes":5,"min_events":0}', 0, 0);
