//! The admin area's server functions: users, API keys, telemetry and
//! retention. Every one requires the admin role; state changes also pass
//! the server's CSRF check (same-origin POST).

use crate::domain::auth::{ApiKeyRecord, KeyScope, Role, UserView};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminSettings {
    pub telemetry_enabled: bool,
    /// `TELEMETRY_ENABLED`, what a restart returns to.
    pub telemetry_default: bool,
    pub retention_days: i64,
}

#[cfg(feature = "ssr")]
fn admin() -> Result<(crate::domain::auth::Me, crate::state::AppState), ServerFnError> {
    let me = crate::auth::require(Role::Admin)?;
    Ok((me, expect_context::<crate::state::AppState>()))
}

#[cfg(feature = "ssr")]
fn unavailable(e: impl std::fmt::Display) -> ServerFnError {
    super::errors::unavailable("Admin action failed.", e, "the store is unavailable; nothing was changed")
}

#[server(endpoint = "admin/users")]
pub async fn list_users() -> Result<Vec<UserView>, ServerFnError> {
    let (_, state) = admin()?;
    state.store.list_users().await.map_err(unavailable)
}

#[server(endpoint = "admin/users/create")]
pub async fn create_user(email: String, password: String, role: Role) -> Result<UserView, ServerFnError> {
    let (me, state) = admin()?;
    let email = pipeline::store::normalize_email(&email);
    if !email.contains('@') || email.len() < 3 || email.len() > 254 {
        return Err(super::errors::invalid("email", "not an email address"));
    }
    if let Some(problem) = pipeline::auth::password::weakness(&password) {
        return Err(super::errors::invalid("password", problem));
    }
    let hash = tokio::task::spawn_blocking(move || pipeline::auth::password::hash(&password))
        .await
        .map_err(unavailable)?
        .map_err(unavailable)?;
    let created =
        state.store.create_user(&email, &hash, role, crate::domain::time::now_ms()).await.map_err(unavailable)?;
    let user = created.ok_or_else(|| super::errors::conflict(format!("{email} has an account already")))?;
    tracing::info!(by = me.id, user_id = user.id, role = role.as_str(), "User created.");
    Ok(user)
}

/// Refuses a change that would leave no admin able to sign in.
#[cfg(feature = "ssr")]
async fn keeps_an_admin(state: &crate::state::AppState, user_id: i64) -> Result<(), ServerFnError> {
    let users = state.store.list_users().await.map_err(unavailable)?;
    let others = users.iter().filter(|u| u.id != user_id && u.role == Role::Admin && !u.disabled).count();
    if others == 0 {
        return Err(super::errors::conflict("this is the last active admin"));
    }
    Ok(())
}

#[server(endpoint = "admin/users/role")]
pub async fn set_user_role(user_id: i64, role: Role) -> Result<(), ServerFnError> {
    let (me, state) = admin()?;
    if role != Role::Admin {
        keeps_an_admin(&state, user_id).await?;
    }
    if !state.store.set_role(user_id, role).await.map_err(unavailable)? {
        return Err(super::errors::not_found("userId", "user"));
    }
    tracing::info!(by = me.id, user_id, role = role.as_str(), "Role changed.");
    Ok(())
}

#[server(endpoint = "admin/users/disable")]
pub async fn set_user_disabled(user_id: i64, disabled: bool) -> Result<(), ServerFnError> {
    let (me, state) = admin()?;
    if disabled {
        keeps_an_admin(&state, user_id).await?;
    }
    if !state.store.set_disabled(user_id, disabled, crate::domain::time::now_ms()).await.map_err(unavailable)? {
        return Err(super::errors::not_found("userId", "user"));
    }
    tracing::info!(by = me.id, user_id, disabled, "User access changed.");
    Ok(())
}

#[server(endpoint = "admin/keys")]
pub async fn list_api_keys() -> Result<Vec<ApiKeyRecord>, ServerFnError> {
    let (_, state) = admin()?;
    state.store.list_api_keys().await.map_err(unavailable)
}

/// Creates a key and returns it — the only time it is ever shown.
#[server(endpoint = "admin/keys/create")]
pub async fn create_api_key(name: String, scope: KeyScope) -> Result<(ApiKeyRecord, String), ServerFnError> {
    let (me, state) = admin()?;
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(super::errors::invalid("name", "1 to 100 characters"));
    }
    let key = state.store.create_api_key(name, scope, crate::domain::time::now_ms()).await.map_err(unavailable)?;
    tracing::info!(by = me.id, key_id = key.record.id, scope = scope.as_str(), "API key created.");
    Ok((key.record, key.plaintext))
}

#[server(endpoint = "admin/keys/revoke")]
pub async fn revoke_api_key(key_id: i64) -> Result<(), ServerFnError> {
    let (me, state) = admin()?;
    if !state.store.revoke_api_key(key_id, crate::domain::time::now_ms()).await.map_err(unavailable)? {
        return Err(super::errors::not_found("keyId", "active key"));
    }
    tracing::info!(by = me.id, key_id, "API key revoked.");
    Ok(())
}

#[server(endpoint = "admin/settings")]
pub async fn get_admin_settings() -> Result<AdminSettings, ServerFnError> {
    let (_, state) = admin()?;
    Ok(AdminSettings {
        telemetry_enabled: state.telemetry_enabled(),
        telemetry_default: state.settings.telemetry_enabled,
        retention_days: state.retention_days(),
    })
}

#[server(endpoint = "admin/settings/telemetry")]
pub async fn set_telemetry(enabled: bool) -> Result<(), ServerFnError> {
    let (me, state) = admin()?;
    state.telemetry_enabled.store(enabled, std::sync::atomic::Ordering::Relaxed);
    tracing::warn!(by = me.id, enabled, "Telemetry ingest switched.");
    Ok(())
}

/// The `settings` row that keeps the retention across restarts.
pub const RETENTION_SETTING: &str = "retention_days";

#[server(endpoint = "admin/settings/retention")]
pub async fn set_retention_days(days: i64) -> Result<(), ServerFnError> {
    let (me, state) = admin()?;
    if !(1..=3650).contains(&days) {
        return Err(super::errors::invalid("days", "from 1 to 3650"));
    }
    state.store.set_setting(RETENTION_SETTING, &days.to_string()).await.map_err(unavailable)?;
    state.retention_days.store(days, std::sync::atomic::Ordering::Relaxed);
    tracing::info!(by = me.id, days, "Retention changed.");
    Ok(())
}
