//! Admin price overrides: whole pricing entries, each effective from a time.
//! Kept forever (they are small) so that repricing an old range uses the
//! prices that were in effect then.

use super::{on_pool, on_writer, Store, StoreError};
use domain::pricing::{Origin, PriceEntry};

impl Store {
    /// Every admin override, oldest first.
    pub async fn price_overrides(&self) -> Result<Vec<PriceEntry>, StoreError> {
        let rows: Vec<(String, i64, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT entry, effective_from, created_at FROM pricing_overrides ORDER BY effective_from, id",
        )
        .fetch_all(pool)
        .await?);
        rows.into_iter()
            .map(|(json, effective_from, created_at)| {
                let mut e: PriceEntry =
                    serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("price override: {e}")))?;
                e.origin = Origin::Admin { effective_from, created_at };
                Ok(e)
            })
            .collect()
    }

    pub async fn add_price_override(
        &self,
        entry: &PriceEntry,
        effective_from: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(entry).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        on_writer!(self, pool => sqlx::query(
            "INSERT INTO pricing_overrides (entry_id, entry, effective_from, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&entry.id)
        .bind(json)
        .bind(effective_from)
        .bind(now_ms)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }
}
