//! Summaries: what a window of traffic cost and how it went, answered from
//! rollups (never by scanning the window's raw events) plus the raw events
//! of the partial minutes at the window's edges — exact to the nano-dollar
//! for any `from`/`to`.
//!
//! - [`window`]: resolve `range`/`from`/`to` and cut the window into
//!   day/hour/minute rollup segments and raw edges.
//! - [`build`]: turn the sums into the [`Summary`] (pure).

pub mod build;
pub mod window;

use crate::rollup::{Dims, Grain, Metrics};
use crate::store::{merge, Filters, Store, StoreError};
use build::Inputs;
use domain::costs::ModelTrend;
use domain::summary::{Summary, SummaryQuery};
use futures::future::try_join_all;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
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

pub async fn summarize(store: &Store, q: &SummaryQuery, now_ms: i64) -> Result<Summary, SummaryError> {
    let w = Window::resolve(q, now_ms)?;
    let f = filters(q);
    let inputs = if f.chat_id.is_some() { gather_chat(store, &w, &f).await? } else { gather(store, &w, &f).await? };
    let mut summary = build::build(&w, inputs);
    summary.last_event_id = store.last_event_id().await?;
    Ok(summary)
}

/// Reads for one summary. Its parts, and each part's segments, are read
/// at once, each query on a connection of its own (a 7-day window is a
/// dozen queries); raw edges are read once even when several parts need
/// them.
struct Reader<'a> {
    store: &'a Store,
    /// Raw rows per (from, to, has dimension filters).
    raw: Mutex<HashMap<(i64, i64, bool), Edge>>,
}

/// A raw event's time, dimensions and contribution.
type RawRow = (i64, Dims, Metrics);

/// A raw edge's rows, read by the first part that needs them while the
/// others wait.
type Edge = Arc<OnceCell<Arc<Vec<RawRow>>>>;

impl<'a> Reader<'a> {
    fn new(store: &'a Store) -> Self {
        Reader { store, raw: Mutex::new(HashMap::new()) }
    }

    async fn raw(&self, from: i64, to: i64, f: &Filters) -> Result<Arc<Vec<RawRow>>, StoreError> {
        let cell =
            self.raw.lock().unwrap_or_else(|e| e.into_inner()).entry((from, to, f.has_dims())).or_default().clone();
        let rows =
            cell.get_or_try_init(|| async { Ok::<_, StoreError>(Arc::new(self.store.raw_rows(from, to, f).await?)) });
        Ok(rows.await?.clone())
    }

    /// Each segment of `[from, to)` read at once: `rollup` for whole
    /// buckets, `raw` (over the edge's raw rows) for partial ones.
    async fn segments<T, R>(
        &self,
        from: i64,
        to: i64,
        coarsest: Grain,
        f: &Filters,
        rollup: impl Fn(Grain, i64, i64) -> R,
        raw: impl Fn(&[RawRow]) -> T,
    ) -> Result<Vec<T>, StoreError>
    where
        R: Future<Output = Result<T, StoreError>>,
    {
        try_join_all(plan(from, to, coarsest).into_iter().map(|seg| {
            let (rollup, raw) = (&rollup, &raw);
            async move {
                match seg.source {
                    Source::Rollup(g) => rollup(g, seg.from, seg.to).await,
                    Source::Raw => Ok(raw(&self.raw(seg.from, seg.to, f).await?)),
                }
            }
        }))
        .await
    }

    /// Sums per dimension combination over `[from, to)`.
    async fn combos(&self, from: i64, to: i64, f: &Filters) -> Result<BTreeMap<Dims, Metrics>, StoreError> {
        let parts = self
            .segments(
                from,
                to,
                Grain::Day,
                f,
                |g, from, to| self.store.rollup_combos(g, from, to, f),
                |rows| rows.iter().map(|(_, d, m)| (d.clone(), m.clone())).collect(),
            )
            .await?;
        let mut out = BTreeMap::new();
        for part in parts {
            merge(&mut out, part);
        }
        Ok(out)
    }

