//! Durable storage through sqlx: an embedded SQLite file by default,
//! Postgres when the URL says so. Both run the same numbered migrations
//! (`migrations/sqlite`, `migrations/postgres`) and mostly the same SQL;
//! [`on_pool!`] writes a query once and runs it on whichever pool is open
//! ([`on_writer!`] for writes).
//!
//! SQLite gets one writer pool of one connection besides its readers: it
//! allows one writer at a time anyway, so writes take turns on it. Ingest's
//! group commits run in that turn on a connection of their own (`direct`),
//! always the same one: a connection that did not make the last write must
//! drop its page cache, so rotating writes across a pool made every batch
//! insert start cold (measured: ~30 % slower).

mod alerts;
mod archive;
mod audit;
mod batch;
mod cluster;
mod conversations;
mod direct;
mod direct_read;
mod events;
mod exports;
mod keys;
mod pricing;
mod reprice;
mod retention;
mod rollups;
mod sql;
mod sqlite_init;
mod turns;
mod users;

pub use archive::{ArchiveRun, BLOCK_EVENTS};
pub use batch::{Inserted, WRITE_LOCK_KEY};
pub use events::HistoryQuery;
pub use exports::StoredJob;
pub use keys::{hash_key, ApiKeyRecord, KeyScope, NewApiKey};
pub use retention::RetentionReport;
pub use rollups::{Blocks, Filters};
pub use turns::TurnFilter;
pub use users::Credentials;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From the SQLite writer's handle, driven directly (`direct`).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL `{0}`: use sqlite://path or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot create the database directory {path}: {source}")]
    CreateDir { path: String, source: std::io::Error },
    #[error("stored row is corrupt: {0}")]
    Corrupt(String),
}

/// A migration whose comments were corrected after it shipped.
struct CommentEdit {
    backend: &'static str,
    version: i64,
    /// SHA-384 (hex) of the text databases may have applied.
    old_checksum: &'static str,
}

const COMMENT_EDITS: &[CommentEdit] = &[
    // 0004: its `alert_rules.params` comment named a file that never existed.
    CommentEdit {
        backend: "sqlite",
        version: 4,
        old_checksum:
            "03cea216eb09da991b3fbcd85c20676cb028551433193608216d5c83387ea3cd29f873a6b1e7179befca897af89643f4",
    },
    CommentEdit {
        backend: "postgres",
        version: 4,
        old_checksum:
            "821f315d3761af907018ca218e95255b17794d19cc944c31039673018a529b8d0a11c9a6a76bd1f98f80387bbe89343b",
    },
];

