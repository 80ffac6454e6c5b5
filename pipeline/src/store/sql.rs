//! Statements the store writes once and runs on either backend.
//!
//! A [`Statement`] is SQL text with its values, bound as it is written:
//! numbered placeholders (`$1`, `$2`, …) for Postgres, anonymous ones (`?`)
//! for SQLite, whose driver looks each named placeholder up by a linear
//! scan (a 400-row insert with 8,400 `$N`s spent most of its time there).
//! [`Exec`] runs one inside a transaction, on a sqlx connection of either
//! database or on the SQLite writer's own handle, so the helpers that write
//! are plain generic `async fn`s over `X: Exec`.

use super::StoreError;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Database, Encode, FromRow, Postgres, Sqlite, Transaction, Type};
use std::fmt::Write;

/// One value to bind.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Value {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::OptInt(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::OptText(v)
    }
}

/// SQL text and the values its placeholders stand for, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Statement {
    /// With `$1`, `$2`, … (Postgres).
    numbered: String,
    /// With `?` (SQLite).
    anonymous: String,
    values: Vec<Value>,
}

impl Statement {
    pub fn new(sql: impl Into<String>) -> Statement {
        let sql = sql.into();
        Statement { anonymous: sql.clone(), numbered: sql, values: Vec::new() }
    }

    pub fn push(&mut self, sql: &str) -> &mut Statement {
        self.numbered.push_str(sql);
        self.anonymous.push_str(sql);
        self
    }

    /// Writes the next placeholder and binds `v` to it.
    pub fn bind(&mut self, v: impl Into<Value>) -> &mut Statement {
        self.values.push(v.into());
        let _ = write!(self.numbered, "${}", self.values.len());
        self.anonymous.push('?');
        self
    }

    /// `VALUES (…), (…)`: one tuple per row, its values bound by `row`.
    pub fn values<T>(&mut self, rows: &[T], mut row: impl FnMut(&mut Tuple<'_>, &T)) -> &mut Statement {
        self.push("VALUES ");
        for (i, r) in rows.iter().enumerate() {
            self.push(if i == 0 { "(" } else { ", (" });
            row(&mut Tuple { st: self, first: true }, r);
            self.push(")");
        }
        self
    }

    /// `(…)`: each of `items` bound, comma-separated (an `IN` list).
    pub fn list<T: Into<Value> + Copy>(&mut self, items: &[T]) -> &mut Statement {
        self.push("(");
        let mut tuple = Tuple { st: self, first: true };
        for &v in items {
            tuple.bind(v);
        }
        self.push(")")
    }
}

/// The values of one `VALUES` tuple.
pub(super) struct Tuple<'a> {
    st: &'a mut Statement,
    first: bool,
}

impl Tuple<'_> {
    pub fn bind(&mut self, v: impl Into<Value>) -> &mut Self {
        if !std::mem::take(&mut self.first) {
            self.st.push(", ");
        }
        self.st.bind(v);
        self
    }
}

/// `f(c)` for each of `columns`, comma-separated (a select list, a `SET`).
pub(super) fn each(columns: &[impl AsRef<str>], f: impl Fn(&str) -> String) -> String {
    columns.iter().map(|c| f(c.as_ref())).collect::<Vec<_>>().join(", ")
}

/// A row the write helpers read back: decoded alike from either backend
/// through sqlx, or from SQLite's handle driven directly ([`super::direct`]).
pub(super) trait Record:
    Sized + Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow>
{
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

macro_rules! records {
    ($(($($t:ident $i:tt),+)),+) => {$(
        impl Record for ($($t,)+) {
            fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok(($(row.get::<_, $t>($i)?,)+))
            }
        }
    )+};
}
records!((i64 0), (String 0), (String 0, String 1), (String 0, i64 1));

/// Where the store's write helpers run their statements, inside a
/// transaction someone else began: a sqlx transaction on either backend,
/// or the SQLite writer's handle held directly. So each helper is one plain
/// generic `async fn` over `X: Exec`, written once for both databases.
pub(super) trait Exec {
    /// Whether this is SQLite (ids come from `last_insert_rowid()`).
    const SQLITE: bool;

    /// Runs `st`.
    async fn execute(&mut self, st: Statement) -> Result<(), StoreError>;

    /// Runs `st` and reads every row it returns.
    async fn fetch_all<O: Record>(&mut self, st: Statement) -> Result<Vec<O>, StoreError>;