    /// Sums per trend bucket over the window.
    async fn series(&self, w: &Window, f: &Filters) -> Result<BTreeMap<i64, Metrics>, StoreError> {
        let parts = self
            .segments(
                w.from,
                w.to,
                w.series,
                f,
                |g, from, to| self.store.rollup_series(g, from, to, f),
                |rows| rows.iter().map(|(ts, _, m)| (*ts, m.clone())).collect(),
            )
            .await?;
        let mut out = BTreeMap::new();
        for part in parts {
            merge(&mut out, part.into_iter().map(|(b, m)| (w.series.floor(b), m)));
        }
        Ok(out)
    }

    /// Priced cost per tenant over `[from, to)`.
    async fn tenant_costs(&self, from: i64, to: i64, f: &Filters) -> Result<BTreeMap<String, i64>, StoreError> {
        let parts = self
            .segments(
                from,
                to,
                Grain::Day,
                f,
                |g, from, to| self.store.rollup_tenant_costs(g, from, to, f),
                |rows| rows.iter().map(|(_, d, m)| (d.tenant.clone(), m.cost_nanos)).collect(),
            )
            .await?;
        let mut out: BTreeMap<String, i64> = BTreeMap::new();
        for (tenant, cost) in parts.into_iter().flatten() {
            *out.entry(tenant).or_default() += cost;
        }
        Ok(out)
    }

    /// Priced cost over `[from, to)`.
    async fn cost(&self, from: i64, to: i64, f: &Filters) -> Result<i64, StoreError> {
        let parts = self
            .segments(
                from,
                to,
                Grain::Day,
                f,
                |g, from, to| self.store.rollup_cost(g, from, to, f),
                |rows| rows.iter().map(|(_, _, m)| m.cost_nanos).sum(),
            )
            .await?;
        Ok(parts.into_iter().sum())
    }
}

/// Priced cost over `[from, to)` (budgets).
pub async fn cost(store: &Store, from: i64, to: i64, f: &Filters) -> Result<i64, StoreError> {
    Reader::new(store).cost(from, to, f).await
}

/// All sums over `[from, to)` (alert rules).
pub async fn totals(store: &Store, from: i64, to: i64, f: &Filters) -> Result<Metrics, StoreError> {
    Ok(total(&Reader::new(store).combos(from, to, f).await?))
}

/// How many models the cost-over-time chart shows apart.
pub const TREND_MODELS: usize = 6;

/// Cost per trend bucket for the costliest models, the rest as "other".
pub async fn model_trend(store: &Store, q: &SummaryQuery, now_ms: i64) -> Result<ModelTrend, SummaryError> {
    let w = Window::resolve(q, now_ms)?;
    let f = filters(q);
    let r = Reader::new(store);
    let parts = r
        .segments(
            w.from,
            w.to,
            w.series,
            &f,
            |g, from, to| store.rollup_model_series(g, from, to, &f),
            |rows| rows.iter().map(|(ts, d, m)| (*ts, d.model.clone(), m.cost_nanos)).collect(),
        )
        .await?;
    let mut cells: BTreeMap<(String, i64), i64> = BTreeMap::new();
    for (bucket, model, cost) in parts.into_iter().flatten() {
        *cells.entry((model, w.series.floor(bucket))).or_default() += cost;
    }
    Ok(build::model_trend(&w, cells, TREND_MODELS))
}

async fn gather(store: &Store, w: &Window, f: &Filters) -> Result<Inputs, StoreError> {
    let r = Reader::new(store);
    // Turns are counted where they start, whatever their stages' model,
    // persona or stage (but within the tenant and the pipeline, which a
    // turn has one of each).
    let turn_filters = f.scope_only();
    let own_turn_combos = f.has_dims() && *f != turn_filters;
    let previous = w.previous();
    let (combos, series, turn_combos, previous_cost_nanos, active_conversations) = futures::try_join!(
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
    // Only a window with tenants pays for reading the previous one by tenant.
    let tenant_previous = if combos.keys().any(|d| !d.tenant.is_empty()) {
        r.tenant_costs(previous.from, previous.to, f).await?
    } else {
        BTreeMap::new()
    };
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
