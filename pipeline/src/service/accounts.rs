//! Users and API keys: created, changed and listed in the admin area (and
//! from the command line), and the check of a key a request carries.

use super::error::Context;
use super::Viewer;
use super::{Service, ServiceError};
use crate::auth::password;
use crate::store::{hash_key, NewApiKey, Store};
use domain::audit::AuditAction;
use domain::auth::{ApiKeyRecord, KeyGrant, KeyScope, Role, UserView};
use domain::rules;

const NOT_CHANGED: &str = "the store is unavailable; nothing was changed";

/// Failed sign-ins allowed per window, per account and per client address,
/// counted across every replica (they are stored).
pub const LOGIN_FAILURES_PER_ACCOUNT: i64 = 5;
pub const LOGIN_FAILURES_PER_ADDRESS: i64 = 20;
pub const LOGIN_WINDOW_MS: i64 = 15 * 60_000;

fn limits<'a>(account: &'a str, address: &'a str) -> [(String, i64); 2] {
    [
        (format!("account:{account}"), LOGIN_FAILURES_PER_ACCOUNT),
        (format!("address:{address}"), LOGIN_FAILURES_PER_ADDRESS),
    ]
}

/// Creates an account (the admin area and `server create-user` both come
/// here, so both apply the same rules, and both are audited).
pub async fn create_user(
    store: &Store,
    by: &Viewer,
    email: &str,
    password: &str,
    role: Role,
    now_ms: i64,
) -> Result<UserView, ServiceError> {
    let email = rules::email(email).map_err(|m| ServiceError::invalid("email", m))?;
    rules::password(password).map_err(|m| ServiceError::invalid("password", m))?;
    let typed = password.to_string();
    // Hashing is deliberately slow: keep it off the async workers.
    let hash = tokio::task::spawn_blocking(move || password::hash(&typed))
        .await
        .map_err(|e| ServiceError::Conflict(format!("hashing the password failed: {e}")))?
        .map_err(|e| ServiceError::Conflict(format!("hashing the password failed: {e}")))?;
    let created = store.create_user(&email, &hash, role, now_ms).await.or_unavailable(NOT_CHANGED)?;
    let user = created.ok_or_else(|| ServiceError::Conflict(format!("{email} has an account already")))?;
    let detail = format!("email={} role={}", user.email, role.as_str());
    super::audit::record(store, by.actor(), AuditAction::UserCreated, &format!("user {}", user.id), &detail, now_ms)
        .await;
    Ok(user)
}

impl Service {
    /// What `key` grants: a configured ingest key (every tenant), or an
    /// active stored one (its use noted); `None` when it is neither.
    pub async fn verify_key(&self, key: &str, now_ms: i64) -> Result<Option<KeyGrant>, ServiceError> {
        let hash = hash_key(key.trim());
        if self.config_key_hashes.contains(&hash) {
            return Ok(Some(KeyGrant { scope: KeyScope::Ingest, tenant: None }));
        }
        Ok(self.store.verify_api_key(&hash, now_ms).await?)
    }

    /// `Some(ms)` to wait when the account or the client address has used
    /// up its failed sign-ins for now.
    pub async fn sign_in_blocked(
        &self,
        account: &str,
        address: &str,
        now_ms: i64,
    ) -> Result<Option<i64>, ServiceError> {
        let mut wait = None;
        for (key, max) in limits(account, address) {
            let (count, oldest) = self.store.login_failures(&key, now_ms - LOGIN_WINDOW_MS).await?;
            if count >= max {
                let ms = oldest.map_or(0, |t| t + LOGIN_WINDOW_MS - now_ms).max(1);
                wait = Some(wait.map_or(ms, |w: i64| w.max(ms)));
            }
        }
        Ok(wait)
    }

    pub async fn sign_in_failed(&self, account: &str, address: &str, now_ms: i64) -> Result<(), ServiceError> {
        for (key, _) in limits(account, address) {
            self.store.add_login_failure(&key, now_ms, now_ms - LOGIN_WINDOW_MS).await?;
        }
        Ok(())
    }

    /// A good password forgives the account's failures (not the address's).
    pub async fn sign_in_succeeded(&self, account: &str) -> Result<(), ServiceError> {
        let [(key, _), _] = limits(account, "");
        Ok(self.store.clear_login_failures(&key).await?)
    }

