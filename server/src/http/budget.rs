//! `GET /api/budget/check?model=&persona=` (any valid API key): may a
//! pipeline spend more? Every budget that applies (global, this model, this
//! persona) with what is left; `allow` is false once any is used up.

use super::auth::AnyKey;
use super::error::ApiError;
use super::params::Params;
use domain::alerts::BudgetStatus;
use domain::time;
use app::state::AppState;
use axum::extract::{Query, State};
use axum::Json;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BudgetCheck {
    pub allow: bool,
    /// The smallest remaining amount among the budgets that apply.
    pub remaining_nanos: Option<i64>,
    pub budgets: Vec<BudgetStatus>,
}

pub async fn check(
    State(state): State<AppState>,
    _key: AnyKey,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<BudgetCheck>, ApiError> {
    let p = Params(&params);
    let (model, persona) = (p.text("model"), p.text("persona"));
    let now = time::now_ms();
    let mut budgets = Vec::new();
    for b in state.store.budgets().await? {
        if pipeline::alerts::applies(&b, model.as_deref(), persona.as_deref()) {
            budgets.push(pipeline::alerts::status(&state.store, &b, now).await?);
        }
    }
    Ok(Json(BudgetCheck {
        allow: budgets.iter().all(|s| s.remaining_nanos > 0),
        remaining_nanos: budgets.iter().map(|s| s.remaining_nanos).min(),
        budgets,
    }))
}
