//! The cost monitor's server functions (admins only): cost over time per
//! model, recent operations, budgets, alert rules, alerts and export jobs.

use crate::domain::alerts::{Alert, AlertRule, BudgetInput, BudgetStatus};
use crate::domain::costs::{ModelTrend, TurnPage, TurnQuery};
use crate::domain::exports::{ExportFormat, ExportJob};
use crate::domain::summary::SummaryQuery;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {super::errors::refused, crate::domain::time::now_ms};

#[server(endpoint = "costs/trend")]
pub async fn get_model_trend(query: SummaryQuery) -> Result<ModelTrend, ServerFnError> {
    let (service, viewer) = super::enter::<GetModelTrend>()?;
    service.model_trend(&viewer, &query, now_ms()).await.map_err(refused)
}

#[server(endpoint = "costs/turns")]
pub async fn list_turns(query: TurnQuery) -> Result<TurnPage, ServerFnError> {
    let (service, viewer) = super::enter::<ListTurns>()?;
    service.turns(&viewer, &query, now_ms()).await.map_err(refused)
}

#[server(endpoint = "costs/budgets")]
pub async fn list_budgets() -> Result<Vec<BudgetStatus>, ServerFnError> {
    let (service, _) = super::enter::<ListBudgets>()?;
    service.budgets(now_ms()).await.map_err(refused)
}

#[server(endpoint = "costs/budgets/save")]
pub async fn save_budget(budget: BudgetInput) -> Result<i64, ServerFnError> {
    let (service, viewer) = super::enter::<SaveBudget>()?;
    service.save_budget(&viewer, &budget, now_ms()).await.map_err(refused)
}

#[server(endpoint = "costs/budgets/delete")]
pub async fn delete_budget(id: i64) -> Result<(), ServerFnError> {
    let (service, viewer) = super::enter::<DeleteBudget>()?;
    service.delete_budget(&viewer, id).await.map_err(refused)
}

#[server(endpoint = "costs/rules")]
pub async fn list_alert_rules() -> Result<Vec<AlertRule>, ServerFnError> {
    let (service, _) = super::enter::<ListAlertRules>()?;
    service.alert_rules().await.map_err(refused)
}

#[server(endpoint = "costs/rules/save")]
pub async fn save_alert_rule(rule: AlertRule) -> Result<i64, ServerFnError> {
    let (service, viewer) = super::enter::<SaveAlertRule>()?;
    service.save_alert_rule(&viewer, rule, now_ms()).await.map_err(refused)
}

#[server(endpoint = "costs/rules/delete")]
pub async fn delete_alert_rule(id: i64) -> Result<(), ServerFnError> {
    let (service, viewer) = super::enter::<DeleteAlertRule>()?;
    service.delete_alert_rule(&viewer, id).await.map_err(refused)
}

#[server(endpoint = "costs/alerts")]
pub async fn list_alerts(limit: i64) -> Result<Vec<Alert>, ServerFnError> {
    let (service, _) = super::enter::<ListAlerts>()?;
    service.alerts(limit).await.map_err(refused)
}

#[server(endpoint = "costs/exports")]
pub async fn list_exports() -> Result<Vec<ExportJob>, ServerFnError> {
    let (service, viewer) = super::enter::<ListExports>()?;
    service.export_jobs(&viewer).await.map_err(refused)
}

#[server(endpoint = "costs/exports/start")]
pub async fn start_export(query: SummaryQuery, format: ExportFormat) -> Result<ExportJob, ServerFnError> {
    let (service, viewer) = super::enter::<StartExport>()?;
    service.start_export(&viewer, &query, format, now_ms()).await.map_err(refused)
}

#[server(endpoint = "costs/exports/cancel")]
pub async fn cancel_export(id: String) -> Result<ExportJob, ServerFnError> {
    let (service, viewer) = super::enter::<CancelExport>()?;
    service.cancel_export(&viewer, &id, now_ms()).await.map_err(refused)
}
