//! The SQLite writer's group commit, run on a connection of its own.
//!
//! sqlx runs each SQLite statement on a worker thread of its own and hands
//! it over by message: a group commit's fifteen-odd statements were fifteen
//! round trips between that thread and the runtime, each waiting for a core
//! while the requests the last group answered became new ones. And each
//! group's `VALUES` lists, as long as its rows, were new text for SQLite to
//! prepare: about half of a group's statements' time (docs/performance.md).
//!
//! So the writer keeps a connection of its own ([`Writer`]), opened with
//! [`rusqlite`], and runs the whole group on it: the same statements,
//! written once for both backends over [`Exec`], whose futures here never
//! wait. Each is run once per row ([`Statement::per_row`]), so its text
//! is the same from group to group and stays prepared for the connection's
//! life.
//!
//! Writes stay one at a time in this process: a group takes its turn by
//! holding the writer pool's one connection, as every other write does
//! (an admin's, retention's). Between groups that follow one another the
//! writer keeps that turn ([`KEEP_AT_MOST`]), and the whole group,
//! `BEGIN IMMEDIATE` (which may wait for another process's write) to
//! `COMMIT` (and its fsync), runs off the runtime's workers
//! (`block_in_place`), so it holds up no request.
//!
//! Copying the write-ahead log back into the database (a checkpoint) is
//! not left to the commit that crosses SQLite's threshold, which then did
//! it inline: measured, that was nearly half of what `BEGIN` and `COMMIT`
//! cost the writer. A reader's connection does it beside the writer
//! instead ([`CHECKPOINT_EVERY`]); the writer checkpoints itself only when
//! the log reaches [`WAL_LIMIT_BYTES`] all the same.
//!
//! The writer's page cache is sized by how heavy ingest is ([`CacheSize`]):
//! large while it writes thousands of events a second, when the index pages
//! it keeps are what makes it fast; small otherwise, when reading a page
//! back from the operating system's cache costs a steady stream of events
//! nothing anyone sees, and the large cache was the server's largest growth
//! under live load on a big store (docs/performance.md).

use super::sql::{Exec, Record, Statement, Value};
use super::{StoreError, BUSY_TIMEOUT, WAL_LIMIT_BYTES};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::SqlitePool;
use sqlx::Sqlite;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::runtime::{Handle, RuntimeFlavor};

/// Longest the writer keeps its turn over groups that follow one another:
/// then it gives the pool's connection back, and a write waiting for it
/// (an admin's, retention's) goes first.
const KEEP_AT_MOST: Duration = Duration::from_millis(50);

/// Statements kept prepared: a group runs about fifteen different ones.
const PREPARED: usize = 64;

/// How often, at most, a reader's connection checkpoints the log after
/// groups (SQLite's own threshold of 1,000 pages comes about every 30 ms
/// at full ingest).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// The log's size, in pages of 4 KiB, at which the writer checkpoints it
/// itself: when the checkpoints beside it fall behind (or a reader keeps
/// them from finishing), the log is still kept to [`WAL_LIMIT_BYTES`].
const CHECKPOINT_INLINE_PAGES: u64 = WAL_LIMIT_BYTES / 4096;

/// The writer's page cache under heavy ingest (SQLite's default is
/// 2 MiB): the index pages a batch insert touches stay in memory. 48 MiB,
/// not 64: with the reserve in SQLite's shared page budget (`sqlite_init`)
/// the writer keeps its most used pages at this size too (batches on 1M
/// rows as fast), and the budget's sum is what it was before the reserve.
const HEAVY_CACHE_KIB: u32 = 48 << 10;

/// The writer's page cache otherwise. SQLite's caches share one budget,
/// the sum of their sizes, so this also bounds what the readers' caches
/// can borrow from the writer's share.
const LIGHT_CACHE_KIB: u32 = 8 << 10;

/// Events written in one second from which ingest counts as heavy: about
/// twice a busy live load (the footprint bench's is 2,000 a second), and
/// far below what any of the ingest benches sends.
const HEAVY_PER_SECOND: usize = 5_000;

/// How long the heavy cache is kept after the last heavy second, so load
/// that hovers near the line does not drop and reread pages every second.
const HEAVY_HOLD: Duration = Duration::from_secs(3);

