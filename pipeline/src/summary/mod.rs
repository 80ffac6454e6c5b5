//! Summaries: what a window of traffic cost and how it went, answered from
//! rollups (never by scanning the window's raw events) plus the raw events
//! of the partial minutes at the window's edges — exact to the nano-dollar
//! for any `from`/`to`.
//!
//! - [`window`]: resolve `range`/`from`/`to` and cut the window into
//!   day/hour/minute rollup segments and raw edges.
//! - [`build`]: turn the sums into the [`Summary`] (pure).
//! - [`memo`]: keep reads over whole hours and days while their buckets
//!   are unchanged.

pub mod build;
pub mod memo;
pub mod window;

use crate::rollup::{self, Dim, Dims, Grain, Metrics};
use crate::store::{Blocks, Filters, Store, StoreError};
use build::{Inputs, Marginals};
use domain::costs::ModelTrend;
use domain::summary::{Summary, SummaryQuery};
use futures::future::try_join_all;
use memo::{Key, Memo, Writes};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;
use window::{plan, BadParam, Segment, Source, Window, MINUTE_BLOCK_MS};

#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    #[error(transparent)]
    BadParam(#[from] BadParam),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The dimension filters of a query, blanks dropped.
pub fn filters(q: &SummaryQuery) -> Filters {
    let clean = |v: &Option<String>| v.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    Filters {
        model: clean(&q.model),
        persona: clean(&q.persona),
        stage: clean(&q.stage),
        tenant: clean(&q.tenant),
        pipeline: clean(&q.pipeline),
        chat_id: clean(&q.chat_id),
    }
}

pub async fn summarize(store: &Store, memo: &Memo, q: &SummaryQuery, now_ms: i64) -> Result<Summary, SummaryError> {
    let w = Window::resolve(q, now_ms)?;
    let f = filters(q);
    let inputs =
        if f.chat_id.is_some() { gather_chat(store, &w, &f).await? } else { gather(store, memo, &w, &f).await? };
    let mut summary = build::build(&w, inputs);
    summary.last_event_id = store.last_event_id().await?;
    Ok(summary)
}

/// Reads for one summary. Its parts, and each part's runs of segments, are
/// read at once, each query on a connection of its own; a run (the minutes,
/// hours or days at one edge of a window) is one query, cut into its blocks
/// by the database, so a 7-day window is about 25 queries, not about 120.
/// Raw edges are read once even when several parts need them. Reads of
/// whole blocks (days, hours, aligned ten minutes) go through the memo,
/// when there is one, against the writes lists of every block of the
/// summary, read first in one statement.
struct Reader<'a> {
    store: &'a Store,
    memo: Option<&'a Memo>,
    /// Raw rows per (from, to, has dimension filters).
    raw: ReadOnce<(i64, i64, bool), Arc<Vec<RawRow>>>,
    /// The `(grain, from, to)` ranges whose writes lists the memo will
    /// ask for: every whole block of the windows the summary reads.
    ranges: Vec<(Grain, i64, i64)>,
    /// Their `(bucket, writes)` per grain, in bucket order, read once.
    writes: OnceCell<HashMap<Grain, Vec<(i64, i64)>>>,
}

/// A raw event's time, dimensions and contribution.
type RawRow = (i64, Dims, Metrics);

/// A whole block's writes list, and its rows if they were kept with it.
type Checked<I> = (Writes, Option<Arc<Vec<I>>>);

/// Values a summary reads once however many of its parts need them: the
/// first part reads, the others wait for its answer.
struct ReadOnce<K, V>(Mutex<HashMap<K, Arc<OnceCell<V>>>>);

impl<K: Eq + Hash, V: Clone> ReadOnce<K, V> {
    fn new() -> Self {
        ReadOnce(Mutex::new(HashMap::new()))
    }

    async fn get<F>(&self, key: K, read: impl FnOnce() -> F) -> Result<V, StoreError>
    where
        F: Future<Output = Result<V, StoreError>>,
    {
        let cell = self.0.lock().unwrap_or_else(|e| e.into_inner()).entry(key).or_default().clone();
        Ok(cell.get_or_try_init(read).await?.clone())
    }
}

