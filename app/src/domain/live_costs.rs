//! The cost monitor's live figures: what it needs of each live event (a
//! [`Tick`]), and a summary or a cost-over-time chart brought up to date with
//! the ticks that arrived after it was read. Exact sums of exact costs; the
//! next refresh replaces them with the stored truth.

use super::costs::{ModelSeries, ModelTrend};

/// What the cost monitor needs of a live event.
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    pub id: i64,
    pub ts: i64,
    pub model: String,
    pub persona: String,
    pub stage: String,
    pub tenant: String,
    pub tool: String,
    pub pipeline: String,
    pub cost_nanos: Option<i64>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cached_input_tokens: i64,
    pub is_error: bool,
}

impl From<&super::event::Event> for Tick {
    fn from(e: &super::event::Event) -> Tick {
        Tick {
            id: e.id,
            ts: e.ts,
            model: e.model.clone().unwrap_or_default(),
            persona: e.persona.clone().unwrap_or_default(),
            stage: e.stage.clone(),
            tenant: e.tenant.clone().unwrap_or_default(),
            tool: e.tool.clone().unwrap_or_default(),
            pipeline: e.pipeline.clone().unwrap_or_default(),
            cost_nanos: e.cost(),
            input_tokens: e.usage.input_tokens,
            output_tokens: e.usage.output_tokens,
            cached_input_tokens: e.usage.cached_input_tokens,
            is_error: e.status == super::Status::Error,
        }
    }
}

/// The row of `list` that `matches`, or a new one from `make` at its end.
fn row<T>(list: &mut Vec<T>, matches: impl Fn(&T) -> bool, make: impl FnOnce() -> T) -> &mut T {
    match list.iter().position(matches) {
        Some(i) => &mut list[i],
        None => {
            list.push(make());
            list.last_mut().expect("just pushed")
        }
    }
}

