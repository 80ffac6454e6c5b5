//! Durable storage through sqlx: an embedded SQLite file by default,
//! Postgres when the URL says so. Both run the same numbered migrations
//! (`migrations/sqlite`, `migrations/postgres`) and mostly the same SQL;
//! [`on_pool!`] writes a query once and runs it on whichever pool is open
//! ([`on_writer!`] for writes).
//!
//! SQLite gets one dedicated writer connection besides its readers: it
//! allows one writer at a time anyway, and a connection that did not make
//! the last write must drop its page cache, so rotating writes across a
//! pool made every batch insert start cold (measured: ~30 % slower).

mod alerts;
mod batch;
mod conversations;
mod events;
mod keys;
mod pricing;
mod reprice;
mod retention;
mod rollups;
mod turns;
mod users;

pub use events::HistoryQuery;
pub use keys::{hash_key, ApiKeyRecord, KeyScope, NewApiKey};
pub use retention::RetentionReport;
pub use rollups::{merge, Filters};
pub use turns::TurnFilter;
pub use users::{normalize_email, Credentials};

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL `{0}`: use sqlite://path or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot create the database directory {path}: {source}")]
    CreateDir { path: String, source: std::io::Error },
    #[error("stored row is corrupt: {0}")]
    Corrupt(String),
}

/// A cheap, clonable handle to the connection pools.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite { readers: SqlitePool, writer: SqlitePool },
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the pool for reads, whichever backend.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite { readers: $pool, .. } => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Runs `$body` with `$pool` bound to the pool for writes.
macro_rules! on_writer {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite { writer: $pool, .. } => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_writer;

impl Store {
    /// Opens (creating a SQLite file and its directory when needed) and
    /// migrates the database at `url`.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool =
                PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
            Store::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a commit is on disk before we acknowledge it.
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            if let Some(dir) = opts.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|source| StoreError::CreateDir { path: dir.display().to_string(), source })?;
            }
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                // 64 MiB of page cache (the default is 2 MiB), so the index
                // pages a batch insert touches stay in memory.
                .connect_with(opts.clone().pragma("cache_size", "-65536"))
                .await?;
            let readers = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Store::Sqlite { readers, writer }
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite { writer, .. } => sqlx::migrate!("../migrations/sqlite").run(writer).await?,
            Store::Postgres(pool) => sqlx::migrate!("../migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite { .. } => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// A round trip to the database, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(drop)?);
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Store::Sqlite { readers, writer } => {
                readers.close().await;
                writer.close().await;
            }
            Store::Postgres(pool) => pool.close().await,
        }
    }
}
