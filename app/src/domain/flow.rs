//! The flow graph: one node per stage name, one edge per observed transition
//! from one stage to the next within a turn. Built from the events alone, so a
//! pipeline with other stage names draws correctly without configuration.
//!
//! The same `apply` runs on the server (to render the page) and in the browser
//! (for every live event), so both always agree.

use super::{Event, Status};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// How many turns we remember the last stage of, to link the next one.
const TAIL_CAPACITY: usize = 512;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowGraph {
    /// In order of first appearance, which keeps the layout stable.
    pub nodes: Vec<StageNode>,
    pub edges: Vec<Transition>,
    /// The last stage seen per turn, newest last.
    tails: VecDeque<TurnTail>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageNode {
    pub name: String,
    pub count: u64,
    pub errors: u64,
    pub last_status: Status,
    /// Server receive time of the latest event, epoch ms (drives "idle").
    pub last_at: i64,
    pub last_event_id: i64,
    pub duration_sum_ms: i64,
    pub duration_count: u64,
}

impl StageNode {
    pub fn avg_duration_ms(&self) -> Option<i64> {
        (self.duration_count > 0).then(|| self.duration_sum_ms / self.duration_count as i64)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    pub from: String,
    pub to: String,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct TurnTail {
    chat_id: String,
    turn_id: String,
    stage: String,
}

/// What the canvas shows on a node's badge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeState {
    Success,
    Error,
    Running,
    Idle,
    /// Not reached yet (a replay that has not got there).
    Pending,
}

impl NodeState {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Success => "success",
            NodeState::Error => "error",
            NodeState::Running => "running",
            NodeState::Idle => "idle",
            NodeState::Pending => "pending",
        }
    }
}

/// A stage with nothing new for this long shows as idle.
pub const IDLE_AFTER_MS: i64 = 30_000;

impl StageNode {
    pub fn state(&self, now_ms: i64) -> NodeState {
        if now_ms - self.last_at > IDLE_AFTER_MS {
            return NodeState::Idle;
        }
        self.status_state()
    }

    /// The state of its latest event, however old (a replay never idles).
    pub fn status_state(&self) -> NodeState {
        match self.last_status {
            Status::Success => NodeState::Success,
            Status::Error => NodeState::Error,
            Status::Running => NodeState::Running,
        }
    }
}

impl FlowGraph {
    /// Builds the graph from events in any order (they are applied by id).
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> FlowGraph {
        let mut sorted: Vec<&Event> = events.into_iter().collect();
        sorted.sort_by_key(|e| e.id);
        let mut graph = FlowGraph::default();
        for e in sorted {
            graph.apply(e);
        }
        graph
    }

    pub fn node(&self, stage: &str) -> Option<&StageNode> {
        self.nodes.iter().find(|n| n.name == stage)
    }

    pub fn apply(&mut self, e: &Event) {
        self.touch_node(e);
        let (chat, turn) = e.turn_key();
        let pos = self.tails.iter().rposition(|t| t.chat_id == chat && t.turn_id == turn);
        match pos {
            Some(i) => {
                let mut tail = self.tails.remove(i).expect("position is in range");
                if tail.stage != e.stage {
                    self.count_edge(&tail.stage, &e.stage);
                    tail.stage = e.stage.clone();
                }
                self.tails.push_back(tail);
            }
            None => {
                if self.tails.len() == TAIL_CAPACITY {
                    self.tails.pop_front();
                }
                self.tails.push_back(TurnTail {
                    chat_id: chat.to_string(),
                    turn_id: turn.to_string(),
                    stage: e.stage.clone(),
                });
            }
        }
    }

    fn touch_node(&mut self, e: &Event) {
        let node = match self.nodes.iter_mut().position(|n| n.name == e.stage) {
            Some(i) => &mut self.nodes[i],
            None => {
                self.nodes.push(StageNode {
                    name: e.stage.clone(),
                    count: 0,
                    errors: 0,
                    last_status: e.status,
                    last_at: e.received_at,
                    last_event_id: e.id,
                    duration_sum_ms: 0,
                    duration_count: 0,
                });
                self.nodes.last_mut().expect("just pushed")
            }
        };
        node.count += 1;
        node.errors += u64::from(e.status == Status::Error);
        node.last_status = e.status;
        node.last_at = node.last_at.max(e.received_at);
        node.last_event_id = e.id;
        if let Some(d) = e.duration_ms {
            node.duration_sum_ms += d;
            node.duration_count += 1;
        }
    }

    fn count_edge(&mut self, from: &str, to: &str) {
        match self.edges.iter_mut().find(|t| t.from == from && t.to == to) {
            Some(t) => t.count += 1,
            None => self.edges.push(Transition { from: from.into(), to: to.into(), count: 1 }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::domain::testing::ev;

    #[test]
    fn links_consecutive_stages_within_a_turn_only() {
        let events = [
            ev(1, "a", "1", "buffer", Status::Success),
            ev(2, "b", "1", "buffer", Status::Success),
            ev(3, "a", "1", "intent", Status::Success),
            ev(4, "b", "1", "intent", Status::Error),
            ev(5, "a", "2", "buffer", Status::Success), // new turn: no intent → buffer edge
            ev(6, "a", "1", "reply", Status::Success),
        ];
        let g = FlowGraph::from_events(&events);
        let names: Vec<_> = g.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["buffer", "intent", "reply"]);
        assert_eq!(g.node("buffer").unwrap().count, 3);
        assert_eq!(g.node("intent").unwrap().errors, 1);
        assert_eq!(g.node("intent").unwrap().last_status, Status::Error);
        let edges: Vec<_> = g.edges.iter().map(|t| (t.from.as_str(), t.to.as_str(), t.count)).collect();
        assert_eq!(edges, [("buffer", "intent", 2), ("intent", "reply", 1)]);
    }

    #[test]
    fn repeated_stage_is_not_a_transition_and_idle_follows_the_clock() {
        let events = [ev(1, "a", "1", "tools", Status::Running), ev(2, "a", "1", "tools", Status::Success)];
        let g = FlowGraph::from_events(&events);
        assert!(g.edges.is_empty());
        let node = g.node("tools").unwrap();
        assert_eq!(node.state(20), NodeState::Success);
        assert_eq!(node.state(20 + IDLE_AFTER_MS + 1), NodeState::Idle);
        assert_eq!(node.avg_duration_ms(), Some(10));
    }

    #[test]
    fn remembers_a_bounded_number_of_turns() {
        let mut g = FlowGraph::default();
        for i in 0..(TAIL_CAPACITY as i64 + 10) {
            g.apply(&ev(i + 1, &format!("c{i}"), "1", "buffer", Status::Success));
        }
        assert_eq!(g.tails.len(), TAIL_CAPACITY);
    }
}
