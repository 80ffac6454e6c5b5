//! Conversations and their turns, as the conversations API and the replay
//! view show them. A conversation's turns are built from its events by a
//! pure function, ordered by time with ties broken by event id.

use crate::event::{Event, Status};
use crate::visibility::{Cost, HideCost};
use serde::{Deserialize, Serialize};

/// Which conversations the replay list shows: the latest `limit` whose chat
/// id contains `search` (any case) and that had a turn with this persona or
/// model, or with this outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationQuery {
    pub limit: i64,
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub persona: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub status: Option<ConversationStatus>,
    /// Only this tenant's conversations.
    #[serde(default)]
    pub tenant: Option<String>,
    /// Only this pipeline's conversations.
    #[serde(default)]
    pub pipeline: Option<String>,
}

/// List sizes offered; 50 unless asked.
pub const LIST_SIZES: [i64; 4] = [20, 50, 100, 200];
pub const DEFAULT_LIST_SIZE: i64 = 50;
pub const MAX_LIST_SIZE: i64 = 500;

/// A conversation's outcome, for filtering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ConversationStatus {
    /// At least one stage failed.
    Error,
    /// Its latest stage is still running.
    Running,
    /// No failed stage, and not running.
    Success,
}

impl ConversationStatus {
    pub fn parse(s: &str) -> Option<ConversationStatus> {
        match s {
            "error" => Some(ConversationStatus::Error),
            "running" => Some(ConversationStatus::Running),
            "success" => Some(ConversationStatus::Success),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Error => "error",
            ConversationStatus::Running => "running",
            ConversationStatus::Success => "success",
        }
    }
}

impl ConversationSummary {
    /// What the list shows as the conversation's status.
    pub fn status(&self) -> ConversationStatus {
        if self.errors > 0 {
            ConversationStatus::Error
        } else if self.last_status.as_deref() == Some("running") {
            ConversationStatus::Running
        } else {
            ConversationStatus::Success
        }
    }

    pub fn duration_ms(&self) -> i64 {
        self.last_ts - self.first_ts
    }
}

