//! API keys: minted here, stored only as SHA-256 hashes (a key is 160 random
//! bits, so a fast hash is enough; passwords are another matter), verified by
//! hash. The plaintext exists once, in the response that creates it.

use super::{on_pool, on_writer, Store, StoreError};
pub use domain::auth::{ApiKeyRecord, KeyGrant, KeyScope};
use rand::RngCore;
use sha2::{Digest, Sha256};

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    id: i64,
    name: String,
    prefix: String,
    scope: String,
    tenant: Option<String>,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<ApiKeyRow> for ApiKeyRecord {
    fn from(r: ApiKeyRow) -> Self {
        ApiKeyRecord {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            scope: KeyScope::parse(&r.scope),
            tenant: r.tenant,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        }
    }
}

/// A freshly minted key: `plaintext` is shown once and then forgotten.
pub struct NewApiKey {
    pub plaintext: String,
    pub record: ApiKeyRecord,
}

/// Shown in lists to tell keys apart: `fm_` and the next 8 characters.
const PREFIX_LEN: usize = 11;
/// Don't write `last_used_at` more often than this per key.
const TOUCH_EVERY_MS: i64 = 60_000;

pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn mint() -> String {
    let mut bytes = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("fm_{}", hex::encode(bytes))
}

impl Store {
    /// Mints a key; `tenant` limits it to one tenant's data.
    pub async fn create_api_key(
        &self,
        name: &str,
        scope: KeyScope,
        tenant: Option<&str>,
        now_ms: i64,
    ) -> Result<NewApiKey, StoreError> {
        let plaintext = mint();
        let prefix = plaintext[..PREFIX_LEN].to_string();
        let sql = "INSERT INTO api_keys (name, prefix, key_hash, scope, tenant, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        let id: i64 = on_writer!(self, pool => sqlx::query_scalar(sql)
            .bind(name)
            .bind(&prefix)
            .bind(hash_key(&plaintext))
            .bind(scope.as_str())
            .bind(tenant)
            .bind(now_ms)
            .fetch_one(pool)
            .await?);
        let record = ApiKeyRecord {
            id,
            name: name.to_string(),
            prefix,
            scope,
            tenant: tenant.map(String::from),
            created_at: now_ms,
            last_used_at: None,
            revoked_at: None,
        };
        Ok(NewApiKey { plaintext, record })
    }

    /// What the active key with this hash grants, noting its use.
    pub async fn verify_api_key(&self, key_hash: &str, now_ms: i64) -> Result<Option<KeyGrant>, StoreError> {
        let found: Option<(i64, String, Option<String>, Option<i64>)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, scope, tenant, last_used_at FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash)
        .fetch_optional(pool)
        .await?);
        let Some((id, scope, tenant, last_used)) = found else { return Ok(None) };
        if last_used.is_none_or(|t| now_ms - t >= TOUCH_EVERY_MS) {
            on_writer!(self, pool => sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
                .bind(now_ms)
                .bind(id)
                .execute(pool)
                .await
                .map(drop)?);
        }
        Ok(Some(KeyGrant { scope: KeyScope::parse(&scope), tenant }))
    }

    pub async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let rows: Vec<ApiKeyRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, name, prefix, scope, tenant, created_at, last_used_at, revoked_at FROM api_keys ORDER BY id",
        )
        .fetch_all(pool)
        .await?);
        Ok(rows.into_iter().map(ApiKeyRecord::from).collect())
    }

    /// Revokes a key; false when there is no such active key.
    pub async fn revoke_api_key(&self, id: i64, now_ms: i64) -> Result<bool, StoreError> {
        let done = on_writer!(self, pool => sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms)
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(done == 1)
    }

    pub async fn active_api_key_count(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL")
            .fetch_one(pool)
            .await?))
    }
}
