-- Accounts: users with a role, their sessions, and runtime settings.

-- Passwords are argon2id PHC strings; emails are stored lowercased.
CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT   NOT NULL UNIQUE,
    password_hash TEXT   NOT NULL,
    role          TEXT   NOT NULL CHECK (role IN ('admin', 'viewer')),
    created_at    BIGINT NOT NULL,
    disabled_at   BIGINT,
    last_login_at BIGINT
);

-- A session is a random token in an HttpOnly cookie; only its SHA-256 hash
-- is stored. Expired or revoked sessions are refused and later deleted.
CREATE TABLE sessions (
    token_hash   TEXT   PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Settings changed at runtime by admins (retention days, …).
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
