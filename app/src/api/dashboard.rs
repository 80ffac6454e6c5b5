//! `get_dashboard`: everything the flow page needs for its first paint,
//! for all pipelines or one; `get_pipelines`: the names to pick from.

use crate::domain::dashboard::Dashboard;
use leptos::prelude::*;

#[server(endpoint = "dashboard")]
pub async fn get_dashboard(pipeline: Option<String>) -> Result<Dashboard, ServerFnError> {
    use crate::domain::dashboard::GRAPH_WINDOW;
    let (service, viewer) = super::enter::<GetDashboard>()?;
    let refused = super::errors::refused;
    let pipeline = pipeline.filter(|p| !p.is_empty());
    let window = service.latest(&viewer, GRAPH_WINDOW, pipeline.clone()).await.map_err(refused)?;
    let mut d = Dashboard::from_window(window, crate::domain::time::now_ms());
    if pipeline.is_some() {
        d.stream_from = service.newest_event_id().await.map_err(refused)?.max(d.last_event_id);
    }
    d.pipeline = pipeline;
    Ok(d)
}

#[server(endpoint = "pipelines")]
pub async fn get_pipelines() -> Result<Vec<String>, ServerFnError> {
    let (service, viewer) = super::enter::<GetPipelines>()?;
    service.pipelines(&viewer).await.map_err(super::errors::refused)
}
