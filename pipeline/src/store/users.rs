//! Users, sessions and runtime settings.

use super::{on_pool, on_writer, Store, StoreError};
use domain::auth::{Me, Role, UserView};
use domain::rules::normalize_email;
use sqlx::FromRow;

#[derive(FromRow)]
struct UserRow {
    id: i64,
    email: String,
    role: String,
    created_at: i64,
    disabled_at: Option<i64>,
    last_login_at: Option<i64>,
}

impl From<UserRow> for UserView {
    fn from(r: UserRow) -> Self {
        UserView {
            id: r.id,
            email: r.email,
            role: Role::parse(&r.role).unwrap_or(Role::Viewer),
            created_at: r.created_at,
            disabled: r.disabled_at.is_some(),
            last_login_at: r.last_login_at,
        }
    }
}

/// What a sign-in needs to check.
pub struct Credentials {
    pub user: Me,
    pub password_hash: String,
    pub disabled: bool,
}

/// Don't write a session's `last_seen_at` more often than this.
const TOUCH_EVERY_MS: i64 = 60_000;

impl Store {
    /// Creates a user; `Ok(None)` when the email is taken.
    pub async fn create_user(
        &self,
        email: &str,
        password_hash: &str,
        role: Role,
        now_ms: i64,
    ) -> Result<Option<UserView>, StoreError> {
        let email = normalize_email(email);
        let inserted: Option<i64> = on_writer!(self, pool => sqlx::query_scalar(
            "INSERT INTO users (email, password_hash, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (email) DO NOTHING RETURNING id",
        )
        .bind(&email)
        .bind(password_hash)
        .bind(role.as_str())
        .bind(now_ms)
        .fetch_optional(pool)
        .await?);
        Ok(inserted.map(|id| UserView { id, email, role, created_at: now_ms, disabled: false, last_login_at: None }))
    }

    pub async fn credentials(&self, email: &str) -> Result<Option<Credentials>, StoreError> {
        let row: Option<(i64, String, String, String, Option<i64>)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, email, role, password_hash, disabled_at FROM users WHERE email = $1",
        )
        .bind(normalize_email(email))
        .fetch_optional(pool)
        .await?);
        Ok(row.map(|(id, email, role, password_hash, disabled_at)| Credentials {
            user: Me { id, email, role: Role::parse(&role).unwrap_or(Role::Viewer) },
            password_hash,
            disabled: disabled_at.is_some(),
        }))
    }

    pub async fn list_users(&self) -> Result<Vec<UserView>, StoreError> {
        let rows: Vec<UserRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, email, role, created_at, disabled_at, last_login_at FROM users ORDER BY id",
        )
        .fetch_all(pool)
        .await?);
        Ok(rows.into_iter().map(UserView::from).collect())
    }

    pub async fn count_users(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await?))
    }

    /// Admins that can still sign in.
    pub async fn count_active_admins(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL",
        )
        .fetch_one(pool)
        .await?))
    }

    /// Changes a user's role; false when there is no such user.
    pub async fn set_role(&self, user_id: i64, role: Role) -> Result<bool, StoreError> {
        let n = on_writer!(self, pool => sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(user_id)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Disables (and signs out everywhere) or re-enables a user.
    pub async fn set_disabled(&self, user_id: i64, disabled: bool, now_ms: i64) -> Result<bool, StoreError> {
        let n = on_writer!(self, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
                .bind(disabled.then_some(now_ms))
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if disabled {
                sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                    .bind(now_ms)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            n
        });
        Ok(n == 1)
    }

    pub async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<bool, StoreError> {
        let n = on_writer!(self, pool => sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now_ms: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        on_writer!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $3)")
                .bind(token_hash)
                .bind(user_id)
                .bind(now_ms)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2").bind(now_ms).bind(user_id).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The user of a live session (not expired, revoked or disabled).
    pub async fn session_user(&self, token_hash: &str, now_ms: i64) -> Result<Option<Me>, StoreError> {
        let row: Option<(i64, String, String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT u.id, u.email, u.role, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.disabled_at IS NULL",
        )
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(pool)
        .await?);
        let Some((id, email, role, last_seen)) = row else { return Ok(None) };
        if now_ms - last_seen >= TOUCH_EVERY_MS {
            on_writer!(self, pool => sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(now_ms)
                .bind(token_hash)
                .execute(pool)
                .await
                .map(drop)?);
        }
        Ok(Some(Me { id, email, role: Role::parse(&role).unwrap_or(Role::Viewer) }))
    }

    pub async fn revoke_session(&self, token_hash: &str, now_ms: i64) -> Result<(), StoreError> {
        on_writer!(self, pool => sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
            .bind(now_ms)
            .bind(token_hash)
            .execute(pool)
            .await
            .map(drop)?);
        Ok(())
    }

    pub async fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await?))
    }

    pub async fn set_setting(&self, name: &str, value: &str) -> Result<(), StoreError> {
        on_writer!(self, pool => sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }
}
