//! Statements the store writes once and runs on either backend.
//!
//! A [`Statement`] is SQL text with its values, bound as it is written:
//! anonymous placeholders (`?`) for SQLite, whose driver looks each named
//! placeholder up by a linear scan (a 400-row insert with 8,400 `$N`s spent
//! most of its time there), numbered ones (`$1`, `$2`, …) for Postgres,
//! written only when a statement goes there.
//! On Postgres a statement's rows go as one array per column
//! (`UNNEST($1::int8[], …)`), so its text is the same for any number of
//! rows: sqlx prepares it once per connection, and Postgres parses and
//! plans it once, where a `VALUES` list of 400 rows was parsed, planned and
//! described anew for every group.
//! [`Exec`] runs one inside a transaction, on a sqlx connection of either
//! database or on the SQLite writer's own handle, so the helpers that write
//! are plain generic `async fn`s over `X: Exec`. Writes nobody reads back
//! can run together ([`Exec::execute_all`]): on Postgres as the parts of
//! one statement, one round trip where each was one.

use super::StoreError;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Database, Encode, FromRow, Postgres, Sqlite, Transaction, Type};
use std::fmt::Write;

/// One value to bind.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Value {
    Int(i64),
    OptInt(Option<i64>),
    /// A count that is mostly zero (an event's tokens, its first-in-turn
    /// mark): NULL on Postgres, where a zero BIGINT costs its row 8 bytes
    /// and a NULL one bit; 0 on SQLite, whose records store a zero in no
    /// bytes either (migration 0019).
    Sparse(i64),
    Text(String),
    OptText(Option<String>),
    /// A blob (an archived block's body); bound alone, never in rows'
    /// arrays.
    Bytes(Vec<u8>),
}

impl Value {
    fn is_text(&self) -> bool {
        matches!(self, Value::Text(_) | Value::OptText(_))
    }

    /// The text, or NULL (a text column's value; see `column_kinds`).
    fn text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            Value::OptText(s) => s.as_deref(),
            Value::Int(_) | Value::OptInt(_) | Value::Sparse(_) | Value::Bytes(_) => {
                unreachable!("a text column holds only text")
            }
        }
    }

    /// The value as Postgres stores it: a sparse zero is NULL.
    fn on_postgres(self) -> Value {
        match self {
            Value::Sparse(_) => Value::OptInt(self.int()),
            v => v,
        }
    }

    /// The integer, or NULL (an integer column's value), as Postgres
    /// stores it.
    fn int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::OptInt(i) => *i,
            Value::Sparse(i) => (*i != 0).then_some(*i),
            Value::Text(_) | Value::OptText(_) | Value::Bytes(_) => {
                unreachable!("an integer column holds only integers")
            }
        }
    }
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
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
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
    /// Planned for its values every time it runs (see `planned_each_time`).
    replan: bool,
}

/// Where a statement's rows are: in its SQLite text, where the first one
/// starts and ends and where the last one ends; in its values, where the
/// first row's start, and how many each row binds.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Rows {
    kind: Kind,
    /// Where `VALUES` or the list's `(` starts, and where the construct ends.
    open: usize,
    close: usize,
    first: usize,
    first_end: usize,
    last_end: usize,
    start: usize,
    width: usize,
    count: usize,
}

