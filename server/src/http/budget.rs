//! `GET /api/budget/check?model=&persona=` (any valid API key): may a
//! pipeline spend more? Every budget that applies (global, this model, this
//! persona) with what is left; `allow` is false once any is used up.

use super::error::ApiError;
use super::params::Params;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::Json;
use domain::time;
use pipeline::service::budgets::BudgetCheck;
use std::collections::HashMap;

pub async fn check(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<BudgetCheck>, ApiError> {
    let p = Params(&params);
    let (model, persona) = (p.text("model"), p.text("persona"));
    Ok(Json(state.service.budget_check(model.as_deref(), persona.as_deref(), time::now_ms()).await?))
}