    pub async fn users(&self) -> Result<Vec<UserView>, ServiceError> {
        self.store.list_users().await.or_unavailable(NOT_CHANGED)
    }

    pub async fn create_user(
        &self,
        by: &Viewer,
        email: &str,
        password: &str,
        role: Role,
        now_ms: i64,
    ) -> Result<UserView, ServiceError> {
        create_user(&self.store, by, email, password, role, now_ms).await
    }

    /// Refuses a change that would leave no admin able to sign in.
    async fn keeps_an_admin(&self, user_id: i64) -> Result<(), ServiceError> {
        let users = self.users().await?;
        let others = users.iter().filter(|u| u.id != user_id && u.role == Role::Admin && !u.disabled).count();
        if others == 0 {
            return Err(ServiceError::Conflict("this is the last active admin".into()));
        }
        Ok(())
    }

    pub async fn set_role(&self, by: &Viewer, user_id: i64, role: Role) -> Result<(), ServiceError> {
        if role != Role::Admin {
            self.keeps_an_admin(user_id).await?;
        }
        if !self.store.set_role(user_id, role).await.or_unavailable(NOT_CHANGED)? {
            return Err(ServiceError::NotFound { field: "userId", what: "user" });
        }
        let detail = format!("role={}", role.as_str());
        self.audit(by, AuditAction::RoleChanged, &format!("user {user_id}"), &detail).await;
        Ok(())
    }

    /// Disables a user (ending every session of theirs at once) or lets
    /// them back in.
    pub async fn set_disabled(
        &self,
        by: &Viewer,
        user_id: i64,
        disabled: bool,
        now_ms: i64,
    ) -> Result<(), ServiceError> {
        if disabled {
            self.keeps_an_admin(user_id).await?;
        }
        if !self.store.set_disabled(user_id, disabled, now_ms).await.or_unavailable(NOT_CHANGED)? {
            return Err(ServiceError::NotFound { field: "userId", what: "user" });
        }
        let action = if disabled { AuditAction::UserDisabled } else { AuditAction::UserEnabled };
        self.audit(by, action, &format!("user {user_id}"), "").await;
        Ok(())
    }

    pub async fn api_keys(&self) -> Result<Vec<ApiKeyRecord>, ServiceError> {
        self.store.list_api_keys().await.or_unavailable(NOT_CHANGED)
    }

    /// Mints a key, for every tenant or (`tenant`) one; its plaintext is in
    /// the answer and nowhere else.
    pub async fn create_api_key(
        &self,
        by: &Viewer,
        name: &str,
        scope: KeyScope,
        tenant: Option<&str>,
        now_ms: i64,
    ) -> Result<NewApiKey, ServiceError> {
        let name = rules::name(name).map_err(|m| ServiceError::invalid("name", m))?;
        let tenant = tenant.map(str::trim).filter(|t| !t.is_empty());
        if tenant.is_some_and(|t| t.chars().count() > crate::ingest::validate::MAX_NAME_CHARS) {
            let limit = crate::ingest::validate::MAX_NAME_CHARS;
            return Err(ServiceError::invalid("tenant", format!("at most {limit} characters")));
        }
        let key = self.store.create_api_key(&name, scope, tenant, now_ms).await.or_unavailable(NOT_CHANGED)?;
        let r = &key.record;
        let mut detail = format!("name={} scope={} prefix={}", r.name, scope.as_str(), r.prefix);
        if let Some(t) = &r.tenant {
            detail.push_str(&format!(" tenant={t}"));
        }
        self.audit(by, AuditAction::KeyCreated, &format!("key {}", r.id), &detail).await;
        Ok(key)
    }

    pub async fn revoke_api_key(&self, by: &Viewer, id: i64, now_ms: i64) -> Result<(), ServiceError> {
        if !self.store.revoke_api_key(id, now_ms).await.or_unavailable(NOT_CHANGED)? {
            return Err(ServiceError::NotFound { field: "keyId", what: "active key" });
        }
        self.audit(by, AuditAction::KeyRevoked, &format!("key {id}"), "").await;
        Ok(())
    }
}