/// What a statement's rows make: a `VALUES` list or an `IN` list.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Values,
    List,
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

    /// Planned for its values every time it runs, not prepared once. After
    /// a few runs Postgres keeps one generic plan for a prepared statement,
    /// and a plan made while a table was small scans it whole ever after:
    /// a read of a group's keys did, every group, as its table grew under
    /// load. (SQLite's writer runs a statement row by row, on an index.)
    pub fn planned_each_time(&mut self) -> &mut Statement {
        self.replan = true;
        self
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

    /// `VALUES (…), (…)`: one tuple per row, its values bound by `row`.
    pub fn values<T>(&mut self, rows: &[T], mut row: impl FnMut(&mut Tuple<'_>, &T)) -> &mut Statement {
        self.rows(Kind::Values, rows.len(), |st, i| {
            if i > 0 {
                st.push(", ");
            }
            st.push("(");
            row(&mut Tuple { st: &mut *st, first: true }, &rows[i]);
            st.push(")");
        })
    }

    /// `(…)`: each of `items` bound, comma-separated (an `IN` list). Run
    /// by SQLite's writer once per item, so the items must be distinct.
    pub fn list<T: Into<Value> + Copy>(&mut self, items: &[T]) -> &mut Statement {
        self.rows(Kind::List, items.len(), |st, i| {
            if i > 0 {
                st.push(", ");
            }
            st.bind(items[i]);
        })
    }

    /// Writes `count` rows with `row`, inside `VALUES …` or `(…)`, and
    /// notes where they are.
    fn rows(&mut self, kind: Kind, count: usize, mut row: impl FnMut(&mut Statement, usize)) -> &mut Statement {
        let open = self.anonymous.len();
        self.push(match kind {
            Kind::Values => "VALUES ",
            Kind::List => "(",
        });
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
        let last_end = self.anonymous.len();
        if kind == Kind::List {
            self.push(")");
        }
        let close = self.anonymous.len();
        let rows = Rows { kind, open, close, first, first_end, last_end, start, width, count };
        self.mixed |= self.rows.replace(rows).is_some();
        self
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
    ($(($($t:ty => $i:tt),+)),+) => {$(
        impl Record for ($($t,)+) {
            fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok(($(row.get::<_, $t>($i)?,)+))
            }
        }
    )+};
}
records!(
    (i64 => 0),
    (String => 0),
    (String => 0, String => 1),
    (String => 0, Option<String> => 1, Option<i64> => 2),
    (i64 => 0, Vec<u8> => 1)
);

/// A row of a read, its columns found by name: from Postgres through sqlx,
/// or from SQLite's own handle (`direct_read`). So a read decodes its rows
/// once for both backends ([`super::Store::read`]).
pub(super) trait Cells {
    fn int(&self, column: &str) -> Result<i64, StoreError>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError>;
    fn text(&self, column: &str) -> Result<String, StoreError>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError>;
}

/// Rows read through sqlx, on either backend (SQLite's inside a
/// transaction of its writer's pool).
macro_rules! sqlx_cells {
    ($($row:ty),+) => {$(
        impl Cells for $row {
            fn int(&self, column: &str) -> Result<i64, StoreError> {
                Ok(sqlx::Row::try_get(self, column)?)
            }

            fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
                Ok(sqlx::Row::try_get(self, column)?)
            }

            fn text(&self, column: &str) -> Result<String, StoreError> {
                Ok(sqlx::Row::try_get(self, column)?)
            }

            fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
                Ok(sqlx::Row::try_get(self, column)?)
            }
        }
    )+};
}
sqlx_cells!(PgRow, SqliteRow);

impl super::Store {
    /// Runs the read `st` and makes a `T` of each row with `row`: on SQLite
    /// through its own handle (`direct_read`), on Postgres through sqlx.
    pub(super) async fn read<T, F>(&self, st: Statement, row: F) -> Result<Vec<T>, StoreError>
    where
        T: Send + 'static,
        F: Fn(&dyn Cells) -> Result<T, StoreError> + Send + 'static,
    {
        match self {
            super::Store::Sqlite { reads, .. } => reads.rows(st, row).await,
            super::Store::Postgres(pool) => {
                let (sql, args) = st.into_postgres()?;
                let rows = sqlx::query_with(&sql, args).fetch_all(pool).await?;
                rows.iter().map(|r| row(r)).collect()
            }
        }
    }
}

/// Where the store's write helpers run their statements, inside a
/// transaction someone else began: a sqlx transaction on either backend,
/// or the SQLite writer's handle held directly. So each helper is one plain
/// generic `async fn` over `X: Exec`, written once for both databases.
pub(super) trait Exec {
    /// Runs `st`.
    async fn execute(&mut self, st: Statement) -> Result<(), StoreError>;

