//! Reading what summaries need: rollup sums over whole buckets, raw events
//! for the partial edges, and the conversation counts. The rollup reads
//! are [`Statement`]s run by [`Store::read`], on SQLite through its own
//! handle (`direct_read`), and decoded once for both backends.

use super::events::{Equal, EventQuery, Order};
use super::sql::{each, Cells, Statement};
use super::{on_pool, Store, StoreError};
use crate::rollup::{Dim, Dims, Grain, Metrics, WRITES};
use domain::Usage;
use sqlx::{QueryBuilder, Row};

/// Dimension filters (exact matches); `chat_id` applies to raw events only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Filters {
    pub model: Option<String>,
    pub persona: Option<String>,
    pub stage: Option<String>,
    pub tenant: Option<String>,
    pub pipeline: Option<String>,
    pub chat_id: Option<String>,
}

impl Filters {
    pub fn has_dims(&self) -> bool {
        self.model.is_some()
            || self.persona.is_some()
            || self.stage.is_some()
            || self.tenant.is_some()
            || self.pipeline.is_some()
    }

    /// Only the tenant and pipeline filters (what turn and conversation
    /// counts honour: a conversation has one of each).
    pub fn scope_only(&self) -> Filters {
        Filters { tenant: self.tenant.clone(), pipeline: self.pipeline.clone(), ..Filters::default() }
    }
}

/// What a raw read of events for rollups selects: the columns that count,
/// a NULL dimension read as '' (as a rollup stores it).
const RAW_COLUMNS: &str = "id, ts, COALESCE(model, '') AS model, stage, COALESCE(persona, '') AS persona, status, \
    COALESCE(tenant, '') AS tenant, COALESCE(tool, '') AS tool, COALESCE(pipeline, '') AS pipeline, duration_ms, \
    input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, cost_nanos, \
    first_in_turn, first_in_chat";

/// The conditions of `f`: on a rollup's columns, or on raw events
/// (`raw`), where an absent value is NULL, not '' as in a rollup, and the
/// conversation counts too.
fn dim_conditions(f: &Filters, raw: bool) -> Vec<Equal> {
    let dims = [
        ("model", &f.model),
        ("persona", &f.persona),
        ("stage", &f.stage),
        ("tenant", &f.tenant),
        ("pipeline", &f.pipeline),
    ];
    let mut out = Vec::new();
    for (column, value) in dims {
        if let Some(v) = value {
            out.push(Equal { column, null_as_empty: raw && column != "stage", value: v.clone() });
        }
    }
    if raw {
        if let Some(chat) = &f.chat_id {
            out.push(Equal { column: "chat_id", null_as_empty: false, value: chat.clone() });
        }
    }
    out
}

/// The conditions of `f` on raw events (an [`EventQuery`]'s).
pub(super) fn raw_conditions(f: &Filters) -> Vec<Equal> {
    dim_conditions(f, true)
}

/// `AND model = … AND persona = …` on a [`Statement`] (see [`dim_conditions`]).
pub(super) fn filter(st: &mut Statement, f: &Filters, raw: bool) {
    for e in dim_conditions(f, raw) {
        e.push(st);
    }
}

/// `SUM(c) AS c, …` over `columns`, as BIGINT on both backends (a
/// rollup stores zeros as NULL, and a sum of none is NULL too). On
/// Postgres through `bigint_sum` (migration 0023): its own SUM of bigints
/// is numeric, and converting every group's sums took most of a read's
/// time.
fn sums(store: &Store, columns: &[impl AsRef<str>]) -> String {
    match store {
        Store::Sqlite { .. } => each(columns, |c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT) AS {c}")),
        Store::Postgres(_) => each(columns, |c| format!("COALESCE(bigint_sum({c}), 0) AS {c}")),
    }
}

/// How a rollup read is cut: whole, or per aligned block of so many
/// milliseconds, so that one query answers a run of blocks that are kept
/// apart (`summary::memo`). Each row comes with its block's start; a
/// read whole gives `from`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocks {
    Whole,
    Of(i64),
}

impl Blocks {
    /// The block column (the block's length is a constant of the text, so
    /// the statement stays one prepared text).
    fn column(self) -> Option<String> {
        match self {
            Blocks::Whole => None,
            Blocks::Of(ms) => Some(format!("bucket / {ms} * {ms} AS blk")),
        }
    }

    fn of_row(self, r: &dyn Cells, from: i64) -> Result<i64, StoreError> {
        match self {
            Blocks::Whole => Ok(from),
            Blocks::Of(_) => r.int("blk"),
        }
    }

