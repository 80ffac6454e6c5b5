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

use crate::rollup::{Dims, Grain, Metrics};
use crate::store::{merge, Filters, Store, StoreError};
use build::Inputs;
use domain::costs::ModelTrend;
use domain::summary::{Summary, SummaryQuery};
use futures::future::try_join_all;
use memo::{Key, Memo, Rows, Writes};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;
use window::{plan, BadParam, Source, Window};

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

/// Reads for one summary. Its parts, and each part's segments, are read
/// at once, each query on a connection of its own (a 7-day window is a
/// dozen queries); raw edges are read once even when several parts need
/// them. Reads of whole blocks (days, hours, aligned ten minutes) go
/// through the memo, when there is one.
struct Reader<'a> {
    store: &'a Store,
    memo: Option<&'a Memo>,
    /// Raw rows per (from, to, has dimension filters).
    raw: ReadOnce<(i64, i64, bool), Arc<Vec<RawRow>>>,
    /// The buckets' writes per rollup segment.
    writes: ReadOnce<(Grain, i64, i64), Writes>,
}

/// A raw event's time, dimensions and contribution.
type RawRow = (i64, Dims, Metrics);

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

impl<'a> Reader<'a> {
    fn new(store: &'a Store, memo: Option<&'a Memo>) -> Self {
        Reader { store, memo, raw: ReadOnce::new(), writes: ReadOnce::new() }
    }

    async fn raw(&self, from: i64, to: i64, f: &Filters) -> Result<Arc<Vec<RawRow>>, StoreError> {
        self.raw.get((from, to, f.has_dims()), || async { Ok(Arc::new(self.store.raw_rows(from, to, f).await?)) }).await
    }

    /// The `(bucket, writes)` list of a rollup segment.
    async fn writes(&self, grain: Grain, from: i64, to: i64) -> Result<Writes, StoreError> {
        self.writes
            .get((grain, from, to), || async { Ok(Arc::new(self.store.rollup_writes(grain, from, to).await?)) })
            .await
    }

    /// `read`'s answer for `key` (a whole block): kept from an earlier read
    /// while the buckets are unchanged (the list is read first, see
    /// [`memo`]).
    async fn kept<T, R>(&self, key: Key, read: R) -> Result<Arc<T>, StoreError>
    where
        T: Rows + Send + Sync + 'static,
        R: Future<Output = Result<T, StoreError>>,
    {
        let Some(memo) = self.memo else { return Ok(Arc::new(read.await?)) };
        let writes = self.writes(key.grain, key.from, key.to).await?;
        if let Some(value) = memo.get(&key, &writes) {
            return Ok(value);
        }
        let value = Arc::new(read.await?);
        memo.put(key, writes, value.clone());
        Ok(value)
    }

    /// Each segment of `[from, to)` read at once: `rollup` for whole
    /// buckets, `raw` (over the edge's raw rows) for partial ones. `part`
    /// names the read for the memo.
    #[allow(clippy::too_many_arguments)]
    async fn segments<T, R>(
        &self,
        part: &'static str,
        from: i64,
        to: i64,
        coarsest: Grain,
        f: &Filters,
        rollup: impl Fn(Grain, i64, i64) -> R,
        raw: impl Fn(&[RawRow]) -> T,
    ) -> Result<Vec<Arc<T>>, StoreError>
    where
        T: Rows + Send + Sync + 'static,
        R: Future<Output = Result<T, StoreError>>,
    {
        try_join_all(plan(from, to, coarsest).into_iter().map(|seg| {
            let (rollup, raw) = (&rollup, &raw);
            async move {
                match seg.source {
                    Source::Rollup(grain) if seg.whole_block() => {
                        let key = Key { part, grain, from: seg.from, to: seg.to, filters: f.clone() };
                        self.kept(key, rollup(grain, seg.from, seg.to)).await
                    }
                    Source::Rollup(grain) => Ok(Arc::new(rollup(grain, seg.from, seg.to).await?)),
                    Source::Raw => Ok(Arc::new(raw(&self.raw(seg.from, seg.to, f).await?))),
                }
            }
        }))
        .await
    }

    /// Sums per dimension combination over `[from, to)`.
    async fn combos(&self, from: i64, to: i64, f: &Filters) -> Result<BTreeMap<Dims, Metrics>, StoreError> {
        let parts = self
            .segments(
                "combos",
                from,
                to,
                Grain::Day,
                f,
                |g, from, to| self.store.rollup_combos(g, from, to, f),
                |rows| rows.iter().map(|(_, d, m)| (d.clone(), m.clone())).collect(),
            )
            .await?;
        let mut out = BTreeMap::new();
        for part in &parts {
            merge(&mut out, part.iter().map(|(d, m)| (d, m)));
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
                |g, from, to| self.store.rollup_series(g, from, to, f),
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
                |g, from, to| self.store.rollup_tenant_costs(g, from, to, f),
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
                |g, from, to| self.store.rollup_cost(g, from, to, f),
                |rows| rows.iter().map(|(_, _, m)| m.cost_nanos).sum(),
            )
            .await?;
        Ok(parts.iter().map(|c| **c).sum())
    }
}

/// Priced cost over `[from, to)` (budgets).
pub async fn cost(store: &Store, from: i64, to: i64, f: &Filters) -> Result<i64, StoreError> {
    Reader::new(store, None).cost(from, to, f).await
}

/// All sums over `[from, to)` (alert rules).
pub async fn totals(store: &Store, from: i64, to: i64, f: &Filters) -> Result<Metrics, StoreError> {
    Ok(total(&Reader::new(store, None).combos(from, to, f).await?))
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
    let r = Reader::new(store, Some(memo));
    let parts = r
        .segments(
            "model_series",
            w.from,
            w.to,
            w.series,
            &f,
            |g, from, to| store.rollup_model_series(g, from, to, &f),
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
    let r = Reader::new(store, Some(memo));
    // Turns are counted where they start, whatever their stages' model,
    // persona or stage (but within the tenant and the pipeline, which a
    // turn has one of each).
    let turn_filters = f.scope_only();
    let own_turn_combos = f.has_dims() && *f != turn_filters;
    let previous = w.previous();
    let (combos, series, turn_combos, previous_cost_nanos, tenant_previous, active_conversations) = futures::try_join!(
        r.combos(w.from, w.to, f),
        r.series(w, f),
        async {
            if own_turn_combos {
                r.combos(w.from, w.to, &turn_filters).await.map(Some)
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
    let mut tenant_turns: BTreeMap<String, i64> = BTreeMap::new();
    for (d, m) in turn_combos.as_ref().unwrap_or(&combos) {
        *tenant_turns.entry(d.tenant.clone()).or_default() += m.turns_started;
    }
    Ok(Inputs {
        combos,
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
        inputs.combos.entry(d.clone()).or_default().add(m);
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

fn total(combos: &BTreeMap<Dims, Metrics>) -> Metrics {
    let mut total = Metrics::default();
    for m in combos.values() {
        total.add(m);
    }
    total
}