    /// Runs `st` and reads every row it returns.
    async fn fetch_all<O: Record>(&mut self, st: Statement) -> Result<Vec<O>, StoreError>;

    /// Runs `sts`, writes whose results nobody reads, in order. Postgres
    /// runs them as one statement (see [`Statement::all_into_postgres`]), so
    /// they must not write the same row twice; SQLite one after another.
    async fn execute_all(&mut self, sts: Vec<Statement>) -> Result<(), StoreError> {
        for st in sts {
            self.execute(st).await?;
        }
        Ok(())
    }

    /// Runs the reads `sts`, each giving rows of the same shape, and reads
    /// every row of each in turn. Postgres runs them as one statement
    /// (`UNION ALL`, [`Statement::union_into_postgres`]), one round trip.
    async fn fetch_all_joined<O: Record>(&mut self, sts: Vec<Statement>) -> Result<Vec<O>, StoreError> {
        let mut out = Vec::new();
        for st in sts {
            out.extend(self.fetch_all::<O>(st).await?);
        }
        Ok(out)
    }

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
    ($db:ty, $into:ident $(, $all:ident, $union:ident)?) => {
        impl Exec for Transaction<'_, $db> {
            async fn execute(&mut self, st: Statement) -> Result<(), StoreError> {
                let prepared = !st.replan;
                let (sql, args) = st.$into()?;
                sqlx::query_with(&sql, args).persistent(prepared).execute(&mut **self).await?;
                Ok(())
            }

            async fn fetch_all<O: Record>(&mut self, st: Statement) -> Result<Vec<O>, StoreError> {
                let prepared = !st.replan;
                let (sql, args) = st.$into()?;
                Ok(sqlx::query_as_with::<$db, O, _>(&sql, args).persistent(prepared).fetch_all(&mut **self).await?)
            }
            $(
            async fn execute_all(&mut self, sts: Vec<Statement>) -> Result<(), StoreError> {
                let prepared = sts.iter().all(|st| !st.replan);
                if let Some((sql, args)) = Statement::$all(sts)? {
                    sqlx::query_with(&sql, args).persistent(prepared).execute(&mut **self).await?;
                }
                Ok(())
            }

            async fn fetch_all_joined<O: Record>(&mut self, sts: Vec<Statement>) -> Result<Vec<O>, StoreError> {
                let prepared = sts.iter().all(|st| !st.replan);
                let Some((sql, args)) = Statement::$union(sts)? else { return Ok(Vec::new()) };
                Ok(sqlx::query_as_with::<$db, O, _>(&sql, args).persistent(prepared).fetch_all(&mut **self).await?)
            }
            )?
        }
    };
}
sqlx_exec!(Sqlite, into_sqlite);
sqlx_exec!(Postgres, into_postgres, all_into_postgres, union_into_postgres);

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

    /// The text and values for SQLite, as written (values moved, not
    /// copied: a batch insert binds thousands of strings).
    fn into_sqlite<'q>(self) -> Result<(String, SqliteArguments<'q>), sqlx::Error> {
        let mut args = SqliteArguments::default();
        args.reserve(self.values.len(), 0);
        for v in self.values {
            add::<Sqlite>(&mut args, v)?;
        }
        Ok((self.anonymous, args))
    }

    /// The text with numbered placeholders (`$1`, `$2`, …) and the values,
    /// for Postgres: its rows, when it has one set of them, as one array
    /// per column (see the module's doc).
    fn into_postgres(self) -> Result<(String, PgArguments), sqlx::Error> {
        let mut sql = String::with_capacity(self.anonymous.len() + 4 * self.marks.len());
        let mut args = PgArguments::default();
        self.write_postgres(&mut sql, &mut args, &mut 1)?;
        Ok((sql, args))
    }

    /// Writes that nobody reads back, as one Postgres statement: all but
    /// the last as data-modifying `WITH` queries, the last as the
    /// statement itself. A group's derived rows then cost one round trip,
    /// not one per table and chunk (docs/performance.md). Postgres runs
    /// every part to completion on one snapshot, in no promised order, so
    /// no two parts may write the same row: each of the group's tables is
    /// upserted by key once, its chunks holding distinct keys. `None` for
    /// no statements.
    pub(super) fn all_into_postgres(sts: Vec<Statement>) -> Result<Option<(String, PgArguments)>, sqlx::Error> {
        Statement::joined_postgres(
            sts,
            |i, last| match (i, last) {
                (0, true) => String::new(),
                (_, true) => " ".into(),
                (0, false) => "WITH w0 AS (".into(),
                (i, false) => format!(", w{i} AS ("),
            },
            |last| if last { "" } else { ")" },
        )
    }

    /// Reads of one shape as one Postgres statement: `a UNION ALL b …`.
    pub(super) fn union_into_postgres(sts: Vec<Statement>) -> Result<Option<(String, PgArguments)>, sqlx::Error> {
        Statement::joined_postgres(sts, |i, _| if i == 0 { String::new() } else { " UNION ALL ".into() }, |_| "")
    }

    /// `sts` written one after another into one Postgres text, each between
    /// `open(i, last)` and `close(last)`, their placeholders numbered on.
    fn joined_postgres(
        sts: Vec<Statement>,
        open: impl Fn(usize, bool) -> String,
        close: impl Fn(bool) -> &'static str,
    ) -> Result<Option<(String, PgArguments)>, sqlx::Error> {
        let last = sts.len().checked_sub(1);
        let mut sql = String::new();
        let mut args = PgArguments::default();
        let mut n = 1;
        for (i, st) in sts.into_iter().enumerate() {
            sql.push_str(&open(i, Some(i) == last));
            st.write_postgres(&mut sql, &mut args, &mut n)?;
            sql.push_str(close(Some(i) == last));
        }
        Ok(last.map(|_| (sql, args)))
    }

    /// Appends the statement to `sql` and `args`, its placeholders numbered
    /// from `n` on.
    fn write_postgres(self, sql: &mut String, args: &mut PgArguments, n: &mut usize) -> Result<(), sqlx::Error> {
        let Some((r, texts)) = self.rows.filter(|_| !self.mixed).and_then(|r| Some((r, self.column_kinds(&r)?))) else {
            self.number(sql, 0..self.anonymous.len(), n);
            for v in self.values {
                add::<Postgres>(args, v.on_postgres())?;
            }
            return Ok(());
        };
        self.number(sql, 0..r.open, n);
        let arrays: Vec<String> = texts
            .iter()
            .map(|text| {
                *n += 1;
                format!("${}::{}[]", *n - 1, if *text { "text" } else { "int8" })
            })
            .collect();
        match r.kind {
            Kind::Values => write!(sql, "SELECT * FROM UNNEST({})", arrays.join(", ")),
            Kind::List => write!(sql, "(SELECT UNNEST({}))", arrays.join(", ")),
        }
        .expect("writing to a String");
        self.number(sql, r.close..self.anonymous.len(), n);

        let tail = r.start + r.width * r.count;
        let mut values = self.values;
        let after = values.split_off(tail);
        let rows = values.split_off(r.start);
        for v in values {
            add::<Postgres>(args, v.on_postgres())?;
        }
        for (j, text) in texts.iter().enumerate() {
            let column = rows.iter().skip(j).step_by(r.width);
            if *text {
                args.add(column.map(Value::text).collect::<Vec<_>>())
            } else {
                args.add(column.map(Value::int).collect::<Vec<_>>())
            }
            .map_err(sqlx::Error::Encode)?;
        }
        for v in after {
            add::<Postgres>(args, v.on_postgres())?;
        }
        Ok(())
    }

    /// Whether each of the rows' columns holds text (or else integers), if
    /// every row agrees, there is at least one row and no blob.
    fn column_kinds(&self, r: &Rows) -> Option<Vec<bool>> {
        if r.width == 0 || r.count == 0 {
            return None;
        }
        let rows = &self.values[r.start..r.start + r.width * r.count];
        if rows.iter().any(|v| matches!(v, Value::Bytes(_))) {
            return None;
        }
        let kinds: Vec<bool> = rows[..r.width].iter().map(Value::is_text).collect();
        rows.chunks(r.width).all(|row| row.iter().map(Value::is_text).eq(kinds.iter().copied())).then_some(kinds)
    }

    /// Writes the text of `range` with its `?`s numbered from `n` on.
    fn number(&self, sql: &mut String, range: std::ops::Range<usize>, n: &mut usize) {
        let mut at = range.start;
        let from = self.marks.partition_point(|&m| m < range.start);
        for &mark in self.marks[from..].iter().take_while(|&&m| m < range.end) {
            sql.push_str(&self.anonymous[at..mark]);
            let _ = write!(sql, "${n}");
            *n += 1;
            at = mark + 1;
        }
        sql.push_str(&self.anonymous[at..range.end]);
    }
}