/// The segments of one window, cut into runs: contiguous segments of one
/// rollup grain (a window's minute blocks at one edge), or one raw edge.
fn runs(segments: Vec<Segment>) -> Vec<Vec<Segment>> {
    let mut out: Vec<Vec<Segment>> = Vec::new();
    for s in segments {
        match out.last_mut() {
            Some(run) if s.source != Source::Raw && run[0].source == s.source && run[run.len() - 1].to == s.from => {
                run.push(s)
            }
            _ => out.push(vec![s]),
        }
    }
    out
}

/// `ranges` sorted and joined where they meet or overlap, per grain.
fn joined(mut ranges: Vec<(Grain, i64, i64)>) -> Vec<(Grain, i64, i64)> {
    ranges.sort();
    let mut out: Vec<(Grain, i64, i64)> = Vec::new();
    for (g, from, to) in ranges {
        match out.last_mut() {
            Some((lg, _, lto)) if *lg == g && from <= *lto => *lto = (*lto).max(to),
            _ => out.push((g, from, to)),
        }
    }
    out
}

impl<'a> Reader<'a> {
    /// A reader for `windows`, each `(from, to, coarsest grain)`: what its
    /// parts will read, so that every writes list comes from one statement.
    fn new(store: &'a Store, memo: Option<&'a Memo>, windows: &[(i64, i64, Grain)]) -> Self {
        let whole =
            windows.iter().flat_map(|&(from, to, coarsest)| plan(from, to, coarsest)).filter(Segment::whole_block);
        let ranges = joined(
            whole
                .filter_map(|s| match s.source {
                    Source::Rollup(g) => Some((g, s.from, s.to)),
                    Source::Raw => None,
                })
                .collect(),
        );
        Reader { store, memo, raw: ReadOnce::new(), ranges, writes: OnceCell::new() }
    }

    async fn raw(&self, from: i64, to: i64, f: &Filters) -> Result<Arc<Vec<RawRow>>, StoreError> {
        self.raw.get((from, to, f.has_dims()), || async { Ok(Arc::new(self.store.raw_rows(from, to, f).await?)) }).await
    }

    /// The `(bucket, writes)` list of a whole block: a slice of the lists
    /// read in one statement, or its own read for a block outside them.
    async fn writes(&self, grain: Grain, from: i64, to: i64) -> Result<Writes, StoreError> {
        if !self.ranges.iter().any(|&(g, a, b)| g == grain && a <= from && to <= b) {
            let rows = self.store.rollup_writes(&[(grain, from, to)]).await?;
            return Ok(Arc::new(rows.into_iter().map(|(_, bucket, w)| (bucket, w)).collect()));
        }
        let all = self
            .writes
            .get_or_try_init(|| async {
                let mut by_grain: HashMap<Grain, Vec<(i64, i64)>> = HashMap::new();
                for (g, bucket, w) in self.store.rollup_writes(&self.ranges).await? {
                    by_grain.entry(g).or_default().push((bucket, w));
                }
                by_grain.values_mut().for_each(|v| v.sort_unstable());
                Ok::<_, StoreError>(by_grain)
            })
            .await?;
        let list = all.get(&grain).map(Vec::as_slice).unwrap_or_default();
        let (a, b) = (list.partition_point(|&(t, _)| t < from), list.partition_point(|&(t, _)| t < to));
        Ok(Arc::new(list[a..b].to_vec()))
    }