/// The SQLite writer's own connection, and its turn between two groups.
#[derive(Clone, Debug)]
pub struct Writer {
    path: Arc<PathBuf>,
    /// Opened at the first group; closed again when a failure left it
    /// inside a transaction it cannot end.
    conn: Arc<Mutex<Option<rusqlite::Connection>>>,
    /// Its page cache's size; locked after `conn`.
    cache: Arc<Mutex<CacheSize>>,
    /// The turn, kept from one group to the next.
    kept: Arc<Mutex<Option<Turn>>>,
    /// Where checkpoints run beside the writer.
    readers: SqlitePool,
    /// When the last checkpoint beside the writer began, if it is over.
    checkpointed: Arc<Mutex<Option<Instant>>>,
}

/// The writer pool's connection, held as the writer's turn, and since when.
type Turn = (PoolConnection<Sqlite>, Instant);

impl Writer {
    /// The writer for the database file at `path`, checkpointing on one of
    /// `readers`; opens nothing yet.
    pub(super) fn new(path: PathBuf, readers: SqlitePool) -> Writer {
        Writer {
            path: Arc::new(path),
            conn: Arc::default(),
            cache: Arc::new(Mutex::new(CacheSize::new(Instant::now()))),
            kept: Arc::default(),
            readers,
            checkpointed: Arc::new(Mutex::new(Some(Instant::now()))),
        }
    }

    /// Runs `body`, a group of `events`, in one write transaction on the
    /// writer's connection and commits it; an error anywhere rolls all of
    /// it back. The turn is kept for the next group if `follows` says one
    /// waits.
    ///
    /// `body` is handed a [`Direct`] and must wait on nothing else: its
    /// future is driven to completion at once, on this thread. On a
    /// single-threaded runtime (tests) the group blocks it, waiting for
    /// the write lock too.
    pub(super) async fn transaction<T>(
        &self,
        pool: &SqlitePool,
        events: usize,
        follows: impl Fn() -> bool,
        body: impl AsyncFnOnce(&mut Direct<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let (turn, since) = match self.take_turn() {
            Some(kept) => kept,
            None => (pool.acquire().await?, Instant::now()),
        };
        let group = || self.run(events, body);
        let outcome = match Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(group),
            // A test's single thread just runs it.
            _ => group(),
        };
        if outcome.is_ok() {
            if since.elapsed() < KEEP_AT_MOST && follows() {
                *self.kept.lock().unwrap_or_else(PoisonError::into_inner) = Some((turn, since));
            }
            self.checkpoint_beside();
        }
        outcome
    }

    /// Starts a checkpoint on a reader's connection, unless one is running
    /// or began less than [`CHECKPOINT_EVERY`] ago. `PASSIVE`: it copies
    /// what no reader still needs, waits for nobody, and the writer goes
    /// on meanwhile.
    fn checkpoint_beside(&self) {
        {
            let mut last = self.checkpointed.lock().unwrap_or_else(PoisonError::into_inner);
            match *last {
                Some(began) if began.elapsed() >= CHECKPOINT_EVERY => *last = None,
                _ => return,
            }
        }
        let (readers, checkpointed) = (self.readers.clone(), self.checkpointed.clone());
        tokio::spawn(async move {
            let began = Instant::now();
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&readers).await {
                // The writer's own checkpoint at the limit still bounds the log.
                tracing::warn!(error = %e, "A checkpoint beside the SQLite writer failed.");
            }
            *checkpointed.lock().unwrap_or_else(PoisonError::into_inner) = Some(began);
        });
    }

    fn take_turn(&self) -> Option<Turn> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    /// The group, of `events`, on the writer's connection.
    fn run<T>(
        &self,
        events: usize,
        body: impl AsyncFnOnce(&mut Direct<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut slot = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let conn = match slot.take() {
            Some(conn) => conn,
            None => {
                let conn = open(&self.path)?;
                cache.set = None;
                conn
            }
        };
        let size = cache.count(events, Instant::now());
        if let Err(e) = cache.apply(&conn, size) {
            *slot = Some(conn);
            return Err(e);
        }
        drop(cache);
        let mut direct = Direct { conn: &conn };
        let group = || {
            // Takes the write lock now, waiting (up to the busy timeout) for
            // another process's write, such as a CLI command, to finish.
            direct.conn.execute_batch("BEGIN IMMEDIATE")?;
            let value = futures::executor::block_on(body(&mut direct))?;
            direct.conn.execute_batch("COMMIT")?;
            Ok(value)
        };
        let outcome = group();
        let open = direct.roll_back_if_open();
        drop(direct);
        if open {
            // Neither COMMIT nor ROLLBACK ended the transaction: closed
            // instead of used again, so writes recover by themselves once
            // the next group opens a fresh one (`server/tests/it/outages.rs`).
            close(conn);
        } else {
            *slot = Some(conn);
        }
        outcome
    }

    /// Hands back the writer's page cache (see `Store::release_memory`),
    /// in its turn.
    pub(super) async fn release_memory(&self, pool: &SqlitePool) -> Result<(), StoreError> {
        let turn = match self.take_turn() {
            Some((turn, _)) => turn,
            None => pool.acquire().await?,
        };
        let slot = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(conn) = &*slot {
            conn.execute_batch("PRAGMA shrink_memory")?;
            // The burst is over: light until the next.
            let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            cache.heavy = None;
            cache.apply(conn, LIGHT_CACHE_KIB)?;
        }
        drop(slot);
        drop(turn);
        Ok(())
    }

    /// Gives the turn back and closes the writer's connection.
    pub(super) fn close(&self) {
        drop(self.take_turn());
        if let Some(conn) = self.conn.lock().unwrap_or_else(PoisonError::into_inner).take() {
            close(conn);
        }
    }

    /// The writer's page cache size in KiB, as its connection reports it.
    #[cfg(test)]
    pub(super) fn cache_size_kib(&self) -> i64 {
        let slot = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let conn = slot.as_ref().expect("the writer's connection is open");
        -conn.pragma_query_value(None, "cache_size", |row| row.get::<_, i64>(0)).expect("cache_size")
    }

    /// Bytes of page cache the writer's connection holds.
    #[cfg(test)]
    pub(super) fn cache_used(&self) -> i32 {
        let slot = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(conn) = &*slot else { return 0 };
        let (mut current, mut highest) = (0, 0);
        // SAFETY: the handle is used while `conn`, which owns it, is held
        // locked, and the out-pointers outlive the call.
        let rc = unsafe {
            libsqlite3_sys::sqlite3_db_status(
                conn.handle(),
                libsqlite3_sys::SQLITE_DBSTATUS_CACHE_USED,
                &mut current,
                &mut highest,
                0,
            )
        };
        assert_eq!(rc, libsqlite3_sys::SQLITE_OK);
        current
    }
}

