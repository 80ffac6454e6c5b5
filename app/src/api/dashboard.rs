//! `get_dashboard`: everything the flow page needs for its first paint.

use crate::domain::flow::FlowGraph;
use crate::domain::Event;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// How many recent events the flow graph is drawn from.
pub const GRAPH_WINDOW: i64 = 2_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    /// The latest events, newest first (the log table).
    pub log: Vec<Event>,
    /// The graph of the latest [`GRAPH_WINDOW`] events.
    pub graph: FlowGraph,
    /// How many events the graph was built from.
    pub window: usize,
    /// Receive times of the window's events in the last minute.
    pub recent_received: Vec<i64>,
    pub last_event_id: i64,
    pub now_ms: i64,
}

#[server(endpoint = "dashboard")]
pub async fn get_dashboard() -> Result<Dashboard, ServerFnError> {
    use crate::domain::{stats::RATE_WINDOW_MS, time};
    use crate::live::LOG_ROWS;
    use crate::state::AppState;

    let me = crate::auth::require(crate::domain::auth::Role::Viewer)?;
    let state = expect_context::<AppState>();
    let now_ms = time::now_ms();
    let mut window = state.store.latest(GRAPH_WINDOW).await.map_err(|e| {
        super::errors::unavailable("Loading the dashboard failed.", e, "the event store is unavailable")
    })?;
    if !me.is_admin() {
        crate::auth::strip_cost(&mut window);
    }
    Ok(Dashboard {
        graph: FlowGraph::from_events(&window),
        window: window.len(),
        recent_received: window.iter().map(|e| e.received_at).filter(|&t| t > now_ms - RATE_WINDOW_MS).collect(),
        last_event_id: window.first().map_or(0, |e| e.id),
        log: window.into_iter().take(LOG_ROWS).collect(),
        now_ms,
    })
}
