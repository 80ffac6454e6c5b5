//! The flow page's first paint: the latest events (the log), the flow graph
//! drawn from a wider window of them, and what the info cards need. Built
//! on the server from the newest events; the browser's live store starts
//! from it and applies every later event.

use super::flow::FlowGraph;
use super::stats::RATE_WINDOW_MS;
use super::Event;
use serde::{Deserialize, Serialize};

/// How many recent events the flow graph is drawn from.
pub const GRAPH_WINDOW: i64 = 2_000;
/// Rows kept for the log table.
pub const LOG_ROWS: usize = 100;

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
    /// The newest event of the window.
    pub last_event_id: i64,
    /// The newest event of any pipeline: where the live stream picks up.
    pub stream_from: i64,
    pub now_ms: i64,
    /// The pipeline the window is of (`None`: all of them).
    pub pipeline: Option<String>,
}

impl Dashboard {
    /// From the newest events (newest first), at `now_ms`, of all pipelines
    /// (the caller sets `pipeline` and `stream_from` for one).
    pub fn from_window(window: Vec<Event>, now_ms: i64) -> Dashboard {
        let last_event_id = window.first().map_or(0, |e| e.id);
        Dashboard {
            stream_from: last_event_id,
            pipeline: None,
            graph: FlowGraph::from_events(&window),
            window: window.len(),
            recent_received: window.iter().map(|e| e.received_at).filter(|&t| t > now_ms - RATE_WINDOW_MS).collect(),
            last_event_id,
            log: window.into_iter().take(LOG_ROWS).collect(),
            now_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::domain::testing::ev;
    use ::domain::Status;

    #[test]
    fn the_log_is_the_newest_rows_and_the_rate_the_last_minute() {
        let window: Vec<Event> = (1..=150).rev().map(|i| ev(i, "c", "t", "s", Status::Success)).collect();
        let d = Dashboard::from_window(window, 1_500 + RATE_WINDOW_MS - 500);
        assert_eq!((d.window, d.log.len(), d.last_event_id, d.log[0].id), (150, LOG_ROWS, 150, 150));
        assert_eq!(d.recent_received.len(), 50, "received in the last minute: ids 101..=150");
        assert_eq!(d.graph.nodes.len(), 1);
    }
}
