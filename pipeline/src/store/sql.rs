//! Statements the store writes once and runs on either backend.
//!
//! A [`Statement`] is SQL text with its values, bound as it is written:
//! anonymous placeholders (`?`) for SQLite, whose driver looks each named
//! placeholder up by a linear scan (a 400-row insert with 8,400 `$N`s spent
//! most of its time there), numbered ones (`$1`, `$2`, …) for Postgres,
//! written only when a statement goes there.
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
    /// With `?` (SQLite).
    anonymous: String,
    /// Where each `?` is in `anonymous`, to number them for Postgres.
    marks: Vec<usize>,
    values: Vec<Value>,
    /// Where its rows are (`values`, `list`), when it has one set of them.
    rows: Option<Rows>,
    /// Whether it has more than one set of rows.
    mixed: bool,
}

/// Where a statement's rows are: in its SQLite text, where the first one
/// starts and ends and where the last one ends; in its values, where the
/// first row's start, and how many each row binds.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Rows {
    first: usize,
    first_end: usize,
    last_end: usize,
    start: usize,
    width: usize,
    count: usize,
}

/// A statement as SQLite's writer runs it ([`super::direct`]): the same
/// text for one row, run once per row. Its text is then the same from one
/// group to the next, so it is prepared once, however many rows a group
/// has; a `VALUES` list of many rows had to be prepared anew each time.
pub(super) struct PerRow {
    pub sql: String,
    values: Vec<Value>,
    rows: Option<Rows>,
}

impl PerRow {
    /// The values to bind, row by row (once for a statement without rows).
    pub fn rows(&self) -> impl Iterator<Item = impl Iterator<Item = &Value>> {
        let (start, width, count) = self.rows.map_or((self.values.len(), 0, 1), |r| (r.start, r.width, r.count));
        let tail = start + width * count;
        (0..count).map(move |i| {
            let row = start + i * width;
            self.values[..start].iter().chain(&self.values[row..row + width]).chain(&self.values[tail..])
        })
    }
}

impl Statement {
    pub fn new(sql: impl Into<String>) -> Statement {
        Statement { anonymous: sql.into(), ..Statement::default() }
    }

    pub fn push(&mut self, sql: &str) -> &mut Statement {
        self.anonymous.push_str(sql);
        self
    }

    /// Writes the next placeholder and binds `v` to it.
    pub fn bind(&mut self, v: impl Into<Value>) -> &mut Statement {
        self.values.push(v.into());
        self.marks.push(self.anonymous.len());
        self.anonymous.push('?');
        self
    }

    /// The text with numbered placeholders (`$1`, `$2`, …), for Postgres.
    fn numbered(&self) -> String {
        let mut sql = String::with_capacity(self.anonymous.len() + 4 * self.marks.len());
        let mut at = 0;
        for (i, &mark) in self.marks.iter().enumerate() {
            sql.push_str(&self.anonymous[at..mark]);
            let _ = write!(sql, "${}", i + 1);
            at = mark + 1;
        }
        sql.push_str(&self.anonymous[at..]);
        sql
    }

