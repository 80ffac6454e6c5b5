//! What replicas share through the database: leases for the tasks that must
//! run once per cluster, failed sign-ins, and counters every replica adds
//! to. (With one process it all still works; it is just never contended.)

use super::{on_pool, on_writer, Store, StoreError};

impl Store {
    /// Takes or renews the lease on `name` for `holder` until `until_ms`;
    /// true when `holder` has it. Another holder's lease is taken over only
    /// once it has run out, so at most one replica holds it at a time.
    pub async fn try_lease(&self, name: &str, holder: &str, now_ms: i64, until_ms: i64) -> Result<bool, StoreError> {
        let sql = "INSERT INTO leases (name, holder, until_ms) VALUES ($1, $2, $3) \
                   ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms \
                   WHERE leases.until_ms <= $4 OR leases.holder = excluded.holder";
        let n = on_writer!(self, pool => sqlx::query(sql)
            .bind(name)
            .bind(holder)
            .bind(until_ms)
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Records a failed sign-in for `key` (an account or a client address)
    /// and forgets that key's failures from before `forget_before`.
    pub async fn add_login_failure(&self, key: &str, now_ms: i64, forget_before: i64) -> Result<(), StoreError> {
        on_writer!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM login_failures WHERE key = $1 AND at_ms < $2")
                .bind(key)
                .bind(forget_before)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO login_failures (key, at_ms) VALUES ($1, $2)")
                .bind(key)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// How many failures `key` had since `since`, and the oldest of them.
    pub async fn login_failures(&self, key: &str, since: i64) -> Result<(i64, Option<i64>), StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "SELECT COUNT(*), MIN(at_ms) FROM login_failures WHERE key = $1 AND at_ms >= $2",
        )
        .bind(key)
        .bind(since)
        .fetch_one(pool)
        .await?))
    }

    pub async fn clear_login_failures(&self, key: &str) -> Result<(), StoreError> {
        on_writer!(self, pool => sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .execute(pool)
            .await
            .map(drop)?);
        Ok(())
    }

    pub async fn counter(&self, name: &str) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar("SELECT value FROM counters WHERE name = $1")
            .bind(name)
            .fetch_one(pool)
            .await?))
    }

    /// Adds `delta` to the shared counter `name`; returns its new value.
    pub async fn add_to_counter(&self, name: &str, delta: i64) -> Result<i64, StoreError> {
        Ok(on_writer!(self, pool => sqlx::query_scalar(
            "UPDATE counters SET value = value + $1 WHERE name = $2 RETURNING value",
        )
        .bind(delta)
        .bind(name)
        .fetch_one(pool)
        .await?))
    }
}
