//! The cost monitor's server functions (admins only): cost over time per
//! model, recent operations, budgets, alert rules and alerts.

use crate::domain::alerts::{Alert, AlertRule, Budget, BudgetScope, BudgetStatus, Period, RuleKind};
use crate::domain::costs::{ModelTrend, TurnPage, TurnQuery};
use crate::domain::summary::SummaryQuery;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A budget as the form sends it (the limit as decimal USD).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BudgetInput {
    #[serde(default)]
    pub id: i64,
    pub name: String,
    pub scope: String,
    #[serde(default)]
    pub scope_value: String,
    pub period: String,
    pub limit_usd: String,
    #[serde(default = "default_warn")]
    pub warn_pct: i64,
    #[serde(default = "default_critical")]
    pub critical_pct: i64,
    #[serde(default)]
    pub webhook_url: String,
}

fn default_warn() -> i64 {
    80
}
fn default_critical() -> i64 {
    100
}

#[cfg(feature = "ssr")]
fn admin() -> Result<crate::state::AppState, ServerFnError> {
    crate::auth::require(crate::domain::auth::Role::Admin)?;
    Ok(expect_context::<crate::state::AppState>())
}

#[cfg(feature = "ssr")]
fn unavailable(e: impl std::fmt::Display) -> ServerFnError {
    super::errors::unavailable("Cost monitor request failed.", e, "the store is unavailable")
}

use super::errors::invalid;

/// A webhook must be an http(s) URL (or empty for none).
pub fn webhook(url: &str) -> Result<Option<String>, ServerFnError> {
    let url = url.trim();
    if url.is_empty() {
        return Ok(None);
    }
    if !(url.starts_with("https://") || url.starts_with("http://"))
        || url.len() > 2000
        || url.contains(char::is_whitespace)
    {
        return Err(invalid("webhookUrl", "must be an http(s) URL"));
    }
    Ok(Some(url.to_string()))
}

/// Checks a budget form and turns it into a budget.
pub fn budget_from(input: &BudgetInput) -> Result<Budget, ServerFnError> {
    let name = input.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(invalid("name", "1 to 100 characters"));
    }
    let scope = BudgetScope::parse(&input.scope).ok_or_else(|| invalid("scope", "global, model or persona"))?;
    let scope_value = input.scope_value.trim().to_string();
    if scope != BudgetScope::Global && scope_value.is_empty() {
        return Err(invalid("scopeValue", "name the model or persona"));
    }
    let period = Period::parse(&input.period).ok_or_else(|| invalid("period", "daily or monthly"))?;
    let limit_nanos =
        crate::domain::money::parse_decimal_nanos(&input.limit_usd).map_err(|m| invalid("limitUsd", &m))?;
    if limit_nanos == 0 {
        return Err(invalid("limitUsd", "must be above 0"));
    }
    if !(1..=1000).contains(&input.warn_pct)
        || !(1..=1000).contains(&input.critical_pct)
        || input.warn_pct > input.critical_pct
    {
        return Err(invalid("warnPct", "warn and critical are 1–1000 %, warn at most critical"));
    }
    Ok(Budget {
        id: input.id,
        name: name.to_string(),
        scope,
        scope_value: if scope == BudgetScope::Global { String::new() } else { scope_value },
        period,
        limit_nanos,
        warn_pct: input.warn_pct,
        critical_pct: input.critical_pct,
        webhook_url: webhook(&input.webhook_url)?,
    })
}

/// Checks a rule.
pub fn rule_checked(mut r: AlertRule) -> Result<AlertRule, ServerFnError> {
    r.name = r.name.trim().to_string();
    if r.name.is_empty() || r.name.len() > 100 {
        return Err(invalid("name", "1 to 100 characters"));
    }
    if !(r.threshold.is_finite() && r.threshold > 0.0) {
        return Err(invalid("threshold", "must be above 0"));
    }
    if !(1..=1440).contains(&r.window_minutes) {
        return Err(invalid("windowMinutes", "1 to 1440 minutes"));
    }
    if r.kind == RuleKind::P95Latency && r.stage.as_deref().is_none_or(|s| s.trim().is_empty()) {
        return Err(invalid("stage", "a latency rule watches one stage"));
    }
    r.min_events = r.min_events.max(0);
    r.webhook_url = webhook(r.webhook_url.as_deref().unwrap_or(""))?;
    Ok(r)
}