/// A conversation's running totals (the list view).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationSummary {
    pub chat_id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::time::serde_ts")]
    pub first_ts: i64,
    /// End of the latest stage (its start plus its duration).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::time::serde_ts")]
    pub last_ts: i64,
    pub last_event_id: i64,
    pub events: i64,
    pub turns: i64,
    pub errors: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Priced cost, nano-dollars (hidden from viewers).
    #[serde(default, skip_serializing_if = "Cost::is_hidden")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub cost_nanos: Cost<i64>,
    /// Events without a price (hidden from viewers).
    #[serde(default, skip_serializing_if = "Cost::is_hidden")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub unpriced_events: Cost<i64>,
    pub last_persona: Option<String>,
    pub last_model: Option<String>,
    pub last_status: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Turn {
    /// `""` for events sent without a `turnId`.
    pub turn_id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::time::serde_ts")]
    pub start_ts: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::time::serde_ts")]
    pub end_ts: i64,
    pub duration_ms: i64,
    /// `error` if any stage failed, `running` if the last stage is still
    /// running, else `success`.
    pub status: Status,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Priced cost, nano-dollars (hidden from viewers).
    #[serde(default, skip_serializing_if = "Cost::is_hidden")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub cost_nanos: Cost<i64>,
    /// Events without a price (hidden from viewers).
    #[serde(default, skip_serializing_if = "Cost::is_hidden")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub unpriced_events: Cost<i64>,
    /// The stage events in order.
    pub stages: Vec<Event>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationDetail {
    pub chat_id: String,
    pub turns: Vec<Turn>,
    pub events: i64,
    /// Priced cost, nano-dollars (hidden from viewers).
    #[serde(default, skip_serializing_if = "Cost::is_hidden")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub cost_nanos: Cost<i64>,
    /// Events without a price (hidden from viewers).
    #[serde(default, skip_serializing_if = "Cost::is_hidden")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub unpriced_events: Cost<i64>,
    /// More events exist than were loaded.
    pub truncated: bool,
}

impl HideCost for ConversationSummary {
    fn hide_cost(&mut self) {
        self.cost_nanos = Cost::Hidden;
        self.unpriced_events = Cost::Hidden;
    }
}

impl HideCost for Turn {
    fn hide_cost(&mut self) {
        self.cost_nanos = Cost::Hidden;
        self.unpriced_events = Cost::Hidden;
        self.stages.hide_cost();
    }
}

impl HideCost for ConversationDetail {
    fn hide_cost(&mut self) {
        self.cost_nanos = Cost::Hidden;
        self.unpriced_events = Cost::Hidden;
        self.turns.hide_cost();
    }
}

/// Orders events by (ts, id): the order a replay steps through them.
pub fn sort_for_replay(events: &mut [Event]) {
    events.sort_by_key(|e| (e.ts, e.id));
}

/// Groups a conversation's events into turns, in order of their first event.
pub fn turns(mut events: Vec<Event>) -> Vec<Turn> {
    sort_for_replay(&mut events);
    let mut turns: Vec<Turn> = Vec::new();
    for e in events {
        let key = e.turn_id.clone().unwrap_or_default();
        let i = match turns.iter().position(|t| t.turn_id == key) {
            Some(i) => i,
            None => {
                turns.push(Turn {
                    turn_id: key,
                    start_ts: e.ts,
                    end_ts: e.ts,
                    duration_ms: 0,
                    status: Status::Success,
                    input_tokens: 0,
                    output_tokens: 0,
                    cost_nanos: Cost::Shown(0),
                    unpriced_events: Cost::Shown(0),
                    stages: Vec::new(),
                });
                turns.len() - 1
            }
        };
        let t = &mut turns[i];
        t.end_ts = t.end_ts.max(e.ts + e.duration_ms.unwrap_or(0));
        t.duration_ms = t.end_ts - t.start_ts;
        t.input_tokens += e.usage.input_tokens;
        t.output_tokens += e.usage.output_tokens;
        match e.cost() {
            Some(c) => t.cost_nanos = t.cost_nanos.map(|n| n + c),
            None => t.unpriced_events = t.unpriced_events.map(|n| n + 1),
        }
        t.stages.push(e);
        t.status = outcome(&t.stages);
    }
    turns
}

/// The outcome of stages in replay order: `error` if any failed, `running`
/// if the last is still running, else `success`.
pub fn outcome(stages: &[Event]) -> Status {
    if stages.iter().any(|s| s.status == Status::Error) {
        Status::Error
    } else if stages.last().is_some_and(|s| s.status == Status::Running) {
        Status::Running
    } else {
        Status::Success
    }
}

pub fn detail(chat_id: &str, events: Vec<Event>, truncated: bool) -> ConversationDetail {
    let turns = turns(events);
    ConversationDetail {
        chat_id: chat_id.to_string(),
        events: turns.iter().map(|t| t.stages.len() as i64).sum(),
        cost_nanos: Cost::Shown(turns.iter().filter_map(|t| t.cost_nanos.shown()).sum()),
        unpriced_events: Cost::Shown(turns.iter().filter_map(|t| t.unpriced_events.shown()).sum()),
        turns,
        truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ev;

    #[test]
    fn turns_in_time_order_with_ties_broken_by_id() {
        let mut a = ev(5, "c", "t2", "buffer", Status::Success);
        a.ts = 100;
        let mut b = ev(3, "c", "t1", "buffer", Status::Success);
        b.ts = 50;
        let mut c = ev(4, "c", "t1", "intent", Status::Error);
        c.ts = 50; // same time as b: b (id 3) first
        c.cost_nanos = Cost::Shown(None);
        let mut d = ev(6, "c", "t2", "response", Status::Running);
        d.ts = 100;
        d.duration_ms = Some(40);
        let detail = detail("c", vec![a, d, c, b], false);
        assert_eq!(detail.turns.iter().map(|t| t.turn_id.as_str()).collect::<Vec<_>>(), ["t1", "t2"]);
        let t1 = &detail.turns[0];
        assert_eq!(t1.stages.iter().map(|e| e.id).collect::<Vec<_>>(), [3, 4]);
        assert_eq!((t1.status, t1.unpriced_events), (Status::Error, Cost::Shown(1)));
        let t2 = &detail.turns[1];
        assert_eq!((t2.status, t2.start_ts, t2.end_ts, t2.duration_ms), (Status::Running, 100, 140, 40));
        assert_eq!(detail.events, 4);
    }
}