    /// The block of a row of `bucket` (reads that group by bucket anyway).
    pub fn of_bucket(self, bucket: i64, from: i64) -> i64 {
        match self {
            Blocks::Whole => from,
            Blocks::Of(ms) => bucket.div_euclid(ms) * ms,
        }
    }
}

/// Where the sums per value of one dimension are read over a grain: its
/// marginal rollup (`table`, `value`, the rows of `dim`) when nothing is
/// filtered and the grain keeps one, else its combinations (`table`, the
/// dimension's own column).
struct OneDim {
    table: &'static str,
    column: &'static str,
    only: Option<Dim>,
}

impl OneDim {
    fn of(grain: Grain, dim: Dim, f: &Filters) -> OneDim {
        match grain.marginal_table() {
            Some(table) if !f.has_dims() => OneDim { table, column: "value", only: Some(dim) },
            _ => OneDim { table: grain.table(), column: dim.column(), only: None },
        }
    }
}

/// A rollup read over `[from, to)` of `table`: `SELECT [blk,] keys,
/// sums … GROUP BY [blk,] keys`, the block column selected and grouped by
/// together (no `GROUP BY` without either: one row of sums). `only`: the
/// rows of one dimension of a marginal rollup.
#[allow(clippy::too_many_arguments)]
fn grouped(
    table: &str,
    keys: &[&str],
    sums: &str,
    from: i64,
    to: i64,
    f: &Filters,
    blocks: Blocks,
    only: Option<Dim>,
) -> Statement {
    let block = blocks.column();
    let group: Vec<&str> = block.as_ref().map(|_| "blk").into_iter().chain(keys.iter().copied()).collect();
    let select: Vec<String> =
        block.into_iter().chain(keys.iter().map(|k| k.to_string())).chain([sums.to_string()]).collect();
    let mut st = Statement::new(format!("SELECT {} FROM {table} WHERE bucket >= ", select.join(", ")));
    st.bind(from).push(" AND bucket < ").bind(to);
    if let Some(dim) = only {
        st.push(" AND dim = ").bind(dim.column());
    }
    filter(&mut st, f, false);
    if !group.is_empty() {
        st.push(&format!(" GROUP BY {}", group.join(", ")));
    }
    st
}

impl Store {
    /// Sums per combination of the dimensions a summary breaks down by
    /// ([`Dim`]: model, stage, persona, tenant, tool) over `[from, to)` of
    /// `grain`, per [`Blocks`] (each row's block first). Status and pipeline
    /// are left blank: no summary breaks down by them (a filter on one
    /// applies before the grouping), and grouping by them too gave Postgres
    /// 44 % more groups to sum (786 against 547 in 48 minutes at 10M events,
    /// 6.1 against 4.9 ms; docs/performance.md).
    pub async fn rollup_combos(
        &self,
        grain: Grain,
        from: i64,
        to: i64,
        f: &Filters,
        blocks: Blocks,
    ) -> Result<Vec<(i64, Dims, Metrics)>, StoreError> {
        let keys = Dim::ALL.map(Dim::column);
        let st = grouped(grain.table(), &keys, &sums(self, &Metrics::columns()), from, to, f, blocks, None);
        self.read(st, move |r| {
            let dims = Dims {
                model: r.text("model")?,
                stage: r.text("stage")?,
                persona: r.text("persona")?,
                tenant: r.text("tenant")?,
                tool: r.text("tool")?,
                ..Dims::default()
            };
            Ok((blocks.of_row(r, from)?, dims, Metrics::read(|c| r.int(c))?))
        })
        .await
    }

    /// Sums per value of each [`Dim`] over `[from, to)` of a marginal
    /// rollup (`table`, a [`Grain::marginal_table`]), per [`Blocks`], for a
    /// summary without filters.
    pub async fn rollup_marginals(
        &self,
        table: &str,
        from: i64,
        to: i64,
        blocks: Blocks,
    ) -> Result<Vec<(i64, Dim, String, Metrics)>, StoreError> {
        let st = grouped(
            table,
            &["dim", "value"],
            &sums(self, &Metrics::columns()),
            from,
            to,
            &Filters::default(),
            blocks,
            None,
        );
        let rows = self
            .read(st, move |r| {
                // Rows of a dimension this build does not know are skipped.
                let Some(dim) = Dim::from_column(&r.text("dim")?) else { return Ok(None) };
                Ok(Some((blocks.of_row(r, from)?, dim, r.text("value")?, Metrics::read(|c| r.int(c))?)))
            })
            .await?;
        Ok(rows.into_iter().flatten().collect())
    }