#[server(endpoint = "costs/trend")]
pub async fn get_model_trend(query: SummaryQuery) -> Result<ModelTrend, ServerFnError> {
    let state = admin()?;
    pipeline::summary::model_trend(&state.store, &query, crate::domain::time::now_ms()).await.map_err(|e| match e {
        pipeline::summary::SummaryError::BadParam(p) => super::errors::bad_request(p),
        other => unavailable(other),
    })
}

#[server(endpoint = "costs/turns")]
pub async fn list_turns(query: TurnQuery) -> Result<TurnPage, ServerFnError> {
    let state = admin()?;
    let w = pipeline::summary::window::Window::resolve(&query.window, crate::domain::time::now_ms())
        .map_err(super::errors::bad_request)?;
    let clean = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let f = pipeline::store::Filters {
        model: clean(&query.window.model),
        persona: clean(&query.window.persona),
        stage: None,
        chat_id: clean(&query.window.chat_id),
    };
    let status = clean(&query.status);
    let filter = pipeline::store::TurnFilter { from: w.from, to: w.to, f: &f, status: status.as_deref() };
    let (rows, total) = state
        .store
        .turns_page(&filter, query.sort, query.ascending, query.offset.max(0), query.limit.clamp(1, 200))
        .await
        .map_err(unavailable)?;
    Ok(TurnPage { rows, total })
}

#[server(endpoint = "costs/budgets")]
pub async fn list_budgets() -> Result<Vec<BudgetStatus>, ServerFnError> {
    let state = admin()?;
    let now = crate::domain::time::now_ms();
    let mut out = Vec::new();
    for b in state.store.budgets().await.map_err(unavailable)? {
        out.push(pipeline::alerts::status(&state.store, &b, now).await.map_err(unavailable)?);
    }
    Ok(out)
}

#[server(endpoint = "costs/budgets/save")]
pub async fn save_budget(budget: BudgetInput) -> Result<i64, ServerFnError> {
    let state = admin()?;
    let b = budget_from(&budget)?;
    state.store.save_budget(&b, crate::domain::time::now_ms()).await.map_err(unavailable)
}

#[server(endpoint = "costs/budgets/delete")]
pub async fn delete_budget(id: i64) -> Result<(), ServerFnError> {
    let state = admin()?;
    if !state.store.delete_budget(id).await.map_err(unavailable)? {
        return Err(super::errors::not_found("id", "budget"));
    }
    Ok(())
}

#[server(endpoint = "costs/rules")]
pub async fn list_alert_rules() -> Result<Vec<AlertRule>, ServerFnError> {
    admin()?.store.alert_rules().await.map_err(unavailable)
}

#[server(endpoint = "costs/rules/save")]
pub async fn save_alert_rule(rule: AlertRule) -> Result<i64, ServerFnError> {
    let state = admin()?;
    let r = rule_checked(rule)?;
    state.store.save_alert_rule(&r, crate::domain::time::now_ms()).await.map_err(unavailable)
}

#[server(endpoint = "costs/rules/delete")]
pub async fn delete_alert_rule(id: i64) -> Result<(), ServerFnError> {
    let state = admin()?;
    if !state.store.delete_alert_rule(id).await.map_err(unavailable)? {
        return Err(super::errors::not_found("id", "rule"));
    }
    Ok(())
}

#[server(endpoint = "costs/alerts")]
pub async fn list_alerts(limit: i64) -> Result<Vec<Alert>, ServerFnError> {
    admin()?.store.alerts(limit.clamp(1, 500)).await.map_err(unavailable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_forms_are_checked_field_by_field() {
        let ok = BudgetInput {
            name: "daily".into(),
            scope: "global".into(),
            period: "daily".into(),
            limit_usd: "25.50".into(),
            warn_pct: 80,
            critical_pct: 100,
            ..BudgetInput::default()
        };
        let b = budget_from(&ok).unwrap();
        assert_eq!(b.limit_nanos, 25_500_000_000);
        let field = |i: BudgetInput| budget_from(&i).unwrap_err().to_string();
        assert!(field(BudgetInput { scope: "team".into(), ..ok.clone() }).contains("`scope`"));
        assert!(field(BudgetInput { scope: "model".into(), ..ok.clone() }).contains("`scopeValue`"));
        assert!(field(BudgetInput { limit_usd: "lots".into(), ..ok.clone() }).contains("`limitUsd`"));
        assert!(field(BudgetInput { limit_usd: "0".into(), ..ok.clone() }).contains("`limitUsd`"));
        assert!(field(BudgetInput { warn_pct: 120, ..ok.clone() }).contains("`warnPct`"));
        assert!(field(BudgetInput { webhook_url: "ftp://x".into(), ..ok.clone() }).contains("`webhookUrl`"));
    }
}
