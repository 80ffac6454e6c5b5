//! Budgets and alert rules: what is measured, against what threshold, and
//! when a crossing starts or ends. The measuring reads rollups through the
//! summary module; the deciding is pure. (The server's alert task runs it
//! on a timer and delivers what changes; [`channels`] says what each
//! channel is sent.)

pub mod channels;

use crate::store::{Filters, Store, StoreError};
use crate::summary::window::open_end;
use chrono::{Datelike, TimeZone, Utc};
use domain::alerts::{Budget, BudgetScope, BudgetStatus, Period};

/// Start of the budget period holding `now_ms` (UTC day or month).
pub fn period_start(period: Period, now_ms: i64) -> i64 {
    let day = crate::rollup::Grain::Day.floor(now_ms);
    match period {
        Period::Daily => day,
        Period::Monthly => {
            let t = Utc.timestamp_millis_opt(now_ms).single().unwrap_or_default();
            Utc.with_ymd_and_hms(t.year(), t.month(), 1, 0, 0, 0).single().map_or(day, |m| m.timestamp_millis())
        }
    }
}

pub fn filters(b: &Budget) -> Filters {
    match b.scope {
        BudgetScope::Global => Filters::default(),
        BudgetScope::Model => Filters { model: Some(b.scope_value.clone()), ..Filters::default() },
        BudgetScope::Persona => Filters { persona: Some(b.scope_value.clone()), ..Filters::default() },
        BudgetScope::Tenant => Filters { tenant: Some(b.scope_value.clone()), ..Filters::default() },
        BudgetScope::Pipeline => Filters { pipeline: Some(b.scope_value.clone()), ..Filters::default() },
    }
}

/// `critical`, `warn` or `ok` for a spend percentage.
pub fn level(b: &Budget, pct: f64) -> &'static str {
    if pct >= b.critical_pct as f64 {
        "critical"
    } else if pct >= b.warn_pct as f64 {
        "warn"
    } else {
        "ok"
    }
}

/// What a budget has spent so far in its current period.
pub async fn status(store: &Store, b: &Budget, now_ms: i64) -> Result<BudgetStatus, StoreError> {
    let start = period_start(b.period, now_ms);
    let spent = crate::summary::cost(store, start, open_end(now_ms), &filters(b)).await?;
    let pct = if b.limit_nanos > 0 { spent as f64 * 100.0 / b.limit_nanos as f64 } else { 100.0 };
    Ok(BudgetStatus {
        budget: b.clone(),
        period_start: start,
        spent_nanos: spent,
        remaining_nanos: b.limit_nanos - spent,
        pct: (pct * 10.0).round() / 10.0,
        level: level(b, pct).to_string(),
    })
}

/// What an agent is about to spend on, for the budget check.
#[derive(Clone, Copy, Debug, Default)]
pub struct Spending<'a> {
    pub model: Option<&'a str>,
    pub persona: Option<&'a str>,
    pub tenant: Option<&'a str>,
    pub pipeline: Option<&'a str>,
}

/// Whether budget `b` covers spending on `s`.
pub fn applies(b: &Budget, s: Spending<'_>) -> bool {
    let value = Some(b.scope_value.as_str());
    match b.scope {
        BudgetScope::Global => true,
        BudgetScope::Model => s.model == value,
        BudgetScope::Persona => s.persona == value,
        BudgetScope::Tenant => s.tenant == value,
        BudgetScope::Pipeline => s.pipeline == value,
    }
}

/// What a measurement means for an alert that is (or is not) open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Fire,
    Resolve,
    Stay,
}

/// Fires once when the value reaches the threshold, resolves once when it
/// falls back below, and otherwise stays: no storm while it stays high.
pub fn decide(value: f64, threshold: f64, open: bool) -> Change {
    match (value >= threshold, open) {
        (true, false) => Change::Fire,
        (false, true) => Change::Resolve,
        _ => Change::Stay,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossings_fire_and_resolve_once() {
        assert_eq!(decide(80.0, 80.0, false), Change::Fire);
        assert_eq!(decide(95.0, 80.0, true), Change::Stay);
        assert_eq!(decide(79.9, 80.0, true), Change::Resolve);
        assert_eq!(decide(10.0, 80.0, false), Change::Stay);
    }

    #[test]
    fn periods_start_at_utc_day_and_month() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 15, 4, 5).unwrap().timestamp_millis();
        assert_eq!(
            period_start(Period::Daily, t),
            Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap().timestamp_millis()
        );
        assert_eq!(
            period_start(Period::Monthly, t),
            Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap().timestamp_millis()
        );
    }

    #[test]
    fn levels_and_scopes() {
        let b = Budget {
            id: 1,
            name: "b".into(),
            scope: BudgetScope::Model,
            scope_value: "gpt-4o".into(),
            period: Period::Daily,
            limit_nanos: 100,
            warn_pct: 80,
            critical_pct: 100,
            notify: None,
        };
        assert_eq!((level(&b, 79.0), level(&b, 80.0), level(&b, 100.0)), ("ok", "warn", "critical"));
        let on = |model, persona, tenant| applies(&b, Spending { model, persona, tenant, pipeline: None });
        assert!(on(Some("gpt-4o"), None, None) && !on(Some("o3"), None, None) && !on(None, Some("x"), None));
        let t = Budget { scope: BudgetScope::Tenant, scope_value: "acme".into(), ..b.clone() };
        let on = |tenant| applies(&t, Spending { model: Some("gpt-4o"), tenant, ..Spending::default() });
        assert!(on(Some("acme")) && !on(Some("globex")) && !on(None));
        assert_eq!(filters(&t).tenant.as_deref(), Some("acme"));
        let p = Budget { scope: BudgetScope::Pipeline, scope_value: "rag".into(), ..b.clone() };
        let on = |pipeline| applies(&p, Spending { model: Some("gpt-4o"), pipeline, ..Spending::default() });
        assert!(on(Some("rag")) && !on(Some("chat-bot")) && !on(None));
        assert_eq!(filters(&p).pipeline.as_deref(), Some("rag"));
    }
}
