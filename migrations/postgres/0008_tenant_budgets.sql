-- Budgets can be per tenant.

ALTER TABLE budgets DROP CONSTRAINT budgets_scope_check;
ALTER TABLE budgets ADD CONSTRAINT budgets_scope_check CHECK (scope IN ('global', 'model', 'persona', 'tenant'));