/// A cheap, clonable handle to the connection pools.
#[derive(Clone, Debug)]
pub enum Store {
    /// `direct`: where ingest's group commits run, in `writer`'s turn.
    Sqlite {
        readers: SqlitePool,
        writer: SqlitePool,
        direct: direct::Writer,
        /// Rollup reads, through SQLite's own handle (`direct_read`).
        reads: direct_read::Readers,
    },
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

/// The size SQLite cuts its write-ahead log file back to once a checkpoint
/// has caught up, and at which ingest's writer checkpoints it itself
/// (`direct`). The log restarts from its beginning only once a checkpoint
/// has caught up, which under full ingest is mostly the writer's own, and
/// the file keeps the largest size it ever had; during a burst, readers
/// holding older snapshots keep checkpoints from catching up. 64 MiB, not
/// 16: at 100k events/s the log grows by about 120 MiB a second, and each
/// of the writer's own checkpoints holds up a group (docs/performance.md).
pub const WAL_LIMIT_BYTES: u64 = 64 << 20;

/// How long a SQLite write waits for another's lock before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl Store {
    /// Opens (creating a SQLite file and its directory when needed) and
    /// migrates the database at `url`.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool =
                PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
            Store::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            sqlite_init::configure();
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a commit is on disk before we acknowledge it.
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(BUSY_TIMEOUT)
                .foreign_keys(true)
                .pragma("journal_size_limit", WAL_LIMIT_BYTES.to_string());
            if let Some(dir) = opts.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|source| StoreError::CreateDir { path: dir.display().to_string(), source })?;
            }
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                // A writer still inside a transaction when taken again is
                // broken: SQLite rolled the failure back itself (a full
                // disk at COMMIT does) and sqlx's own ROLLBACK then found
                // nothing to end, leaving its count stuck. Closed instead,
                // the pool opens a fresh one: writes recover by themselves
                // once space returns (`server/tests/it/outages.rs`).
                .before_acquire(|conn, _| Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) }))
                .connect_with(opts.clone())
                .await?;
            let readers = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts.clone())
                .await?;
            let direct = direct::Writer::new(opts.get_filename().to_path_buf(), readers.clone());
            let reads = direct_read::Readers::new(opts.get_filename().to_path_buf());
            Store::Sqlite { readers, writer, direct, reads }
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self {
            Store::Sqlite { .. } => sqlx::migrate!("../migrations/sqlite"),
            Store::Postgres(_) => sqlx::migrate!("../migrations/postgres"),
        };
        self.accept_comment_edits(&migrator).await?;
        on_writer!(self, pool => migrator.run(pool).await?);
        Ok(())
    }

    /// sqlx refuses to start when an applied migration's text changed, even
    /// in a comment. For the comment-only corrections listed in
    /// [`COMMENT_EDITS`], a database that applied the earlier text is told
    /// the new checksum; any other change is still refused.
    async fn accept_comment_edits(&self, migrator: &sqlx::migrate::Migrator) -> Result<(), StoreError> {
        let backend = self.backend();
        for edit in COMMENT_EDITS.iter().filter(|e| e.backend == backend) {
            let Some(current) = migrator.iter().find(|m| m.version == edit.version) else { continue };
            let old = hex::decode(edit.old_checksum).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let sql = "UPDATE _sqlx_migrations SET checksum = $1 WHERE version = $2 AND checksum = $3";
            let applied = on_writer!(self, pool => {
                let table_exists = match backend {
                    "sqlite" => "SELECT COUNT(*) FROM sqlite_master WHERE name = '_sqlx_migrations'",
                    _ => "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = '_sqlx_migrations'",
                };
                if sqlx::query_scalar::<_, i64>(table_exists).fetch_one(pool).await? == 0 {
                    0
                } else {
                    sqlx::query(sql)
                        .bind(current.checksum.to_vec())
                        .bind(edit.version)
                        .bind(old)
                        .execute(pool)
                        .await?
                        .rows_affected()
                }
            });
            if applied > 0 {
                tracing::info!(version = edit.version, "Migration comment corrected; its checksum is updated.");
            }
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

    /// Hands back the SQLite writer's page cache (up to 48 MiB after a
    /// burst of ingest; the next write reads its pages back from the
    /// operating system's cache) and makes it light until the next burst
    /// (`direct::CacheSize`), and the direct readers' caches. Postgres
    /// keeps its cache in its own processes: nothing to do.
    pub async fn release_memory(&self) -> Result<(), StoreError> {
        if let Store::Sqlite { writer, direct, reads, .. } = self {
            direct.release_memory(writer).await?;
            reads.release_memory()?;
        }
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Store::Sqlite { readers, writer, direct, reads } => {
                direct.close();
                reads.close();
                readers.close().await;
                writer.close().await;
            }
            Store::Postgres(pool) => pool.close().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database that applied 0004 before its comment was corrected still
    /// opens; one whose migration really differs still does not.
    #[tokio::test]
    async fn comment_edits_are_accepted_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let set_checksum = |hex_sum: &'static str| {
            let url = url.clone();
            async move {
                let store = Store::connect(&url).await.unwrap();
                let Store::Sqlite { writer, .. } = &store else { unreachable!() };
                sqlx::query("UPDATE _sqlx_migrations SET checksum = $1 WHERE version = 4")
                    .bind(hex::decode(hex_sum).unwrap())
                    .execute(writer)
                    .await
                    .unwrap();
                store.close().await;
            }
        };
        set_checksum(COMMENT_EDITS[0].old_checksum).await;
        Store::connect(&url).await.expect("the earlier text of 0004 is accepted").close().await;
        set_checksum("00").await;
        let err = Store::connect(&url).await.expect_err("another text is refused");
        assert!(matches!(err, StoreError::Migrate(sqlx::migrate::MigrateError::VersionMismatch(4))), "{err}");
    }

    /// The events' status check (migration 0018) refuses what it refused
    /// before, and the writer's one-row insert no longer builds a table
    /// for it each time it runs (`OpenEphemeral`, which `IN` with three
    /// constants compiles to).
    #[tokio::test]
    async fn the_status_check_refuses_as_before_and_builds_no_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let store = Store::connect(&format!("sqlite://{}", path.display())).await.unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        let insert = "INSERT INTO events (chat_id, stage, status, ts, received_at) VALUES ('c', 's', ?1, 0, 0)";
        let mut explain = conn.prepare(&format!("EXPLAIN {insert}")).unwrap();
        let ops: Vec<String> = explain.query_map(["success"], |r| r.get(1)).unwrap().collect::<Result<_, _>>().unwrap();
        assert!(ops.iter().any(|op| op == "Insert"), "{ops:?}");
        assert!(!ops.iter().any(|op| op == "OpenEphemeral"), "a table per insert: {ops:?}");
        for status in ["success", "error", "running"] {
            assert_eq!(conn.execute(insert, [status]).unwrap(), 1, "{status}");
        }
        let refused = conn.execute(insert, ["done"]).unwrap_err().to_string();
        assert!(refused.contains("CHECK constraint failed"), "{refused}");
        let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(integrity, "ok");
        drop(explain);
        drop(conn);
        store.close().await;
    }

    /// After a burst of ingest the writer's page cache is full; releasing
    /// memory empties it, and the next write still works.
    #[tokio::test]
    async fn release_memory_empties_the_writers_page_cache() {
        use domain::{testing::ev, Status};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        let batch = |n: i64| {
            (0..1_000).map(|i| ev(0, &format!("c{n}-{}", i % 50), &format!("t{i}"), "s", Status::Success)).collect()
        };
        for n in 0..20 {
            store.insert_events(batch(n)).await.unwrap();
        }
        let Store::Sqlite { direct, .. } = &store else { unreachable!() };
        let full = direct.cache_used();
        assert!(full > 2 << 20, "the writer caches {full} B after 20,000 events");
        store.release_memory().await.unwrap();
        let released = direct.cache_used();
        assert!(released < full / 8, "the writer still caches {released} B of {full} B");
        store.insert_events(batch(20)).await.unwrap();
        store.close().await;
    }

    /// The writer's page cache is light under a trickle of events, heavy
    /// under a burst, and light again once the burst is released.
    #[tokio::test]
    async fn the_writers_cache_follows_the_load() {
        use domain::{testing::ev, Status};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        let batch = |n: i64, len: usize| {
            (0..len).map(|i| ev(0, &format!("c{n}-{}", i % 50), &format!("t{i}"), "s", Status::Success)).collect()
        };
        let Store::Sqlite { direct, .. } = &store else { unreachable!() };
        store.insert_events(batch(0, 20)).await.unwrap();
        let light = direct.cache_size_kib();
        store.insert_events(batch(1, 5_000)).await.unwrap();
        let heavy = direct.cache_size_kib();
        assert!(heavy >= 4 * light, "the writer caches {heavy} KiB during a burst, {light} KiB before");
        store.release_memory().await.unwrap();
        assert_eq!(direct.cache_size_kib(), light, "light again after the burst");
        store.insert_events(batch(2, 20)).await.unwrap();
        store.close().await;
    }

    /// A burst of writes while a reader holds an old snapshot grows the
    /// write-ahead log past its limit; once the reader is done, the next
    /// commits checkpoint it and cut the file back.
    #[tokio::test]
    async fn the_write_ahead_log_shrinks_back_after_a_burst() {
        use domain::{testing::ev, Status};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let store = Store::connect(&format!("sqlite://{}", path.display())).await.unwrap();
        let wal = || std::fs::metadata(dir.path().join("t.db-wal")).map_or(0, |m| m.len());
        let batch = |n: i64| {
            (0..1_000).map(|i| ev(0, &format!("c{n}-{}", i % 50), &format!("t{i}"), "s", Status::Success)).collect()
        };
        let Store::Sqlite { readers, .. } = &store else { unreachable!() };
        let mut reader = readers.begin().await.unwrap();
        sqlx::query("SELECT COUNT(*) FROM events").fetch_one(&mut *reader).await.unwrap();
        let mut n = 0;
        while wal() <= 2 * WAL_LIMIT_BYTES {
            store.insert_events(batch(n)).await.unwrap();
            n += 1;
        }
        reader.rollback().await.unwrap();
        let grown = wal();
        for _ in 0..20 {
            if wal() <= WAL_LIMIT_BYTES {
                break;
            }
            store.insert_events(batch(n)).await.unwrap();
            n += 1;
        }
        assert!(wal() <= WAL_LIMIT_BYTES, "the log file is {} B, {grown} B at its largest, after {n} batches", wal());
        store.close().await;
    }
}