    /// Runs `st`, an `INSERT … VALUES` of `rows` rows into a table whose
    /// `id` the database assigns, and returns the new ids in `VALUES` order.
    async fn insert_ids(&mut self, st: Statement, rows: usize) -> Result<Vec<i64>, StoreError> {
        if Self::SQLITE {
            // One INSERT holding the write lock takes consecutive rowids
            // (AUTOINCREMENT: each one above every id ever used), so the
            // last one says them all. Reading them back with RETURNING
            // costs the sqlx driver a message between threads per row.
            self.execute(st).await?;
            let (last,): (i64,) = self
                .fetch_all(Statement::new("SELECT last_insert_rowid()"))
                .await?
                .pop()
                .ok_or(sqlx::Error::RowNotFound)?;
            Ok((last + 1 - rows as i64..=last).collect())
        } else {
            let mut st = st;
            st.push(" RETURNING id");
            let mut ids: Vec<i64> = self.fetch_all::<(i64,)>(st).await?.into_iter().map(|(id,)| id).collect();
            // A sequence gives ids in VALUES order; RETURNING's order is not
            // promised, so sort to pair them back up.
            ids.sort_unstable();
            Ok(ids)
        }
    }
}

macro_rules! sqlx_exec {
    ($db:ty, $sqlite:expr) => {
        impl Exec for Transaction<'_, $db> {
            const SQLITE: bool = $sqlite;

            async fn execute(&mut self, st: Statement) -> Result<(), StoreError> {
                let (sql, args) = st.into_parts::<$db>()?;
                sqlx::query_with(&sql, args).execute(&mut **self).await?;
                Ok(())
            }

            async fn fetch_all<O: Record>(&mut self, st: Statement) -> Result<Vec<O>, StoreError> {
                let (sql, args) = st.into_parts::<$db>()?;
                Ok(sqlx::query_as_with::<$db, O, _>(&sql, args).fetch_all(&mut **self).await?)
            }
        }
    };
}
sqlx_exec!(Sqlite, true);
sqlx_exec!(Postgres, false);

impl Statement {
    /// SQLite's text (`?` placeholders) and the values bound, for
    /// [`super::direct`].
    pub(super) fn into_sqlite(self) -> (String, Vec<Value>) {
        (self.anonymous, self.values)
    }

    /// The text for database `DB` and the values bound (moved, not copied:
    /// a batch insert binds thousands of strings).
    fn into_parts<'q, DB>(self) -> Result<(String, DB::Arguments<'q>), sqlx::Error>
    where
        DB: Database,
        for<'a> i64: Encode<'a, DB> + Type<DB>,
        for<'a> Option<i64>: Encode<'a, DB> + Type<DB>,
        for<'a> String: Encode<'a, DB> + Type<DB>,
        for<'a> Option<String>: Encode<'a, DB> + Type<DB>,
    {
        use sqlx::Arguments;
        let sql = if DB::NAME == "SQLite" { self.anonymous } else { self.numbered };
        let mut args = DB::Arguments::default();
        args.reserve(self.values.len(), 0);
        for v in self.values {
            match v {
                Value::Int(i) => args.add(i),
                Value::OptInt(i) => args.add(i),
                Value::Text(s) => args.add(s),
                Value::OptText(s) => args.add(s),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        Ok((sql, args))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_values() {
        let mut st = Statement::new("INSERT INTO t (a, b) ");
        st.values(&[(1i64, "x"), (2, "y")], |t, (a, b)| {
            t.bind(*a).bind(*b);
        });
        st.push(" WHERE c = ").bind(Some(3i64));
        assert_eq!(st.values[1], Value::Text("x".into()));
        assert_eq!(st.values.len(), 5);
        let (postgres, _) = st.clone().into_parts::<sqlx::Postgres>().unwrap();
        assert_eq!(postgres, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) WHERE c = $5");
        let (sqlite, _) = st.into_parts::<sqlx::Sqlite>().unwrap();
        assert_eq!(sqlite, "INSERT INTO t (a, b) VALUES (?, ?), (?, ?) WHERE c = ?");
    }

    #[test]
    fn a_list_binds_each_item() {
        let mut st = Statement::new("SELECT a FROM t WHERE b = ");
        st.bind(1i64).push(" AND c IN ").list(&["x", "y", "z"]);
        assert_eq!(st.values[3], Value::Text("z".into()));
        let (postgres, _) = st.into_parts::<sqlx::Postgres>().unwrap();
        assert_eq!(postgres, "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3, $4)");
    }
}