/// Binds `v` to the `i`th placeholder (from 1) of `stmt`.
pub(super) fn bind(stmt: &mut rusqlite::Statement<'_>, i: usize, v: &Value) -> rusqlite::Result<()> {
    match v {
        Value::Int(n) | Value::Sparse(n) => stmt.raw_bind_parameter(i, n),
        Value::OptInt(n) => stmt.raw_bind_parameter(i, n),
        Value::Text(s) => stmt.raw_bind_parameter(i, s),
        Value::OptText(s) => stmt.raw_bind_parameter(i, s),
        Value::Bytes(b) => stmt.raw_bind_parameter(i, b),
    }
}

/// A connection of its own to the file at `path`, driven directly: used by
/// one thread at a time, waiting for another's lock as the pools do.
pub(super) fn connect(path: &std::path::Path) -> Result<rusqlite::Connection, StoreError> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// Opens the writer's connection with the settings of the pools' (see
/// `Store::connect`); its page cache is sized before each group
/// ([`CacheSize`]).
fn open(path: &std::path::Path) -> Result<rusqlite::Connection, StoreError> {
    let conn = connect(path)?;
    // FULL: a commit is on disk before it is acknowledged.
    conn.execute_batch(&format!(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
         PRAGMA journal_size_limit = {WAL_LIMIT_BYTES}; \
         PRAGMA wal_autocheckpoint = {CHECKPOINT_INLINE_PAGES};"
    ))?;
    conn.set_prepared_statement_cache_capacity(PREPARED);
    Ok(conn)
}

/// The writer's page cache size: [`HEAVY_CACHE_KIB`] from the moment the
/// events written in one second reach [`HEAVY_PER_SECOND`] until
/// [`HEAVY_HOLD`] after the last such second, [`LIGHT_CACHE_KIB`]
/// otherwise. Lowered, SQLite lets go of the pages past the new size at
/// once.
#[derive(Debug)]
struct CacheSize {
    /// The second being counted: when it began, and the events written in it.
    second: (Instant, usize),
    /// When a second last reached [`HEAVY_PER_SECOND`].
    heavy: Option<Instant>,
    /// The size the connection has, in KiB; `None` until given one.
    set: Option<u32>,
}

impl CacheSize {
    fn new(now: Instant) -> CacheSize {
        CacheSize { second: (now, 0), heavy: None, set: None }
    }

