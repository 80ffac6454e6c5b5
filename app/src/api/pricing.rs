//! Pricing server functions: read the table, change a price, reprice a range.

use crate::domain::pricing::{PriceEntry, PriceUpdate, PricingView, RepriceReport};
use leptos::prelude::*;

#[server(endpoint = "pricing")]
pub async fn get_pricing() -> Result<PricingView, ServerFnError> {
    let (service, _) = super::enter::<GetPricing>()?;
    Ok(service.pricing_view())
}

#[server(endpoint = "pricing/update")]
pub async fn update_pricing(update: PriceUpdate) -> Result<PriceEntry, ServerFnError> {
    let (service, viewer) = super::enter::<UpdatePricing>()?;
    service.update_price(&viewer, &update, crate::domain::time::now_ms()).await.map_err(super::errors::refused)
}

#[server(endpoint = "pricing/reprice")]
pub async fn reprice(from: i64, to: i64) -> Result<RepriceReport, ServerFnError> {
    let (service, viewer) = super::enter::<Reprice>()?;
    service.reprice(&viewer, from, to).await.map_err(super::errors::refused)
}
