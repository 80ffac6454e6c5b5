-- Budgets can be per tenant. SQLite cannot change a CHECK, so the budgets
-- table is rebuilt with `tenant` among the scopes.

CREATE TABLE budgets_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL,
    scope        TEXT    NOT NULL CHECK (scope IN ('global', 'model', 'persona', 'tenant')),
    scope_value  TEXT    NOT NULL DEFAULT '',
    period       TEXT    NOT NULL CHECK (period IN ('daily', 'monthly')),
    limit_nanos  INTEGER NOT NULL,
    warn_pct     INTEGER NOT NULL DEFAULT 80,
    critical_pct INTEGER NOT NULL DEFAULT 100,
    created_at   INTEGER NOT NULL,
    notify       TEXT
);
INSERT INTO budgets_new (id, name, scope, scope_value, period, limit_nanos, warn_pct, critical_pct, created_at, notify)
    SELECT id, name, scope, scope_value, period, limit_nanos, warn_pct, critical_pct, created_at, notify FROM budgets;
DROP TABLE budgets;
ALTER TABLE budgets_new RENAME TO budgets;