    /// `VALUES (…), (…)`: one tuple per row, its values bound by `row`.
    pub fn values<T>(&mut self, rows: &[T], mut row: impl FnMut(&mut Tuple<'_>, &T)) -> &mut Statement {
        self.push("VALUES ");
        self.rows(rows.len(), |st, i| {
            if i > 0 {
                st.push(", ");
            }
            st.push("(");
            row(&mut Tuple { st: &mut *st, first: true }, &rows[i]);
            st.push(")");
        });
        self
    }

    /// `(…)`: each of `items` bound, comma-separated (an `IN` list). Run
    /// by SQLite's writer once per item, so the items must be distinct.
    pub fn list<T: Into<Value> + Copy>(&mut self, items: &[T]) -> &mut Statement {
        self.push("(");
        self.rows(items.len(), |st, i| {
            if i > 0 {
                st.push(", ");
            }
            st.bind(items[i]);
        });
        self.push(")")
    }

    /// Writes `count` rows with `row` and notes where they are.
    fn rows(&mut self, count: usize, mut row: impl FnMut(&mut Statement, usize)) {
        let (first, start) = (self.anonymous.len(), self.values.len());
        let (mut first_end, mut width) = (first, 0);
        for i in 0..count {
            let sep = self.anonymous.len();
            row(self, i);
            if i == 0 {
                (first_end, width) = (self.anonymous.len(), self.values.len() - start);
                let rest = count - 1;
                self.anonymous.reserve((first_end - first + 2) * rest);
                self.values.reserve(width * rest);
                self.marks.reserve(width * rest);
            } else if self.values.len() - start != width * (i + 1)
                || self.anonymous.len() - sep != first_end - first + 2
            {
                // Rows of different shapes: run as one statement.
                self.mixed = true;
            }
        }
        let rows = Rows { first, first_end, last_end: self.anonymous.len(), start, width, count };
        self.mixed |= self.rows.replace(rows).is_some();
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
    /// Runs `st`.
    async fn execute(&mut self, st: Statement) -> Result<(), StoreError>;

    /// Runs `st` and reads every row it returns.
    async fn fetch_all<O: Record>(&mut self, st: Statement) -> Result<Vec<O>, StoreError>;

    /// Runs `st`, an `INSERT … VALUES` of rows into a table whose `id` the
    /// database assigns, and returns the new ids in `VALUES` order.
    async fn insert_ids(&mut self, st: Statement) -> Result<Vec<i64>, StoreError> {
        let mut st = st;
        st.push(" RETURNING id");
        let mut ids: Vec<i64> = self.fetch_all::<(i64,)>(st).await?.into_iter().map(|(id,)| id).collect();
        // Ids are assigned in VALUES order; RETURNING's order is not
        // promised, so sort to pair them back up.
        ids.sort_unstable();
        Ok(ids)
    }
}

macro_rules! sqlx_exec {
    ($db:ty) => {
        impl Exec for Transaction<'_, $db> {
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
sqlx_exec!(Sqlite);
sqlx_exec!(Postgres);

impl Statement {
    /// The statement as SQLite's writer runs it: once per row, or once
    /// whole when it has no rows, or rows of several sets or shapes.
    pub(super) fn per_row(self) -> PerRow {
        let mut sql = self.anonymous;
        let rows = self.rows.filter(|_| !self.mixed);
        if let Some(r) = rows {
            // The first row stays; with none (`IN ()`), nothing runs.
            sql.replace_range(r.first_end..r.last_end, "");
        }
        PerRow { sql, values: self.values, rows }
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
        let sql = if DB::NAME == "SQLite" { self.anonymous } else { self.numbered() };
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

    fn per_row(st: Statement) -> (String, Vec<Vec<Value>>) {
        let per_row = st.per_row();
        let rows = per_row.rows().map(|r| r.cloned().collect()).collect();
        (per_row.sql, rows)
    }

    /// SQLite's writer runs the text for one row once per row, with the
    /// values before and after the rows bound each time.
    #[test]
    fn per_row_repeats_the_values_around_the_rows() {
        let mut st = Statement::new("INSERT INTO t (a, b) ");
        st.values(&[(1i64, "x"), (2, "y")], |t, (a, b)| {
            t.bind(*a).bind(*b);
        });
        st.push(" WHERE c = ").bind(3i64);
        let (sql, rows) = per_row(st);
        assert_eq!(sql, "INSERT INTO t (a, b) VALUES (?, ?) WHERE c = ?");
        let row = |a: i64, b: &str| vec![Value::Int(a), Value::Text(b.into()), Value::Int(3)];
        assert_eq!(rows, [row(1, "x"), row(2, "y")]);

        let mut st = Statement::new("SELECT a FROM t WHERE b = ");
        st.bind(1i64).push(" AND c IN ").list(&["x", "y"]);
        let (sql, rows) = per_row(st);
        assert_eq!(sql, "SELECT a FROM t WHERE b = ? AND c IN (?)");
        assert_eq!(rows, [[Value::Int(1), Value::Text("x".into())], [Value::Int(1), Value::Text("y".into())]]);

        let mut st = Statement::new("UPDATE t SET a = ");
        st.bind(1i64).push(" WHERE b = ").bind("x");
        assert_eq!(
            per_row(st),
            ("UPDATE t SET a = ? WHERE b = ?".into(), vec![vec![Value::Int(1), Value::Text("x".into())]])
        );

        let mut st = Statement::new("SELECT a FROM t WHERE c IN ");
        st.list::<i64>(&[]);
        assert!(per_row(st).1.is_empty(), "no rows, nothing to run");
    }

    /// Rows of different shapes, or two sets of them, run as one statement.
    #[test]
    fn rows_of_different_shapes_run_whole() {
        let mut st = Statement::new("INSERT INTO t (a, b) ");
        st.values(&[1i64, 2], |t, a| {
            t.bind(*a);
            if *a == 2 {
                t.bind("y");
            }
        });
        let (sql, rows) = per_row(st);
        assert_eq!(sql, "INSERT INTO t (a, b) VALUES (?), (?, ?)");
        assert_eq!(rows.len(), 1);

        let mut st = Statement::new("SELECT a FROM t WHERE b IN ");
        st.list(&[1i64, 2]).push(" AND c IN ").list(&[3i64, 4]);
        let (sql, rows) = per_row(st);
        assert_eq!(sql, "SELECT a FROM t WHERE b IN (?, ?) AND c IN (?, ?)");
        assert_eq!(rows.len(), 1);
    }
}
