//! `GET /api/budget/check?model=&persona=&tenant=` (any valid API key): may
//! a pipeline spend more? Every budget that applies (global, this model,
//! this persona, this tenant) with what is left; `allow` is false once any
//! is used up.

use super::error::{ApiError, ErrorBody, Refusals};
use super::params::Params;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::{Extension, Json};
use domain::auth::KeyGrant;
use domain::time;
use pipeline::alerts::Spending;
use pipeline::service::budgets::BudgetCheck;
use pipeline::service::Viewer;
use std::collections::HashMap;

#[utoipa::path(get, path = "/api/budget/check", tag = "costs",
    description = "May a pipeline spend more? Every budget that applies (global, this model, this persona, this tenant, this pipeline) with what is left; `allow` is false once any is used up.",
    params(("model" = Option<String>, Query), ("persona" = Option<String>, Query), ("tenant" = Option<String>, Query, description = "A tenant's key asks for its own tenant"), ("pipeline" = Option<String>, Query)),
    responses((status = 200, body = BudgetCheck), Refusals,
        (status = 503, description = "The store is unavailable (or ingest is busy or off); nothing was stored; retry after `Retry-After`", body = ErrorBody),),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn check(
    State(state): State<AppState>,
    Extension(grant): Extension<KeyGrant>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<BudgetCheck>, ApiError> {
    let p = Params(&params);
    // A tenant's key asks for its own tenant (a read key's rule, applied to any key).
    let tenant = Viewer::read_key(grant.tenant).tenant_scope(p.text("tenant"))?;
    let (model, persona, pipeline) = (p.text("model"), p.text("persona"), p.text("pipeline"));
    let spending = Spending {
        model: model.as_deref(),
        persona: persona.as_deref(),
        tenant: tenant.as_deref(),
        pipeline: pipeline.as_deref(),
    };
    Ok(Json(state.service.budget_check(spending, time::now_ms()).await?))
}
