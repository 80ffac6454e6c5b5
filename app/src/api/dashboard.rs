//! `get_dashboard`: everything the flow page needs for its first paint.

use crate::domain::dashboard::Dashboard;
use leptos::prelude::*;

#[server(endpoint = "dashboard")]
pub async fn get_dashboard() -> Result<Dashboard, ServerFnError> {
    use crate::domain::dashboard::GRAPH_WINDOW;
    let (service, viewer) = super::enter::<GetDashboard>()?;
    let window = service.latest(&viewer, GRAPH_WINDOW).await.map_err(super::errors::refused)?;
    Ok(Dashboard::from_window(window, crate::domain::time::now_ms()))
}