    /// Each segment of `[from, to)`, read a run at a time: `rollup` for
    /// whole buckets (its rows tagged with their block, see [`Blocks`]),
    /// `raw` (over the edge's raw rows) for partial minutes. `part` names
    /// the read for the memo.
    #[allow(clippy::too_many_arguments)]
    async fn segments<I, R>(
        &self,
        part: &'static str,
        from: i64,
        to: i64,
        coarsest: Grain,
        f: &Filters,
        rollup: impl Fn(Grain, i64, i64, Blocks) -> R,
        raw: impl Fn(&[RawRow]) -> Vec<I>,
    ) -> Result<Vec<Arc<Vec<I>>>, StoreError>
    where
        I: Send + Sync + 'static,
        R: Future<Output = Result<Vec<(i64, I)>, StoreError>>,
    {
        let parts = try_join_all(runs(plan(from, to, coarsest)).into_iter().map(|run| {
            let (rollup, raw) = (&rollup, &raw);
            async move {
                match run[0].source {
                    Source::Raw => Ok(vec![Arc::new(raw(&self.raw(run[0].from, run[0].to, f).await?))]),
                    Source::Rollup(grain) => self.run(part, grain, &run, f, rollup).await,
                }
            }
        }))
        .await?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// One run's segments: its whole blocks from the memo where their
    /// buckets are unchanged, the rest one query per stretch of segments
    /// not kept (minutes per block). When some of the run is kept (a
    /// refresh), its partial blocks, never kept, are read beside the
    /// memo's check; on a first view the whole run is one query after it.
    async fn run<I, R>(
        &self,
        part: &'static str,
        grain: Grain,
        run: &[Segment],
        f: &Filters,
        rollup: impl Fn(Grain, i64, i64, Blocks) -> R,
    ) -> Result<Vec<Arc<Vec<I>>>, StoreError>
    where
        I: Send + Sync + 'static,
        R: Future<Output = Result<Vec<(i64, I)>, StoreError>>,
    {
        let key = |s: &Segment| Key { part, grain, from: s.from, to: s.to, filters: f.clone() };
        let whole: Vec<usize> = (0..run.len()).filter(|&i| run[i].whole_block()).collect();
        let refresh = self.memo.is_some_and(|m| whole.iter().any(|&i| m.holds(&key(&run[i]))));
        let early: Vec<usize> = if refresh { (0..run.len()).filter(|i| !whole.contains(i)).collect() } else { vec![] };
        let check = async {
            let mut kept: Vec<Option<Checked<I>>> = run.iter().map(|_| None).collect();
            if let Some(memo) = self.memo {
                for &i in &whole {
                    let w = self.writes(grain, run[i].from, run[i].to).await?;
                    let value = memo.get(&key(&run[i]), &w);
                    kept[i] = Some((w, value));
                }
            }
            Ok(kept)
        };
        let (mut read, kept) = futures::try_join!(self.read(grain, run, &early, &rollup), check)?;
        let missing: Vec<usize> = (0..run.len())
            .filter(|&i| !early.contains(&i) && kept[i].as_ref().is_none_or(|(_, v)| v.is_none()))
            .collect();
        for (i, rows) in self.read(grain, run, &missing, &rollup).await?.into_iter().enumerate() {
            read[i].extend(rows);
        }
        let mut out = Vec::with_capacity(run.len());
        for (i, (rows, kept)) in read.into_iter().zip(kept).enumerate() {
            out.push(match kept {
                Some((_, Some(value))) => value,
                Some((w, None)) => {
                    let value = Arc::new(rows);
                    if let Some(memo) = self.memo {
                        memo.put(key(&run[i]), w, value.clone());
                    }
                    value
                }
                None => Arc::new(rows),
            });
        }
        Ok(out)
    }

    /// The rows of `run`'s segments `wanted` (indices in order), one query
    /// per stretch of them, each segment's rows apart.
    async fn read<I, R>(
        &self,
        grain: Grain,
        run: &[Segment],
        wanted: &[usize],
        rollup: &impl Fn(Grain, i64, i64, Blocks) -> R,
    ) -> Result<Vec<Vec<I>>, StoreError>
    where
        R: Future<Output = Result<Vec<(i64, I)>, StoreError>>,
    {
        let blocks = if grain == Grain::Minute { Blocks::Of(MINUTE_BLOCK_MS) } else { Blocks::Whole };
        let stretches = wanted.chunk_by(|a, b| a + 1 == *b).map(|s| (s[0], s[s.len() - 1]));
        let rows =
            try_join_all(stretches.map(|(first, last)| rollup(grain, run[first].from, run[last].to, blocks))).await?;
        let mut out: Vec<Vec<I>> = run.iter().map(|_| Vec::new()).collect();
        for (block, item) in rows.into_iter().flatten() {
            // Segments are cut at block starts: a block is in the first
            // segment that ends after its start.
            if let Some(segment) = out.get_mut(run.partition_point(|s| s.to <= block)) {
                segment.push(item);
            }
        }
        Ok(out)
    }

    /// Sums per value of each dimension over `[from, to)`. Without
    /// filters, hours and days come from their marginal rollups (a few
    /// dozen rows an hour, where the combinations are hundreds); minutes
    /// and raw edges, and every filtered read, from the combinations.
    async fn marginals(&self, from: i64, to: i64, f: &Filters) -> Result<Marginals, StoreError> {
        let parts = self
            .segments(
                "marginals",
                from,
                to,
                Grain::Day,
                f,
                |g, from, to, b| async move {
                    let rows = match g.marginal_table().filter(|_| !f.has_dims()) {
                        Some(table) => self.store.rollup_marginals(table, from, to, b).await?,
                        None => {
                            // Each block's combinations, summed per value here.
                            let combos = self.store.rollup_combos(g, from, to, f, b).await?;
                            let sums = rollup::by_dim(combos.iter().map(|(block, d, m)| (*block, d, m)));
                            sums.into_iter()
                                .map(|((block, dim, value), m)| (block, dim, value.to_string(), m))
                                .collect()
                        }
                    };
                    Ok(rows.into_iter().map(|(block, dim, value, m)| (block, (dim, value, m))).collect())
                },
                |rows| Marginals::from_combos(rows.iter().map(|(_, d, m)| (d, m))).into_rows(),
            )
            .await?;
        let mut out = Marginals::default();
        for (dim, value, m) in parts.iter().flat_map(|p| p.iter()) {
            out.add(*dim, value, m);
        }
        Ok(out)
    }

    /// Sums per trend bucket over the window.
    async fn series(&self, w: &Window, f: &Filters) -> Result<BTreeMap<i64, Metrics>, StoreError> {
        let parts = self
            .segments(
                "series",
                w.from,
                w.to,
                w.series,
                f,
                |g, from, to, b| async move {
                    let rows = self.store.rollup_series(g, from, to, f).await?;
                    Ok(rows.into_iter().map(|(t, m)| (b.of_bucket(t, from), (t, m))).collect())
                },
                |rows| rows.iter().map(|(ts, _, m)| (*ts, m.clone())).collect(),
            )
            .await?;
        let mut out: BTreeMap<i64, Metrics> = BTreeMap::new();
        for (bucket, m) in parts.iter().flat_map(|p| p.iter()) {
            out.entry(w.series.floor(*bucket)).or_default().add(m);
        }
        Ok(out)
    }

    /// Priced cost per tenant over `[from, to)`.
    async fn tenant_costs(&self, from: i64, to: i64, f: &Filters) -> Result<BTreeMap<String, i64>, StoreError> {
        let parts = self
            .segments(
                "tenant_costs",
                from,
                to,
                Grain::Day,
                f,
                |g, from, to, b| async move {
                    let rows = self.store.rollup_tenant_costs(g, from, to, f, b).await?;
                    Ok(rows.into_iter().map(|(block, tenant, cost)| (block, (tenant, cost))).collect())
                },
                |rows| rows.iter().map(|(_, d, m)| (d.tenant.clone(), m.cost_nanos)).collect(),
            )
            .await?;
        let mut out: BTreeMap<String, i64> = BTreeMap::new();
        for (tenant, cost) in parts.iter().flat_map(|p| p.iter()) {
            *out.entry(tenant.clone()).or_default() += cost;
        }
        Ok(out)
    }

    /// Priced cost over `[from, to)`.
    async fn cost(&self, from: i64, to: i64, f: &Filters) -> Result<i64, StoreError> {
        let parts = self
            .segments(
                "cost",
                from,
                to,
                Grain::Day,
                f,
                |g, from, to, b| self.store.rollup_cost(g, from, to, f, b),
                |rows| vec![rows.iter().map(|(_, _, m)| m.cost_nanos).sum()],
            )
            .await?;
        Ok(parts.iter().flat_map(|p| p.iter()).sum())
    }
}

/// Priced cost over `[from, to)` (budgets).
pub async fn cost(store: &Store, from: i64, to: i64, f: &Filters) -> Result<i64, StoreError> {
    Reader::new(store, None, &[]).cost(from, to, f).await
}

/// All sums over `[from, to)` (alert rules).
pub async fn totals(store: &Store, from: i64, to: i64, f: &Filters) -> Result<Metrics, StoreError> {
    Ok(Reader::new(store, None, &[]).marginals(from, to, f).await?.total())
}

/// How many models the cost-over-time chart shows apart.
pub const TREND_MODELS: usize = 6;

/// Cost per trend bucket for the costliest models, the rest as "other".
pub async fn model_trend(
    store: &Store,
    memo: &Memo,
    q: &SummaryQuery,
    now_ms: i64,
) -> Result<ModelTrend, SummaryError> {
    let w = Window::resolve(q, now_ms)?;
    let f = filters(q);
    let r = Reader::new(store, Some(memo), &[(w.from, w.to, w.series)]);
    let parts = r
        .segments(
            "model_series",
            w.from,
            w.to,
            w.series,
            &f,
            |g, from, to, b| {
                let f = &f;
                async move {
                    let rows = store.rollup_model_series(g, from, to, f).await?;
                    Ok(rows.into_iter().map(|(t, model, cost)| (b.of_bucket(t, from), (t, model, cost))).collect())
                }
            },
            |rows| rows.iter().map(|(ts, d, m)| (*ts, d.model.clone(), m.cost_nanos)).collect(),
        )
        .await?;
    let mut cells: BTreeMap<(String, i64), i64> = BTreeMap::new();
    for (bucket, model, cost) in parts.iter().flat_map(|p| p.iter()) {
        *cells.entry((model.clone(), w.series.floor(*bucket))).or_default() += cost;
    }
    Ok(build::model_trend(&w, cells, TREND_MODELS))
}

async fn gather(store: &Store, memo: &Memo, w: &Window, f: &Filters) -> Result<Inputs, StoreError> {
    let previous = w.previous();
    let r = Reader::new(
        store,
        Some(memo),
        &[(w.from, w.to, Grain::Day), (w.from, w.to, w.series), (previous.from, previous.to, Grain::Day)],
    );
    // Turns are counted where they start, whatever their stages' model,
    // persona or stage (but within the tenant and the pipeline, which a
    // turn has one of each).
    let turn_filters = f.scope_only();
    let own_turn_combos = f.has_dims() && *f != turn_filters;
    let (by, series, turn_by, previous_cost_nanos, tenant_previous, active_conversations) = futures::try_join!(
        r.marginals(w.from, w.to, f),
        r.series(w, f),
        async {
            if own_turn_combos {
                r.marginals(w.from, w.to, &turn_filters).await.map(Some)
            } else {
                Ok(None)
            }
        },
        r.cost(previous.from, previous.to, f),
        // Read with the rest rather than after them, though only a window
        // with tenants shows it: one round trip fewer, and its whole
        // blocks are kept like every other read's.
        r.tenant_costs(previous.from, previous.to, f),
        async {
            match (&f.tenant, &f.pipeline) {
                (None, None) => store.active_conversations(w.from, w.to).await,
                (t, p) => store.active_scoped_conversations(t.as_deref(), p.as_deref(), w.from, w.to).await,
            }
        },
    )?;
    let tenant_turns: BTreeMap<String, i64> =
        turn_by.as_ref().unwrap_or(&by).of(Dim::Tenant).into_iter().map(|(t, m)| (t, m.turns_started)).collect();
    Ok(Inputs {
        by,
        series,
        turns: tenant_turns.values().sum(),
        tenant_turns,
        tenant_previous,
        active_conversations,
        previous_cost_nanos,
    })
}

/// One conversation: few events, read raw through the chat index.
async fn gather_chat(store: &Store, w: &Window, f: &Filters) -> Result<Inputs, StoreError> {
    let chat_only = Filters { chat_id: f.chat_id.clone(), ..Filters::default() };
    let matches = |d: &Dims| {
        f.tenant.as_ref().is_none_or(|t| &d.tenant == t)
            && f.pipeline.as_ref().is_none_or(|p| &d.pipeline == p)
            && f.model.as_ref().is_none_or(|m| &d.model == m)
            && f.persona.as_ref().is_none_or(|p| &d.persona == p)
            && f.stage.as_ref().is_none_or(|s| &d.stage == s)
    };
    let all = store.raw_rows(w.from, w.to, &chat_only).await?;
    // Active by the same rule as for all conversations: it overlaps the window.
    let chat = f.chat_id.as_deref().unwrap_or_default();
    let active = store.conversation(chat).await?.is_some_and(|c| c.first_ts < w.to && c.last_ts >= w.from);
    let mut inputs = Inputs {
        turns: all.iter().map(|(_, _, m)| m.turns_started).sum(),
        active_conversations: i64::from(active),
        ..Inputs::default()
    };
    for (_, d, m) in &all {
        *inputs.tenant_turns.entry(d.tenant.clone()).or_default() += m.turns_started;
    }
    for (ts, d, m) in all.iter().filter(|(_, d, _)| matches(d)) {
        inputs.by.add_combo(d, m);
        inputs.series.entry(w.series.floor(*ts)).or_default().add(m);
    }
    let previous = w.previous();
    for (_, d, m) in store.raw_rows(previous.from, previous.to, &chat_only).await?.iter().filter(|(_, d, _)| matches(d))
    {
        inputs.previous_cost_nanos += m.cost_nanos;
        *inputs.tenant_previous.entry(d.tenant.clone()).or_default() += m.cost_nanos;
    }
    Ok(inputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const HOUR: i64 = 3_600_000;

    #[test]
    fn a_window_is_read_in_runs_one_per_grain_and_edge() {
        // 00:03:30 to 02:17:20: raw, minutes 4..60 (six segments), one
        // hour, minutes 120..137 (two segments), raw.
        let day = 20_000 * 86_400_000;
        let segments = plan(day + 3 * MIN + 30_000, day + 2 * HOUR + 17 * MIN + 20_000, Grain::Day);
        let runs = runs(segments.clone());
        let shape: Vec<(Source, usize)> = runs.iter().map(|r| (r[0].source, r.len())).collect();
        assert_eq!(
            shape,
            [
                (Source::Raw, 1),
                (Source::Rollup(Grain::Minute), 6),
                (Source::Rollup(Grain::Hour), 1),
                (Source::Rollup(Grain::Minute), 2),
                (Source::Raw, 1)
            ]
        );
        assert_eq!(runs.concat(), segments, "every segment once, in order");
        for run in &runs {
            assert!(run.windows(2).all(|p| p[0].to == p[1].from && p[0].source == p[1].source), "{run:?}");
        }
    }

    #[test]
    fn writes_ranges_are_joined_per_grain_where_they_meet() {
        let (m, h) = (Grain::Minute, Grain::Hour);
        assert_eq!(
            joined(vec![(h, 5, 9), (m, 0, 10), (m, 20, 30), (m, 10, 15), (h, 0, 6), (m, 22, 25)]),
            [(m, 0, 15), (m, 20, 30), (h, 0, 9)]
        );
    }

    #[test]
    fn a_rows_block_is_its_aligned_start_or_the_read_whole() {
        let per = Blocks::Of(MINUTE_BLOCK_MS);
        assert_eq!(per.of_bucket(20 * MIN + 5 * MIN, 0), 20 * MIN);
        assert_eq!(per.of_bucket(20 * MIN, 7), 20 * MIN);
        assert_eq!(Blocks::Whole.of_bucket(20 * MIN + 5 * MIN, 7), 7);
    }
}
