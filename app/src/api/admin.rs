//! The admin area's server functions: users, API keys, telemetry,
//! retention and the audit log. Each changes state only through the
//! service, which records who did it.

use crate::domain::audit::AuditEntry;
use crate::domain::auth::{ApiKeyRecord, KeyScope, Role, UserView};
use crate::domain::settings::AdminSettings;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {super::errors::refused, crate::domain::time::now_ms};

#[server(endpoint = "admin/users")]
pub async fn list_users() -> Result<Vec<UserView>, ServerFnError> {
    let (service, _) = super::enter::<ListUsers>()?;
    service.users().await.map_err(refused)
}

#[server(endpoint = "admin/users/create")]
pub async fn create_user(email: String, password: String, role: Role) -> Result<UserView, ServerFnError> {
    let (service, viewer) = super::enter::<CreateUser>()?;
    service.create_user(&viewer, &email, &password, role, now_ms()).await.map_err(refused)
}

#[server(endpoint = "admin/users/role")]
pub async fn set_user_role(user_id: i64, role: Role) -> Result<(), ServerFnError> {
    let (service, viewer) = super::enter::<SetUserRole>()?;
    service.set_role(&viewer, user_id, role).await.map_err(refused)
}

#[server(endpoint = "admin/users/disable")]
pub async fn set_user_disabled(user_id: i64, disabled: bool) -> Result<(), ServerFnError> {
    let (service, viewer) = super::enter::<SetUserDisabled>()?;
    service.set_disabled(&viewer, user_id, disabled, now_ms()).await.map_err(refused)
}

#[server(endpoint = "admin/keys")]
pub async fn list_api_keys() -> Result<Vec<ApiKeyRecord>, ServerFnError> {
    let (service, _) = super::enter::<ListApiKeys>()?;
    service.api_keys().await.map_err(refused)
}

/// Creates a key and returns it — the only time it is ever shown.
#[server(endpoint = "admin/keys/create")]
pub async fn create_api_key(
    name: String,
    scope: KeyScope,
    #[server(default)] tenant: Option<String>,
) -> Result<(ApiKeyRecord, String), ServerFnError> {
    let (service, viewer) = super::enter::<CreateApiKey>()?;
    let key = service.create_api_key(&viewer, &name, scope, tenant.as_deref(), now_ms()).await.map_err(refused)?;
    Ok((key.record, key.plaintext))
}

#[server(endpoint = "admin/keys/revoke")]
pub async fn revoke_api_key(key_id: i64) -> Result<(), ServerFnError> {
    let (service, viewer) = super::enter::<RevokeApiKey>()?;
    service.revoke_api_key(&viewer, key_id, now_ms()).await.map_err(refused)
}

#[server(endpoint = "admin/settings")]
pub async fn get_admin_settings() -> Result<AdminSettings, ServerFnError> {
    let (service, _) = super::enter::<GetAdminSettings>()?;
    Ok(service.settings())
}

#[server(endpoint = "admin/settings/telemetry")]
pub async fn set_telemetry(enabled: bool) -> Result<(), ServerFnError> {
    let (service, viewer) = super::enter::<SetTelemetry>()?;
    service.set_telemetry(&viewer, enabled).await.map_err(refused)
}

#[server(endpoint = "admin/settings/retention")]
pub async fn set_retention_days(days: i64) -> Result<(), ServerFnError> {
    let (service, viewer) = super::enter::<SetRetentionDays>()?;
    service.set_retention_days(&viewer, days).await.map_err(refused)
}

/// The latest admin actions, newest first.
#[server(endpoint = "admin/audit")]
pub async fn get_audit_log(limit: i64) -> Result<Vec<AuditEntry>, ServerFnError> {
    let (service, _) = super::enter::<GetAuditLog>()?;
    service.audit_log(limit).await.map_err(refused)
}
