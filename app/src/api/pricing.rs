//! Pricing server functions: read the table, change a price, reprice a range.

use crate::domain::pricing::{PriceEntry, PriceUpdate, PricingView, RepriceReport};
use leptos::prelude::*;

#[server(endpoint = "pricing")]
pub async fn get_pricing() -> Result<PricingView, ServerFnError> {
    crate::auth::require(crate::domain::auth::Role::Admin)?;
    let state = expect_context::<crate::state::AppState>();
    let table = state.pricing.current();
    let mut overrides: Vec<PriceEntry> = table.admin_entries().cloned().collect();
    overrides.sort_by_key(|e| match e.origin {
        crate::domain::pricing::Origin::Admin { effective_from, .. } => std::cmp::Reverse(effective_from),
        _ => std::cmp::Reverse(i64::MIN),
    });
    Ok(PricingView { entries: table.fixed_entries().to_vec(), overrides })
}

#[server(endpoint = "pricing/update")]
pub async fn update_pricing(update: PriceUpdate) -> Result<PriceEntry, ServerFnError> {
    use pipeline::price::update::{apply, UpdateError};
    crate::auth::require(crate::domain::auth::Role::Admin)?;
    let state = expect_context::<crate::state::AppState>();
    apply(&state.store, &state.pricing, &update, crate::domain::time::now_ms()).await.map_err(|e| match e {
        UpdateError::Invalid { .. } => super::errors::bad_request(e),
        other => super::errors::unavailable("Saving a price failed.", other, "the price could not be saved"),
    })
}

#[server(endpoint = "pricing/reprice")]
pub async fn reprice(from: i64, to: i64) -> Result<RepriceReport, ServerFnError> {
    crate::auth::require(crate::domain::auth::Role::Admin)?;
    if to <= from {
        return Err(super::errors::invalid("to", "must be after `from`"));
    }
    let state = expect_context::<crate::state::AppState>();
    let table = state.pricing.current();
    let report = state.store.reprice(&table, from, to).await.map_err(|e| {
        super::errors::unavailable(
            "Reprice failed.",
            e,
            "the reprice could not finish; the events it reached are corrected",
        )
    })?;
    tracing::info!(scanned = report.scanned, changed = report.changed, delta_nanos = report.delta_nanos, "Repriced.");
    Ok(report)
}
