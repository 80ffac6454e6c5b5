//! The SQLite writer's group commit, run on its handle directly.
//!
//! sqlx runs each SQLite statement on a worker thread of its own and hands
//! it over by message: a group commit's fifteen-odd statements were fifteen
//! round trips between that thread and the runtime, each waiting for a core
//! while the requests the last group answered became new ones. Measured by
//! phase, a group spent more time in those hand-offs than in SQLite
//! (docs/performance.md). Here the writer takes the handle from sqlx's
//! worker (`lock_handle`) and runs the whole group itself, with
//! [`rusqlite`] over the same handle: the same statements, written once
//! for both backends over [`Exec`], whose futures here never wait.
//!
//! The whole group, `BEGIN IMMEDIATE` (which may wait for another writer)
//! to `COMMIT` (and its fsync), runs off the runtime's workers
//! (`block_in_place`), so it holds up no request. Between groups that follow one another the
//! writer keeps its connection ([`Kept`]): giving it back to the pool and
//! taking it again costs a check by sqlx's worker each way, each waiting
//! behind the requests the last group answered.

use super::sql::{Exec, Record, Statement, Value};
use super::StoreError;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use sqlx::Sqlite;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::runtime::{Handle, RuntimeFlavor};

/// Longest the writer keeps its connection from the pool over groups that
/// follow one another: then it gives it back, and a write waiting for it
/// (an admin's, retention's) goes first.
const KEEP_AT_MOST: Duration = Duration::from_millis(50);

/// The writer's connection between two groups, and since when it has been
/// kept out of the pool.
#[derive(Clone, Debug, Default)]
pub struct Kept(Arc<Mutex<Option<Held>>>);

type Held = (PoolConnection<Sqlite>, Instant);

impl Kept {
    fn take(&self) -> Option<Held> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    /// Gives a kept connection back to the pool.
    pub(super) fn release(&self) {
        drop(self.take());
    }
}

/// The writer's handle inside a transaction `BEGIN IMMEDIATE` opened: runs
/// statements and ends the transaction.
pub(super) struct Direct {
    /// Borrows the handle sqlx's worker gave up; never closes it.
    conn: rusqlite::Connection,
}

impl Exec for Direct {
    const SQLITE: bool = true;

    async fn execute(&mut self, st: Statement) -> Result<(), StoreError> {
        self.prepare(st)?.raw_execute()?;
        Ok(())
    }

    async fn fetch_all<O: Record>(&mut self, st: Statement) -> Result<Vec<O>, StoreError> {
        let mut stmt = self.prepare(st)?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(O::read(row)?);
        }
        Ok(out)
    }
}

impl Direct {
    /// `st` prepared, its values bound.
    fn prepare(&self, st: Statement) -> rusqlite::Result<rusqlite::Statement<'_>> {
        let (sql, values) = st.into_sqlite();
        let mut stmt = self.conn.prepare(&sql)?;
        for (i, v) in values.iter().enumerate() {
            match v {
                Value::Int(n) => stmt.raw_bind_parameter(i + 1, n)?,
                Value::OptInt(n) => stmt.raw_bind_parameter(i + 1, n)?,
                Value::Text(s) => stmt.raw_bind_parameter(i + 1, s)?,
                Value::OptText(s) => stmt.raw_bind_parameter(i + 1, s)?,
            }
        }
        Ok(stmt)
    }

    /// Rolls back a transaction that a failure (or a panic) left open, so
    /// the handle goes back to sqlx as it came; whether one is still open
    /// even so (a full disk can do that).
    fn roll_back_if_open(&mut self) -> bool {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        !self.conn.is_autocommit()
    }
}

impl Drop for Direct {
    fn drop(&mut self) {
        self.roll_back_if_open();
    }
}

/// Runs `body` in one write transaction on the writer's connection and
/// commits it; an error anywhere rolls all of it back. The connection is
/// kept for the next group if `follows` says one waits.
///
/// `body` is handed a [`Direct`] and must wait on nothing else: its future
/// is driven to completion at once, on this thread. On a single-threaded
/// runtime (tests) the group blocks it, waiting for the write lock too.
pub(super) async fn transaction<T>(
    writer: &SqlitePool,
    kept: &Kept,
    follows: impl Fn() -> bool,
    body: impl AsyncFnOnce(&mut Direct) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let group = on_connection(writer, kept, follows, body);
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(|| Handle::current().block_on(group)),
        // A test's single thread just runs it.
        _ => group.await,
    }
}

async fn on_connection<T>(
    writer: &SqlitePool,
    kept: &Kept,
    follows: impl Fn() -> bool,
    body: impl AsyncFnOnce(&mut Direct) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let (mut conn, since) = match kept.take() {
        Some(kept) => kept,
        None => (writer.acquire().await?, Instant::now()),
    };
    let (outcome, open) = run(&mut conn, body).await;
    if open {
        // Neither COMMIT nor ROLLBACK ended the transaction: the connection
        // is closed instead of handed out again, so writes recover by
        // themselves (`server/tests/outages.rs`).
        conn.close_on_drop();
    } else if outcome.is_ok() && since.elapsed() < KEEP_AT_MOST && follows() {
        *kept.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((conn, since));
    }
    outcome
}

/// The group on the handle; and whether the handle was left inside a
/// transaction (or cannot be told), when the connection must not be reused.
async fn run<T>(
    conn: &mut SqliteConnection,
    body: impl AsyncFnOnce(&mut Direct) -> Result<T, StoreError>,
) -> (Result<T, StoreError>, bool) {
    let mut handle = match conn.lock_handle().await {
        Ok(handle) => handle,
        // sqlx's worker is gone.
        Err(e) => return (Err(e.into()), true),
    };
    // SAFETY: sqlx's worker gave the handle up until `handle` is dropped,
    // and `direct` (which does not close it) is dropped first, at the end
    // of this function.
    let conn = unsafe { rusqlite::Connection::from_handle(handle.as_raw_handle().as_ptr()) };
    let mut direct = match conn {
        Ok(conn) => Direct { conn },
        Err(e) => return (Err(e.into()), false),
    };
    let group = || {
        // Takes the write lock now, waiting (up to the busy timeout) for
        // another writer, such as a CLI command, to finish.
        direct.conn.execute_batch("BEGIN IMMEDIATE")?;
        let value = futures::executor::block_on(body(&mut direct))?;
        direct.conn.execute_batch("COMMIT")?;
        Ok(value)
    };
    let outcome = group();
    (outcome, direct.roll_back_if_open())
}
