//! The summary server function (the cost monitor's figures).

use crate::domain::summary::{Summary, SummaryQuery};
use leptos::prelude::*;

#[server(endpoint = "summary")]
pub async fn get_summary(query: SummaryQuery) -> Result<Summary, ServerFnError> {
    let (service, viewer) = super::enter::<GetSummary>()?;
    service.summary(&viewer, &query, crate::domain::time::now_ms()).await.map_err(super::errors::refused)
}
