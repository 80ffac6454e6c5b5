//! Turns rollup sums into the [`Summary`] an admin reads. Pure: the same
//! sums always give the same answer, so it is tested without a database.

use super::window::Window;
use crate::rollup::histogram::percentile;
use crate::rollup::{Dim, Dims, Metrics};
use domain::costs::{ModelSeries, ModelTrend};
use domain::summary::{
    Breakdown, CostSummary, ModelUsage, Overview, Point, StagePerformance, Summary, TenantCost, TokenSummary,
    ToolStats, Trend,
};
use std::collections::BTreeMap;

/// A change smaller than this (percent) is "stable".
const STABLE_PCT: f64 = 5.0;

/// What the store found for a window.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// Sums per value of each dimension (filters applied).
    pub by: Marginals,
    /// Sums per trend bucket (filters applied).
    pub series: BTreeMap<i64, Metrics>,
    /// Turns started in the window.
    pub turns: i64,
    pub active_conversations: i64,
    pub previous_cost_nanos: i64,
    /// Turns started in the window, per tenant.
    pub tenant_turns: BTreeMap<String, i64>,
    /// Priced spend per tenant in the window before (shown only when the
    /// window has tenants).
    pub tenant_previous: BTreeMap<String, i64>,
}

/// Sums per value of each dimension a summary breaks down by ([`Dim`]),
/// one dimension at a time: what every part of a summary is built from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Marginals(BTreeMap<Dim, BTreeMap<String, Metrics>>);

impl Marginals {
    /// Adds `m` to `dim`'s `value`.
    pub fn add(&mut self, dim: Dim, value: &str, m: &Metrics) {
        let values = self.0.entry(dim).or_default();
        match values.get_mut(value) {
            Some(sum) => sum.add(m),
            None => {
                values.insert(value.to_string(), m.clone());
            }
        }
    }

    /// Adds the sums of a combination of dimensions to each of its values.
    pub fn add_combo(&mut self, d: &Dims, m: &Metrics) {
        for dim in Dim::ALL {
            self.add(dim, dim.of(d), m);
        }
    }

    pub fn from_combos<'a>(combos: impl IntoIterator<Item = (&'a Dims, &'a Metrics)>) -> Marginals {
        let mut out = Marginals::default();
        for (d, m) in combos {
            out.add_combo(d, m);
        }
        out
    }

    /// Every `(dimension, value, sums)`.
    pub fn into_rows(self) -> Vec<(Dim, String, Metrics)> {
        self.0.into_iter().flat_map(|(dim, values)| values.into_iter().map(move |(v, m)| (dim, v, m))).collect()
    }

    /// `dim`'s values and their sums.
    pub fn of(&self, dim: Dim) -> BTreeMap<String, Metrics> {
        self.0.get(&dim).cloned().unwrap_or_default()
    }

    /// The sums of everything (every event has one stage, `""` or not).
    pub fn total(&self) -> Metrics {
        let mut total = Metrics::default();
        for m in self.0.get(&Dim::Stage).into_iter().flat_map(BTreeMap::values) {
            total.add(m);
        }
        total
    }
}

/// The change against the previous window, in percent, and its direction.
fn change(current: i64, previous: i64) -> (Option<f64>, Trend) {
    let change_pct = (previous != 0).then(|| {
        let change = (current - previous) as f64 / previous as f64 * 100.0;
        (change * 10.0).round() / 10.0
    });
    let trend = match change_pct {
        Some(p) if p >= STABLE_PCT => Trend::Increasing,
        Some(p) if p <= -STABLE_PCT => Trend::Decreasing,
        Some(_) => Trend::Stable,
        None if current > 0 => Trend::Increasing,
        None => Trend::Stable,
    };
    (change_pct, trend)
}