/// A summary brought up to date with the live events that arrived after it
/// was read (ids above its `last_event_id`, inside its window): totals,
/// per-model, per-persona and per-stage figures, and the trend. Exact sums
/// of exact costs; the next refresh replaces it with the stored truth.
pub fn apply_live<'a>(
    s: &super::summary::Summary,
    ticks: impl IntoIterator<Item = &'a Tick>,
) -> super::summary::Summary {
    use super::summary::{Breakdown, ModelUsage, Point, TenantCost, ToolStats};
    let mut out = s.clone();
    let fresh: Vec<&Tick> = ticks.into_iter().filter(|t| t.id > s.last_event_id && t.ts >= s.from).collect();
    if fresh.is_empty() {
        return out;
    }
    let step = out.trend.get(1).map(|p| p.t - out.trend[0].t).unwrap_or(1).max(1);
    for t in fresh {
        let cost = t.cost_nanos.unwrap_or(0);
        let unpriced = i64::from(t.cost_nanos.is_none());
        let tokens = t.input_tokens + t.output_tokens;
        let o = &mut out.overview;
        o.events += 1;
        o.errors += i64::from(t.is_error);
        o.requests += i64::from(!t.model.is_empty());
        o.error_rate = o.errors as f64 / o.events as f64;
        o.success_rate = 1.0 - o.error_rate;
        out.cost.total_nanos += cost;
        out.cost.unpriced_events += unpriced;
        out.cost.unpriced_tokens += unpriced * tokens;
        out.tokens.input += t.input_tokens;
        out.tokens.output += t.output_tokens;
        out.tokens.cached_input += t.cached_input_tokens;
        if !t.model.is_empty() {
            let m = row(
                &mut out.model_usage,
                |m| m.model == t.model,
                || ModelUsage {
                    model: t.model.clone(),
                    requests: 0,
                    errors: 0,
                    cost_nanos: 0,
                    unpriced_events: 0,
                    input_tokens: 0,
                    output_tokens: 0,
                    cached_input_tokens: 0,
                    tokens: 0,
                    percentage: 0.0,
                    cost_percentage: 0.0,
                    avg_ms: None,
                    p95_ms: None,
                    p99_ms: None,
                },
            );
            m.requests += 1;
            m.errors += i64::from(t.is_error);
            m.cost_nanos += cost;
            m.unpriced_events += unpriced;
            m.input_tokens += t.input_tokens;
            m.output_tokens += t.output_tokens;
            m.cached_input_tokens += t.cached_input_tokens;
            m.tokens += tokens;
        }
        for (list, name) in [(&mut out.personas, &t.persona), (&mut out.stages, &t.stage)] {
            let b = row(
                list,
                |b| &b.name == name,
                || Breakdown { name: name.clone(), events: 0, errors: 0, cost_nanos: 0, unpriced_events: 0, tokens: 0 },
            );
            b.events += 1;
            b.errors += i64::from(t.is_error);
            b.cost_nanos += cost;
            b.unpriced_events += unpriced;
            b.tokens += tokens;
        }
        // Tenants are listed once any event has one.
        if !t.tenant.is_empty() || !out.tenants.is_empty() {
            let r = row(
                &mut out.tenants,
                |r| r.tenant == t.tenant,
                || TenantCost {
                    tenant: t.tenant.clone(),
                    cost_nanos: 0,
                    share_pct: 0.0,
                    events: 0,
                    errors: 0,
                    unpriced_events: 0,
                    turns: 0,
                    cost_per_turn_nanos: None,
                    previous_cost_nanos: 0,
                    change_pct: None,
                    trend: Default::default(),
                },
            );
            r.events += 1;
            r.errors += i64::from(t.is_error);
            r.cost_nanos += cost;
            r.unpriced_events += unpriced;
            r.cost_per_turn_nanos = (r.turns > 0).then(|| r.cost_nanos / r.turns);
        }
        // Calls, errors and cost move live; percentiles wait for a refresh.
        if !t.tool.is_empty() {
            let r = row(
                &mut out.tools,
                |r| r.tool == t.tool,
                || ToolStats {
                    tool: t.tool.clone(),
                    calls: 0,
                    errors: 0,
                    error_rate: 0.0,
                    p50_ms: None,
                    p95_ms: None,
                    p99_ms: None,
                    cost_nanos: 0,
                    unpriced_events: 0,
                },
            );
            r.calls += 1;
            r.errors += i64::from(t.is_error);
            r.error_rate = r.errors as f64 / r.calls as f64;
            r.cost_nanos += cost;
            r.unpriced_events += unpriced;
        }
        let bucket = out.trend.first().map_or(t.ts, |first| first.t + (t.ts - first.t).div_euclid(step) * step);
        match out.trend.iter_mut().find(|p| p.t == bucket) {
            Some(p) => {
                p.events += 1;
                p.errors += i64::from(t.is_error);
                p.cost_nanos += cost;
                p.unpriced_events += unpriced;
                p.tokens += tokens;
            }
            None => out.trend.push(Point {
                t: bucket,
                events: 1,
                errors: i64::from(t.is_error),
                cost_nanos: cost,
                unpriced_events: unpriced,
                tokens,
            }),
        }
        out.last_event_id = out.last_event_id.max(t.id);
    }
    let requests = out.overview.requests.max(1);
    let total = out.cost.total_nanos.max(1);
    for m in &mut out.model_usage {
        m.percentage = (m.requests as f64 * 1000.0 / requests as f64).round() / 10.0;
        m.cost_percentage = (m.cost_nanos as f64 * 1000.0 / total as f64).round() / 10.0;
    }
    out.model_usage
        .sort_by(|a, b| b.cost_nanos.cmp(&a.cost_nanos).then(b.requests.cmp(&a.requests)).then(a.model.cmp(&b.model)));
    for r in &mut out.tenants {
        r.share_pct = (r.cost_nanos as f64 * 1000.0 / total as f64).round() / 10.0;
    }
    out.tenants
        .sort_by(|a, b| b.cost_nanos.cmp(&a.cost_nanos).then(b.events.cmp(&a.events)).then(a.tenant.cmp(&b.tenant)));
    out
}

/// The cost-over-time chart brought up to date the same way.
pub fn apply_live_trend<'a>(
    trend: &ModelTrend,
    last_event_id: i64,
    from: i64,
    ticks: impl IntoIterator<Item = &'a Tick>,
) -> ModelTrend {
    let mut out = trend.clone();
    let (Some(&first), Some(&second)) = (out.buckets.first(), out.buckets.get(1)) else { return out };
    let step = (second - first).max(1);
    for t in ticks.into_iter().filter(|t| t.id > last_event_id && t.ts >= from) {
        let Some(cost) = t.cost_nanos.filter(|c| *c != 0) else { continue };
        let i = ((t.ts - first).div_euclid(step)) as usize;
        if i >= out.buckets.len() {
            continue;
        }
        let name = if t.model.is_empty() { "(no model)" } else { t.model.as_str() };
        let idx = match out.series.iter().position(|s| s.model == name) {
            Some(i) => i,
            None => match out.series.iter().position(|s| s.model == "other") {
                Some(i) => i,
                None => {
                    out.series.push(ModelSeries { model: "other".into(), cost_nanos: vec![0; out.buckets.len()] });
                    out.series.len() - 1
                }
            },
        };
        out.series[idx].cost_nanos[i] += cost;
    }
    out
}
