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
use std::collections::{BTreeMap, HashMap};
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

/// Reads for one summary; raw edges read once even when several parts of
/// the answer need them.
struct Reader<'a> {
    store: &'a Store,
    /// Raw rows per (from, to, has dimension filters).
    raw: HashMap<(i64, i64, bool), Vec<RawRow>>,
}

/// A raw event's time, dimensions and contribution.
type RawRow = (i64, Dims, Metrics);

impl Reader<'_> {
    async fn raw(&mut self, from: i64, to: i64, f: &Filters) -> Result<&[RawRow], StoreError> {
        let key = (from, to, f.has_dims());
        if !self.raw.contains_key(&key) {
            let rows = self.store.raw_rows(from, to, f).await?;
            self.raw.insert(key, rows);
        }
        Ok(&self.raw[&key])
    }

    /// Sums per dimension combination over `[from, to)`.
    async fn combos(&mut self, from: i64, to: i64, f: &Filters) -> Result<BTreeMap<Dims, Metrics>, StoreError> {
        let mut out = BTreeMap::new();
        for seg in plan(from, to, Grain::Day) {
            match seg.source {
                Source::Rollup(g) => merge(&mut out, self.store.rollup_combos(g, seg.from, seg.to, f).await?),
                Source::Raw => {
                    merge(&mut out, self.raw(seg.from, seg.to, f).await?.iter().map(|(_, d, m)| (d.clone(), m.clone())))
                }
            }
        }
        Ok(out)
    }

    /// Sums per trend bucket over the window.
    async fn series(&mut self, w: &Window, f: &Filters) -> Result<BTreeMap<i64, Metrics>, StoreError> {
        let mut out = BTreeMap::new();
        for seg in plan(w.from, w.to, w.series) {
            match seg.source {
                Source::Rollup(g) => merge(
                    &mut out,
                    self.store
                        .rollup_series(g, seg.from, seg.to, f)
                        .await?
                        .into_iter()
                        .map(|(b, m)| (w.series.floor(b), m)),
                ),
                Source::Raw => merge(
                    &mut out,
                    self.raw(seg.from, seg.to, f).await?.iter().map(|(ts, _, m)| (w.series.floor(*ts), m.clone())),
                ),
            }
        }
        Ok(out)
    }

    /// Priced cost per tenant over `[from, to)`.
    async fn tenant_costs(&mut self, from: i64, to: i64, f: &Filters) -> Result<BTreeMap<String, i64>, StoreError> {
        let mut out: BTreeMap<String, i64> = BTreeMap::new();
        for seg in plan(from, to, Grain::Day) {
            let rows: Vec<(String, i64)> = match seg.source {
                Source::Rollup(g) => self.store.rollup_tenant_costs(g, seg.from, seg.to, f).await?,
                Source::Raw => self
                    .raw(seg.from, seg.to, f)
                    .await?
                    .iter()
                    .map(|(_, d, m)| (d.tenant.clone(), m.cost_nanos))
                    .collect(),
            };
            for (tenant, cost) in rows {
                *out.entry(tenant).or_default() += cost;
            }
        }
        Ok(out)
    }

    /// Priced cost over `[from, to)`.
    async fn cost(&mut self, from: i64, to: i64, f: &Filters) -> Result<i64, StoreError> {
        let mut total = 0;
        for seg in plan(from, to, Grain::Day) {
            total += match seg.source {
                Source::Rollup(g) => self.store.rollup_cost(g, seg.from, seg.to, f).await?,
                Source::Raw => self.raw(seg.from, seg.to, f).await?.iter().map(|(_, _, m)| m.cost_nanos).sum(),
            };
        }
        Ok(total)
    }
}

/// Priced cost over `[from, to)` (budgets).
pub async fn cost(store: &Store, from: i64, to: i64, f: &Filters) -> Result<i64, StoreError> {
    Reader { store, raw: HashMap::new() }.cost(from, to, f).await
}

/// All sums over `[from, to)` (alert rules).
pub async fn totals(store: &Store, from: i64, to: i64, f: &Filters) -> Result<Metrics, StoreError> {
    Ok(total(&Reader { store, raw: HashMap::new() }.combos(from, to, f).await?))
}

/// How many models the cost-over-time chart shows apart.
pub const TREND_MODELS: usize = 6;

/// Cost per trend bucket for the costliest models, the rest as "other".
pub async fn model_trend(store: &Store, q: &SummaryQuery, now_ms: i64) -> Result<ModelTrend, SummaryError> {
    let w = Window::resolve(q, now_ms)?;
    let f = filters(q);
    let mut r = Reader { store, raw: HashMap::new() };
    let mut cells: BTreeMap<(String, i64), i64> = BTreeMap::new();
    for seg in plan(w.from, w.to, w.series) {
        match seg.source {
            Source::Rollup(g) => {
                for (bucket, model, cost) in store.rollup_model_series(g, seg.from, seg.to, &f).await? {
                    *cells.entry((model, w.series.floor(bucket))).or_default() += cost;
                }
            }
            Source::Raw => {
                for (ts, d, m) in r.raw(seg.from, seg.to, &f).await? {
                    *cells.entry((d.model.clone(), w.series.floor(*ts))).or_default() += m.cost_nanos;
                }
            }
        }
    }
    Ok(build::model_trend(&w, cells, TREND_MODELS))
}

async fn gather(store: &Store, w: &Window, f: &Filters) -> Result<Inputs, StoreError> {
    let mut r = Reader { store, raw: HashMap::new() };
    let combos = r.combos(w.from, w.to, f).await?;
    let series = r.series(w, f).await?;
    // Turns are counted where they start, whatever their stages' model,
    // persona or stage (but within the tenant and the pipeline, which a
    // turn has one of each).
    let turn_filters = f.scope_only();
    let turn_combos =
        if f.has_dims() && *f != turn_filters { r.combos(w.from, w.to, &turn_filters).await? } else { combos.clone() };
    let mut tenant_turns: BTreeMap<String, i64> = BTreeMap::new();
    for (d, m) in &turn_combos {
        *tenant_turns.entry(d.tenant.clone()).or_default() += m.turns_started;
    }
    let previous = w.previous();
    let previous_cost_nanos = r.cost(previous.from, previous.to, f).await?;
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
        active_conversations: match (&f.tenant, &f.pipeline) {
            (None, None) => store.active_conversations(w.from, w.to).await?,
            (t, p) => store.active_scoped_conversations(t.as_deref(), p.as_deref(), w.from, w.to).await?,
        },
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