    /// Counts a group of `events` written at `now`: the size to write it
    /// with.
    fn count(&mut self, events: usize, now: Instant) -> u32 {
        if now.saturating_duration_since(self.second.0) >= Duration::from_secs(1) {
            self.second = (now, 0);
        }
        self.second.1 += events;
        if self.second.1 >= HEAVY_PER_SECOND {
            self.heavy = Some(now);
        }
        match self.heavy {
            Some(at) if now.saturating_duration_since(at) < HEAVY_HOLD => HEAVY_CACHE_KIB,
            _ => LIGHT_CACHE_KIB,
        }
    }

    /// Gives `conn` the size `kib`, unless it has it.
    fn apply(&mut self, conn: &rusqlite::Connection, kib: u32) -> Result<(), StoreError> {
        if self.set != Some(kib) {
            conn.execute_batch(&format!("PRAGMA cache_size = -{kib}"))?;
            self.set = Some(kib);
        }
        Ok(())
    }
}

fn close(conn: rusqlite::Connection) {
    if let Err((_, e)) = conn.close() {
        // Left to the operating system: nothing more to lose.
        tracing::warn!(error = %e, "The SQLite writer's connection did not close.");
    }
}

/// The writer's connection inside a transaction `BEGIN IMMEDIATE` opened:
/// runs statements and ends the transaction.
pub(super) struct Direct<'c> {
    conn: &'c rusqlite::Connection,
}

impl Exec for Direct<'_> {
    async fn execute(&mut self, st: Statement) -> Result<(), StoreError> {
        self.each_row(st, |stmt| {
            stmt.raw_execute()?;
            Ok(())
        })
    }

    async fn fetch_all<O: Record>(&mut self, st: Statement) -> Result<Vec<O>, StoreError> {
        let mut out = Vec::new();
        self.each_row(st, |stmt| {
            let mut rows = stmt.raw_query();
            while let Some(row) = rows.next()? {
                out.push(O::read(row)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Each row's id as it is inserted.
    async fn insert_ids(&mut self, st: Statement) -> Result<Vec<i64>, StoreError> {
        let mut ids = Vec::new();
        let conn = self.conn;
        self.each_row(st, |stmt| {
            stmt.raw_execute()?;
            ids.push(conn.last_insert_rowid());
            Ok(())
        })?;
        Ok(ids)
    }
}

impl Direct<'_> {
    /// Runs `run` on `st`, prepared once (or found prepared), for each of
    /// its rows with that row's values bound.
    fn each_row(
        &self,
        st: Statement,
        mut run: impl FnMut(&mut rusqlite::Statement<'_>) -> rusqlite::Result<()>,
    ) -> Result<(), StoreError> {
        let st = st.per_row();
        let mut rows = st.rows().peekable();
        if rows.peek().is_none() {
            return Ok(());
        }
        let mut stmt = self.conn.prepare_cached(&st.sql)?;
        for row in rows {
            for (i, v) in row.enumerate() {
                bind(&mut stmt, i + 1, v)?;
            }
            run(&mut stmt)?;
        }
        Ok(())
    }

    /// Rolls back a transaction that a failure (or a panic) left open, so
    /// the next group starts afresh; whether one is still open even so (a
    /// full disk can do that).
    fn roll_back_if_open(&mut self) -> bool {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        !self.conn.is_autocommit()
    }
}

impl Drop for Direct<'_> {
    fn drop(&mut self) {
        self.roll_back_if_open();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Heavy from the group that brings a second to the line, held for
    /// [`HEAVY_HOLD`] after the last heavy second, light otherwise; a
    /// steady live load stays light.
    #[test]
    fn the_cache_is_heavy_only_while_ingest_is() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut cache = CacheSize::new(start);
        // 2,000 events a second in groups of 20, for three seconds.
        for tick in 0..300 {
            assert_eq!(cache.count(20, at(tick * 10)), LIGHT_CACHE_KIB, "a live load at {} ms", tick * 10);
        }
        // A burst: the group that reaches the line is heavy itself.
        assert_eq!(cache.count(HEAVY_PER_SECOND - 1, at(3_000)), LIGHT_CACHE_KIB);
        assert_eq!(cache.count(1, at(3_100)), HEAVY_CACHE_KIB);
        // Quiet seconds after it keep the heavy size for the hold, no longer.
        let last = 3_100 + HEAVY_HOLD.as_millis() as u64;
        assert_eq!(cache.count(1, at(last - 1)), HEAVY_CACHE_KIB);
        assert_eq!(cache.count(1, at(last)), LIGHT_CACHE_KIB);
        // One group as large as the line is heavy by itself.
        assert_eq!(cache.count(HEAVY_PER_SECOND, at(last + 5_000)), HEAVY_CACHE_KIB);
    }
}