    /// Per-bucket sums over `[from, to)` of `grain` — only what the trend
    /// shows (events, errors, cost, unpriced, tokens). Without dimension
    /// filters this reads the `*_total` table: one row per bucket.
    pub async fn rollup_series(
        &self,
        grain: Grain,
        from: i64,
        to: i64,
        f: &Filters,
    ) -> Result<Vec<(i64, Metrics)>, StoreError> {
        let (table, select) = if f.has_dims() {
            (grain.table(), sums(self, Metrics::TOTAL_COLUMNS))
        } else {
            (grain.total_table(), Metrics::TOTAL_COLUMNS.join(", "))
        };
        let mut st = Statement::new(format!("SELECT bucket, {select} FROM {table} WHERE bucket >= "));
        st.bind(from).push(" AND bucket < ").bind(to);
        if f.has_dims() {
            filter(&mut st, f, false);
            st.push(" GROUP BY bucket");
        }
        self.read(st, |r| Ok((r.int("bucket")?, Metrics::read_totals(|c| r.int(c))?))).await
    }

    /// How many transactions wrote each bucket of each `(grain, from, to)`
    /// range, as `(grain, bucket, writes)`, in one statement (one snapshot
    /// on both backends). Every write to a bucket's rollup rows writes its
    /// `*_total` row too (migration 0017), so while a range's list is
    /// unchanged, so is every sum over its buckets.
    pub async fn rollup_writes(&self, ranges: &[(Grain, i64, i64)]) -> Result<Vec<(Grain, i64, i64)>, StoreError> {
        if ranges.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, i64, i64)> = on_pool!(self, pool => {
            let mut qb = QueryBuilder::new("");
            for (i, (grain, from, to)) in ranges.iter().enumerate() {
                if i > 0 {
                    qb.push(" UNION ALL ");
                }
                let g = Grain::ALL.iter().position(|x| x == grain).unwrap_or_default();
                qb.push(format!("SELECT CAST({g} AS BIGINT), bucket, {WRITES} FROM {} WHERE bucket >= ", grain.total_table()));
                qb.push_bind(*from).push(" AND bucket < ").push_bind(*to);
            }
            qb.build_query_as().fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(|(g, bucket, writes)| (Grain::ALL[g as usize], bucket, writes)).collect())
    }

    /// Priced cost per tenant over `[from, to)` of `grain` (the previous
    /// window of the cost-by-tenant table), per [`Blocks`].
    pub async fn rollup_tenant_costs(
        &self,
        grain: Grain,
        from: i64,
        to: i64,
        f: &Filters,
        blocks: Blocks,
    ) -> Result<Vec<(i64, String, i64)>, StoreError> {
        let source = OneDim::of(grain, Dim::Tenant, f);
        let st =
            grouped(source.table, &[source.column], &sums(self, &["cost_nanos"]), from, to, f, blocks, source.only);
        self.read(st, move |r| Ok((blocks.of_row(r, from)?, r.text(source.column)?, r.int("cost_nanos")?))).await
    }

    /// Total priced cost over `[from, to)` of `grain` (the previous
    /// window), per [`Blocks`].
    pub async fn rollup_cost(
        &self,
        grain: Grain,
        from: i64,
        to: i64,
        f: &Filters,
        blocks: Blocks,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let table = if f.has_dims() { grain.table() } else { grain.total_table() };
        let st = grouped(table, &[], &sums(self, &["cost_nanos"]), from, to, f, blocks, None);
        self.read(st, move |r| Ok((blocks.of_row(r, from)?, r.int("cost_nanos")?))).await
    }

    /// The rollup contributions of the raw events in `[from, to)` (a
    /// window's partial edges, or one conversation), reading only the
    /// columns that count: `(ts, dims, metrics)`.
    pub async fn raw_rows(&self, from: i64, to: i64, f: &Filters) -> Result<Vec<(i64, Dims, Metrics)>, StoreError> {
        let mut q = EventQuery::new(RAW_COLUMNS, Order::Unordered);
        (q.from, q.to, q.equal) = (Some(from), Some(to), raw_conditions(f));
        self.read_events(q, |r| {
            let dims = Dims::read(|c| r.text(c))?;
            // Sparse: NULL for zero on Postgres (migration 0019).
            let count = |c: &str| r.opt_int(c).map(Option::unwrap_or_default);
            let usage = Usage {
                input_tokens: count("input_tokens")?,
                output_tokens: count("output_tokens")?,
                cached_input_tokens: count("cached_input_tokens")?,
                cache_write_tokens: count("cache_write_tokens")?,
                reasoning_tokens: count("reasoning_tokens")?,
            };
            let (first_turn, first_chat) = (count("first_in_turn")?, count("first_in_chat")?);
            let error = dims.status == "error";
            let m = Metrics::of(
                &usage,
                error,
                r.opt_int("cost_nanos")?,
                r.opt_int("duration_ms")?,
                first_turn == 1,
                first_chat == 1,
            );
            Ok((r.int("ts")?, dims, m))
        })
        .await
    }