/// Binds `v` for database `DB`.
fn add<'q, DB>(args: &mut DB::Arguments<'q>, v: Value) -> Result<(), sqlx::Error>
where
    DB: Database,
    i64: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    String: Encode<'q, DB> + Type<DB>,
    Option<String>: Encode<'q, DB> + Type<DB>,
    Vec<u8>: Encode<'q, DB> + Type<DB>,
{
    match v {
        Value::Int(i) => args.add(i),
        Value::OptInt(i) => args.add(i),
        Value::Sparse(i) => args.add(i),
        Value::Text(s) => args.add(s),
        Value::OptText(s) => args.add(s),
        Value::Bytes(b) => args.add(b),
    }
    .map_err(sqlx::Error::Encode)
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
        let (sqlite, args) = st.clone().into_sqlite().unwrap();
        assert_eq!(sqlite, "INSERT INTO t (a, b) VALUES (?, ?), (?, ?) WHERE c = ?");
        assert_eq!(args.len(), 5);
        // Postgres: a column's values go as one array, whatever the rows.
        let (postgres, args) = st.into_postgres().unwrap();
        assert_eq!(postgres, "INSERT INTO t (a, b) SELECT * FROM UNNEST($1::int8[], $2::text[]) WHERE c = $3");
        assert_eq!(args.len(), 3);
    }

    /// One row or a hundred, Postgres sees the same text (prepared once).
    #[test]
    fn postgres_text_is_the_same_for_any_number_of_rows() {
        let text = |n: i64| {
            let rows: Vec<(i64, Option<String>)> = (0..n).map(|i| (i, (i % 2 == 0).then(|| i.to_string()))).collect();
            let mut st = Statement::new("INSERT INTO t (a, b) ");
            st.values(&rows, |t, (a, b)| {
                t.bind(*a).bind(b.clone());
            });
            st.push(" ON CONFLICT (a) DO NOTHING");
            st.into_postgres().unwrap().0
        };
        assert_eq!(text(1), text(100));
        assert_eq!(
            text(1),
            "INSERT INTO t (a, b) SELECT * FROM UNNEST($1::int8[], $2::text[]) ON CONFLICT (a) DO NOTHING"
        );
    }

    /// A blob has no array type among the rows': rows that hold one are
    /// bound value by value, never an integer or text array (which would
    /// panic on it).
    #[test]
    fn rows_with_a_blob_are_bound_value_by_value() {
        let mut st = Statement::new("INSERT INTO t (a, b) ");
        st.values(&[(1, vec![7u8]), (2, vec![8u8])], |t, (a, b)| {
            t.bind(*a).bind(b.clone());
        });
        assert_eq!(st.clone().into_postgres().unwrap().0, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
        assert_eq!(st.values[3], Value::Bytes(vec![8]));
    }

    /// Writes nobody reads back go to Postgres as one statement, the
    /// placeholders numbered on across its parts.
    #[test]
    fn postgres_runs_writes_together_numbered_on() {
        let insert = |table: &str, rows: &[(i64, &str)]| {
            let mut st = Statement::new(format!("INSERT INTO {table} (a, b) "));
            st.values(rows, |t, (a, b)| {
                t.bind(*a).bind(*b);
            });
            st.push(" ON CONFLICT (a) DO UPDATE SET b = excluded.b");
            st
        };
        let mut update = Statement::new("UPDATE u SET n = n + ");
        update.bind(2i64).push(" WHERE name = ").bind("x");
        let sts = vec![insert("t", &[(1, "x"), (2, "y")]), update, insert("v", &[(3, "z")])];
        let (sql, args) = Statement::all_into_postgres(sts).unwrap().unwrap();
        assert_eq!(
            sql,
            "WITH w0 AS (INSERT INTO t (a, b) SELECT * FROM UNNEST($1::int8[], $2::text[]) ON CONFLICT (a) DO UPDATE SET b = excluded.b), \
             w1 AS (UPDATE u SET n = n + $3 WHERE name = $4) \
             INSERT INTO v (a, b) SELECT * FROM UNNEST($5::int8[], $6::text[]) ON CONFLICT (a) DO UPDATE SET b = excluded.b"
        );
        assert_eq!(args.len(), 6);
        // One alone is itself; none is nothing to run.
        let (one, _) = Statement::all_into_postgres(vec![insert("t", &[(1, "x")])]).unwrap().unwrap();
        assert_eq!(one, insert("t", &[(1, "x")]).into_postgres().unwrap().0);
        assert!(Statement::all_into_postgres(Vec::new()).unwrap().is_none());
        // Reads of one shape: one statement, each part's rows in turn.
        let mut a = Statement::new("SELECT k FROM t WHERE k IN ");
        a.list(&["x", "y"]);
        let mut b = Statement::new("SELECT k FROM u WHERE n = ");
        b.bind(7i64);
        let (sql, args) = Statement::union_into_postgres(vec![a, b]).unwrap().unwrap();
        assert_eq!(
            sql,
            "SELECT k FROM t WHERE k IN (SELECT UNNEST($1::text[])) UNION ALL SELECT k FROM u WHERE n = $2"
        );
        assert_eq!(args.len(), 2);
    }

    #[test]
    fn a_list_binds_each_item() {
        let mut st = Statement::new("SELECT a FROM t WHERE b = ");
        st.bind(1i64).push(" AND c IN ").list(&["x", "y", "z"]);
        assert_eq!(st.values[3], Value::Text("z".into()));
        let (postgres, args) = st.into_postgres().unwrap();
        assert_eq!(postgres, "SELECT a FROM t WHERE b = $1 AND c IN (SELECT UNNEST($2::text[]))");
        assert_eq!(args.len(), 2);
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
        let (sql, rows) = per_row(st.clone());
        assert_eq!(sql, "SELECT a FROM t WHERE b IN (?, ?) AND c IN (?, ?)");
        assert_eq!(rows.len(), 1);
        // Postgres too binds them one by one.
        let (postgres, args) = st.into_postgres().unwrap();
        assert_eq!(postgres, "SELECT a FROM t WHERE b IN ($1, $2) AND c IN ($3, $4)");
        assert_eq!(args.len(), 4);

        // A column holding numbers in one row and text in another.
        let mut st = Statement::new("INSERT INTO t (a) ");
        st.values(&[1i64, 2], |t, a| {
            if *a == 1 {
                t.bind(*a);
            } else {
                t.bind("two");
            }
        });
        assert_eq!(st.into_postgres().unwrap().0, "INSERT INTO t (a) VALUES ($1), ($2)");
    }
}
