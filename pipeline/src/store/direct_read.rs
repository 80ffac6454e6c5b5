//! Rollup reads (and the raw edges summaries read beside them) on
//! SQLite, through SQLite's own handle.
//!
//! sqlx runs each SQLite statement on a worker thread of its own and hands
//! every row to the reader by message, its values copied. A summary's
//! reads return hundreds of rows of 39 values each: one read of 60
//! minutes of rollups (742 rows) took 12 ms through sqlx, and 6.7 ms on a
//! connection driven directly (docs/performance.md). So rollup reads on
//! SQLite run here ([`Readers`]): on a blocking thread, on one of a few
//! connections kept open, each statement kept prepared. Postgres' driver
//! reads rows off its socket where they are wanted, and keeps sqlx.

use super::direct::{bind, connect};
use super::sql::{Cells, Statement};
use super::StoreError;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::Semaphore;

/// Reads that run at once, each on a connection of its own, kept open
/// between reads. Four keep two cores busy; each connection's page cache
/// (SQLite's default, 2 MB) is memory the server keeps.
const AT_ONCE: usize = 4;

/// Statements kept prepared per connection: the rollup reads are about a
/// dozen texts.
const PREPARED: usize = 32;

/// A few read connections to one SQLite file.
#[derive(Clone, Debug)]
pub struct Readers(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    /// A read's turn: one of [`AT_ONCE`].
    turns: Semaphore,
    idle: Mutex<Vec<rusqlite::Connection>>,
}

impl Readers {
    pub(super) fn new(path: PathBuf) -> Readers {
        Readers(Arc::new(Inner { path, turns: Semaphore::new(AT_ONCE), idle: Mutex::new(Vec::new()) }))
    }

    /// Hands back the idle connections' page caches (see
    /// `Store::release_memory`).
    pub(super) fn release_memory(&self) -> Result<(), StoreError> {
        for conn in self.0.idle.lock().unwrap_or_else(PoisonError::into_inner).iter() {
            conn.execute_batch("PRAGMA shrink_memory")?;
        }
        Ok(())
    }

    /// Closes the idle connections (a read after this opens its own again).
    pub(super) fn close(&self) {
        for conn in self.0.idle.lock().unwrap_or_else(PoisonError::into_inner).drain(..) {
            let _ = conn.close();
        }
    }

    /// Runs `st` and makes a `T` of each row it returns with `row`.
    pub(super) async fn rows<T, F>(&self, st: Statement, row: F) -> Result<Vec<T>, StoreError>
    where
        T: Send + 'static,
        F: Fn(&dyn Cells) -> Result<T, StoreError> + Send + 'static,
    {
        let turn = self.0.turns.acquire().await.expect("the turns are never closed");
        let inner = self.0.clone();
        let out = tokio::task::spawn_blocking(move || {
            let conn = match inner.idle.lock().unwrap_or_else(PoisonError::into_inner).pop() {
                Some(conn) => conn,
                None => open(&inner.path)?,
            };
            let out = read(&conn, st, &row);
            inner.idle.lock().unwrap_or_else(PoisonError::into_inner).push(conn);
            out
        })
        .await
        .unwrap_or_else(|e| match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("a read's thread was cancelled: {e}"),
        });
        drop(turn);
        out
    }
}

fn read<T>(
    conn: &rusqlite::Connection,
    st: Statement,
    row: &dyn Fn(&dyn Cells) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let st = st.per_row();
    let mut stmt = conn.prepare_cached(&st.sql)?;
    for values in st.rows().take(1) {
        for (i, v) in values.enumerate() {
            bind(&mut stmt, i + 1, v)?;
        }
    }
    let names: HashMap<String, usize> =
        stmt.column_names().into_iter().enumerate().map(|(i, n)| (n.to_string(), i)).collect();
    let mut out = Vec::new();
    let mut rows = stmt.raw_query();
    while let Some(r) = rows.next()? {
        out.push(row(&Row { row: r, names: &names })?);
    }
    Ok(out)
}

/// A row of a direct read, its columns found by name.
struct Row<'a, 'r> {
    row: &'a rusqlite::Row<'r>,
    names: &'a HashMap<String, usize>,
}

impl Row<'_, '_> {
    fn index(&self, column: &str) -> Result<usize, StoreError> {
        self.names.get(column).copied().ok_or_else(|| rusqlite::Error::InvalidColumnName(column.to_string()).into())
    }
}

impl Cells for Row<'_, '_> {
    fn int(&self, column: &str) -> Result<i64, StoreError> {
        Ok(self.row.get(self.index(column)?)?)
    }

    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.row.get(self.index(column)?)?)
    }

    fn text(&self, column: &str) -> Result<String, StoreError> {
        Ok(self.row.get(self.index(column)?)?)
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        Ok(self.row.get(self.index(column)?)?)
    }
}

/// Opens a read connection.
fn open(path: &std::path::Path) -> Result<rusqlite::Connection, StoreError> {
    let conn = connect(path)?;
    // Reads only: a statement that would write fails here.
    conn.execute_batch("PRAGMA query_only = ON")?;
    conn.set_prepared_statement_cache_capacity(PREPARED);
    Ok(conn)
}