    /// Conversations active in `[from, to)`: started before it ended, last
    /// activity at or after it began, i.e.
    /// `#(last_ts >= from) − #(first_ts >= to)` (a conversation that starts
    /// after the window also ends after its start). The first count adds
    /// the per-hour counts of `conversation_ends` after `from`'s hour to
    /// the conversations that end in the rest of that hour. The second
    /// reads whichever side of the `first_ts` index is smaller — `#(x >= t)`
    /// or `total − #(x < t)`, judged from the index's ends: windows end now
    /// or lie in the past, so few conversations begin after them. All in
    /// one statement: one snapshot, and one round trip where a summary
    /// waits for it (both backends run only the branch taken). Planned for
    /// its values every time: Postgres' generic plan for it, kept after a
    /// few runs, counted the conversations after `to` with parallel workers
    /// (10–25 ms, where the plan for the values reads a few index entries
    /// in under a millisecond; docs/performance.md).
    pub async fn active_conversations(&self, from: i64, to: i64) -> Result<i64, StoreError> {
        let next_hour = Grain::Hour.floor(from) + Grain::Hour.ms();
        Ok(on_pool!(self, pool => sqlx::query_scalar(
            "SELECT CAST(COALESCE((SELECT SUM(conversations) FROM conversation_ends WHERE hour >= $1), 0) \
             + (SELECT COUNT(*) FROM conversations WHERE last_ts >= $2 AND last_ts < $1) \
             - CASE WHEN $3 - (SELECT MIN(first_ts) FROM conversations) < (SELECT MAX(first_ts) FROM conversations) - $3 \
                 THEN (SELECT value FROM counters WHERE name = 'conversations') \
                      - (SELECT COUNT(*) FROM conversations WHERE first_ts < $3) \
                 ELSE (SELECT COUNT(*) FROM conversations WHERE first_ts >= $3) END AS BIGINT)",
        )
        .bind(next_hour)
        .bind(from)
        .bind(to)
        .persistent(false)
        .fetch_one(pool)
        .await?))
    }

    /// A tenant's or a pipeline's conversations (or those of both) active
    /// in `[from, to)`, through the tenant's or the pipeline's own index:
    /// one's conversations are few next to all. Planned for its values, as
    /// [`Store::active_conversations`] is.
    pub async fn active_scoped_conversations(
        &self,
        tenant: Option<&str>,
        pipeline: Option<&str>,
        from: i64,
        to: i64,
    ) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM conversations WHERE last_ts >= ");
            qb.push_bind(from).push(" AND first_ts < ").push_bind(to);
            if let Some(t) = tenant {
                qb.push(" AND tenant = ").push_bind(t.to_string());
            }
            if let Some(p) = pipeline {
                qb.push(" AND pipeline = ").push_bind(p.to_string());
            }
            qb.build_query_scalar::<i64>().persistent(false).fetch_one(pool).await?
        }))
    }
}

impl Store {
    /// Sums over every day bucket kept (for `/metrics`).
    pub async fn retained_totals(&self) -> Result<Metrics, StoreError> {
        let sql = format!("SELECT {} FROM {}", sums(self, Metrics::TOTAL_COLUMNS), Grain::Day.total_table());
        Ok(on_pool!(self, pool => {
            let r = sqlx::query(&sql).fetch_one(pool).await?;
            Metrics::read_totals(|c| r.try_get(c))?
        }))
    }
}

impl Store {
    /// Cost per (bucket, model) over `[from, to)` of `grain`.
    pub async fn rollup_model_series(
        &self,
        grain: Grain,
        from: i64,
        to: i64,
        f: &Filters,
    ) -> Result<Vec<(i64, String, i64)>, StoreError> {
        let source = OneDim::of(grain, Dim::Model, f);
        let cost = sums(self, &["cost_nanos"]);
        let st = grouped(source.table, &["bucket", source.column], &cost, from, to, f, Blocks::Whole, source.only);
        self.read(st, move |r| Ok((r.int("bucket")?, r.text(source.column)?, r.int("cost_nanos")?))).await
    }
}
