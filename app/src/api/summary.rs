//! The summary server function (the cost monitor's figures).

use crate::domain::summary::{Summary, SummaryQuery};
use leptos::prelude::*;

#[server(endpoint = "summary")]
pub async fn get_summary(query: SummaryQuery) -> Result<Summary, ServerFnError> {
    use crate::domain::time;
    use crate::state::AppState;
    use pipeline::summary::{summarize, SummaryError};

    crate::auth::require(crate::domain::auth::Role::Admin)?;
    let state = expect_context::<AppState>();
    summarize(&state.store, &query, time::now_ms()).await.map_err(|e| match e {
        SummaryError::BadParam(p) => super::errors::bad_request(p),
        SummaryError::Store(e) => super::errors::unavailable("Summary failed.", e, "the event store is unavailable"),
    })
}