/// Spend per tenant, costliest first — once any event of the window has a
/// tenant (none: no table). Tenants that only spent in the previous window
/// are listed too (at zero, decreasing).
fn tenants(inp: &Inputs, total_cost: i64) -> Vec<TenantCost> {
    let mut groups = inp.by.of(Dim::Tenant);
    if groups.keys().all(String::is_empty) {
        return Vec::new();
    }
    for t in inp.tenant_previous.keys() {
        groups.entry(t.clone()).or_default();
    }
    let mut rows: Vec<TenantCost> = groups
        .into_iter()
        .map(|(tenant, m)| {
            let turns = inp.tenant_turns.get(&tenant).copied().unwrap_or(0);
            let previous = inp.tenant_previous.get(&tenant).copied().unwrap_or(0);
            let (change_pct, trend) = change(m.cost_nanos, previous);
            TenantCost {
                share_pct: pct(m.cost_nanos, total_cost),
                events: m.events,
                errors: m.errors,
                unpriced_events: m.unpriced_events,
                turns,
                cost_per_turn_nanos: (turns > 0).then(|| m.cost_nanos / turns),
                cost_nanos: m.cost_nanos,
                previous_cost_nanos: previous,
                change_pct,
                trend,
                tenant,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.cost_nanos.cmp(&a.cost_nanos).then(b.events.cmp(&a.events)).then(a.tenant.cmp(&b.tenant)));
    rows
}

fn ratio(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn pct(part: i64, whole: i64) -> f64 {
    (ratio(part, whole) * 1000.0).round() / 10.0
}

/// `a × b / c` without overflow, rounded down.
fn mul_div(a: i64, b: i64, c: i64) -> i64 {
    if c == 0 {
        return 0;
    }
    i64::try_from(i128::from(a) * i128::from(b) / i128::from(c)).unwrap_or(i64::MAX)
}

fn avg_ms(m: &Metrics) -> Option<i64> {
    (m.duration_count > 0).then(|| m.duration_sum_ms / m.duration_count)
}

fn breakdown(groups: BTreeMap<String, Metrics>) -> Vec<Breakdown> {
    let mut rows: Vec<Breakdown> = groups
        .into_iter()
        .map(|(name, m)| Breakdown {
            name,
            events: m.events,
            errors: m.errors,
            cost_nanos: m.cost_nanos,
            unpriced_events: m.unpriced_events,
            tokens: m.tokens(),
        })
        .collect();
    rows.sort_by(|a, b| b.cost_nanos.cmp(&a.cost_nanos).then(b.events.cmp(&a.events)).then(a.name.cmp(&b.name)));
    rows
}

/// Per tool, most called first (stages without a tool are left out).
fn tools(by: &Marginals) -> Vec<ToolStats> {
    let mut rows: Vec<ToolStats> = by
        .of(Dim::Tool)
        .into_iter()
        .filter(|(tool, _)| !tool.is_empty())
        .map(|(tool, m)| ToolStats {
            tool,
            calls: m.events,
            errors: m.errors,
            error_rate: ratio(m.errors, m.events),
            p50_ms: percentile(&m.hist, 0.50),
            p95_ms: percentile(&m.hist, 0.95),
            p99_ms: percentile(&m.hist, 0.99),
            cost_nanos: m.cost_nanos,
            unpriced_events: m.unpriced_events,
        })
        .collect();
    rows.sort_by(|a, b| b.calls.cmp(&a.calls).then(b.cost_nanos.cmp(&a.cost_nanos)).then(a.tool.cmp(&b.tool)));
    rows
}

/// Bucket starts of the window's trend axis (empty buckets included).
fn axis(w: &Window) -> Vec<i64> {
    let mut out = Vec::new();
    let mut t = w.series.floor(w.from);
    while t < w.to {
        out.push(t);
        t += w.series.ms();
    }
    out
}

/// Cost per bucket for the `top` costliest models; the rest summed as
/// "other" (and events without a model as "(no model)").
pub fn model_trend(w: &Window, cells: BTreeMap<(String, i64), i64>, top: usize) -> ModelTrend {
    let buckets = axis(w);
    let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
    for ((model, _), cost) in &cells {
        *totals.entry(model.as_str()).or_default() += cost;
    }
    let mut ranked: Vec<(&str, i64)> = totals.into_iter().filter(|(_, c)| *c != 0).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let shown: Vec<&str> = ranked.iter().take(top).map(|(m, _)| *m).collect();
    let label = |m: &str| if m.is_empty() { "(no model)".to_string() } else { m.to_string() };
    let index: BTreeMap<i64, usize> = buckets.iter().enumerate().map(|(i, b)| (*b, i)).collect();
    let mut series: Vec<ModelSeries> =
        shown.iter().map(|m| ModelSeries { model: label(m), cost_nanos: vec![0; buckets.len()] }).collect();
    let mut other = vec![0; buckets.len()];
    for ((model, bucket), cost) in &cells {
        let Some(&i) = index.get(bucket) else { continue };
        match shown.iter().position(|m| m == model) {
            Some(s) => series[s].cost_nanos[i] += cost,
            None => other[i] += cost,
        }
    }
    if other.iter().any(|c| *c != 0) {
        series.push(ModelSeries { model: "other".into(), cost_nanos: other });
    }
    ModelTrend { buckets, series }
}

pub fn build(w: &Window, inp: Inputs) -> Summary {
    let total = inp.by.total();
    let models = inp.by.of(Dim::Model);
    let requests: i64 = models.iter().filter(|(model, _)| !model.is_empty()).map(|(_, m)| m.events).sum();
    let span = w.to - w.from;
    let turns = inp.turns;

    let (change_pct, trend) = change(total.cost_nanos, inp.previous_cost_nanos);
    let daily = mul_div(total.cost_nanos, 86_400_000, span);

    let stages = inp.by.of(Dim::Stage);
    let performance = stages
        .iter()
        .map(|(stage, m)| StagePerformance {
            stage: stage.clone(),
            events: m.events,
            avg_ms: avg_ms(m),
            p50_ms: percentile(&m.hist, 0.50),
            p95_ms: percentile(&m.hist, 0.95),
            p99_ms: percentile(&m.hist, 0.99),
        })
        .collect();

    let mut model_usage: Vec<ModelUsage> = models
        .into_iter()
        .filter(|(model, _)| !model.is_empty())
        .map(|(model, m)| ModelUsage {
            model,
            requests: m.events,
            errors: m.errors,
            cost_nanos: m.cost_nanos,
            unpriced_events: m.unpriced_events,
            input_tokens: m.input_tokens,
            output_tokens: m.output_tokens,
            cached_input_tokens: m.cached_input_tokens,
            tokens: m.tokens(),
            percentage: pct(m.events, requests),
            cost_percentage: pct(m.cost_nanos, total.cost_nanos),
            avg_ms: avg_ms(&m),
            p95_ms: percentile(&m.hist, 0.95),
            p99_ms: percentile(&m.hist, 0.99),
        })
        .collect();
    model_usage
        .sort_by(|a, b| b.cost_nanos.cmp(&a.cost_nanos).then(b.requests.cmp(&a.requests)).then(a.model.cmp(&b.model)));

    // A continuous axis: every bucket of the window, empty ones as zeros.
    let trend_points = axis(w)
        .into_iter()
        .map(|t| {
            let m = inp.series.get(&t).cloned().unwrap_or_default();
            Point {
                t,
                events: m.events,
                errors: m.errors,
                cost_nanos: m.cost_nanos,
                unpriced_events: m.unpriced_events,
                tokens: m.tokens(),
            }
        })
        .collect();

    Summary {
        from: w.from,
        to: w.to,
        range: w.range.clone(),
        bucket: w.series.name().to_string(),
        overview: Overview {
            events: total.events,
            requests,
            turns,
            active_conversations: inp.active_conversations,
            errors: total.errors,
            success_rate: if total.events == 0 { 0.0 } else { 1.0 - ratio(total.errors, total.events) },
            error_rate: ratio(total.errors, total.events),
        },
        cost: CostSummary {
            total_nanos: total.cost_nanos,
            average_per_turn_nanos: (turns > 0).then(|| total.cost_nanos / turns),
            per_hour_nanos: mul_div(total.cost_nanos, 3_600_000, span),
            projected_daily_nanos: daily,
            projected_monthly_nanos: daily.saturating_mul(30),
            previous_total_nanos: inp.previous_cost_nanos,
            change_pct,
            trend,
            unpriced_events: total.unpriced_events,
            unpriced_tokens: total.unpriced_tokens,
        },
        tokens: TokenSummary {
            input: total.input_tokens,
            output: total.output_tokens,
            cached_input: total.cached_input_tokens,
            cache_write: total.cache_write_tokens,
            reasoning: total.reasoning_tokens,
            average_per_turn: (turns > 0).then(|| total.tokens() / turns),
        },
        performance,
        model_usage,
        personas: breakdown(inp.by.of(Dim::Persona)),
        tenants: tenants(&inp, total.cost_nanos),
        tools: tools(&inp.by),
        stages: breakdown(stages),
        trend: trend_points,
        last_event_id: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollup::{histogram::bin_of, Grain};

    fn dims(model: &str, stage: &str, persona: &str) -> Dims {
        Dims {
            model: model.into(),
            stage: stage.into(),
            persona: persona.into(),
            status: "success".into(),
            tenant: String::new(),
            tool: String::new(),
            pipeline: String::new(),
        }
    }

    fn metrics(events: i64, errors: i64, cost: i64, input: i64, output: i64, ms: i64) -> Metrics {
        let mut m = Metrics {
            events,
            errors,
            cost_nanos: cost,
            input_tokens: input,
            output_tokens: output,
            duration_count: events,
            duration_sum_ms: ms * events,
            ..Metrics::default()
        };
        m.hist[bin_of(ms)] = events;
        m
    }

    #[test]
    fn figures_from_hand_made_sums() {
        let w = Window { from: 0, to: 2 * 3_600_000, range: "custom".into(), series: Grain::Hour };
        let mut inp = Inputs { turns: 4, active_conversations: 3, previous_cost_nanos: 1_000, ..Inputs::default() };
        inp.by.add_combo(&dims("gpt-4o", "response", "sage"), &metrics(3, 1, 3_000, 300, 30, 800));
        inp.by.add_combo(&dims("", "buffer", ""), &metrics(4, 0, 0, 0, 0, 10));
        inp.by.add_combo(&dims("llama", "intent", ""), &metrics(1, 0, 1_000, 100, 10, 200));
        inp.series.insert(3_600_000, metrics(8, 1, 4_000, 400, 40, 10));
        let s = build(&w, inp);

        assert_eq!((s.overview.events, s.overview.requests, s.overview.errors, s.overview.turns), (8, 4, 1, 4));
        assert_eq!(s.overview.error_rate, 0.125);
        assert_eq!(s.cost.total_nanos, 4_000);
        assert_eq!(s.cost.average_per_turn_nanos, Some(1_000));
        assert_eq!(s.cost.per_hour_nanos, 2_000);
        assert_eq!((s.cost.projected_daily_nanos, s.cost.projected_monthly_nanos), (48_000, 1_440_000));
        assert_eq!((s.cost.change_pct, s.cost.trend), (Some(300.0), Trend::Increasing));
        assert_eq!(s.tokens.average_per_turn, Some(110));
        assert_eq!(s.model_usage.iter().map(|m| m.model.as_str()).collect::<Vec<_>>(), ["gpt-4o", "llama"]);
        assert_eq!((s.model_usage[0].percentage, s.model_usage[0].cost_percentage), (75.0, 75.0));
        let response = s.performance.iter().find(|p| p.stage == "response").unwrap();
        assert_eq!(response.avg_ms, Some(800));
        assert!(response.p95_ms.unwrap() >= 600 && response.p95_ms.unwrap() <= 1000);
        assert_eq!(s.trend.len(), 2, "every hour of the window, empty ones too");
        assert_eq!((s.trend[0].events, s.trend[1].events), (0, 8));
        assert_eq!(s.personas[0].name, "sage");
    }

    #[test]
    fn model_trend_keeps_the_costliest_and_sums_the_rest() {
        let w = Window { from: 0, to: 3 * 60_000, range: "custom".into(), series: Grain::Minute };
        let mut cells = BTreeMap::new();
        cells.insert(("a".to_string(), 0), 5);
        cells.insert(("b".to_string(), 60_000), 9);
        cells.insert(("c".to_string(), 120_000), 1);
        cells.insert(("".to_string(), 0), 2);
        let t = model_trend(&w, cells, 2);
        assert_eq!(t.buckets, [0, 60_000, 120_000]);
        let names: Vec<_> = t.series.iter().map(|s| s.model.as_str()).collect();
        assert_eq!(names, ["b", "a", "other"]);
        assert_eq!(t.series[2].cost_nanos, [2, 0, 1]);
        let total: i64 = t.series.iter().flat_map(|s| s.cost_nanos.iter()).sum();
        assert_eq!(total, 17, "nothing lost");
    }

    #[test]
    fn trend_is_stable_within_five_percent_and_empty_windows_are_calm() {
        let w = Window { from: 0, to: 60_000, range: "custom".into(), series: Grain::Minute };
        let mut inp = Inputs { previous_cost_nanos: 1_000, ..Inputs::default() };
        inp.by.add_combo(&dims("m", "s", ""), &metrics(1, 0, 1_040, 1, 1, 1));
        assert_eq!(build(&w, inp).cost.trend, Trend::Stable);
        let empty = build(&w, Inputs::default());
        assert_eq!(
            (empty.cost.trend, empty.cost.change_pct, empty.cost.average_per_turn_nanos),
            (Trend::Stable, None, None)
        );
        assert_eq!(empty.overview.success_rate, 0.0);
    }
}
