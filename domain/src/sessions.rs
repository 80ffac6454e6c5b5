//! Live sessions: the conversations going on right now — an event in the
//! last five minutes, or a stage still running. The server lists them from
//! the conversations table; the browser keeps the list current from the
//! live stream with [`apply`] and drops the ones that go quiet with
//! [`LiveSession::is_active`], so the panel needs no polling.

use crate::time::serde_ts;
use crate::visibility::{Cost, HideCost};
use crate::{Event, Status};
use serde::{Deserialize, Serialize};

/// A conversation is live while its last stage ended this recently.
pub const ACTIVE_MS: i64 = 5 * 60_000;
/// A stage reported `running` keeps its conversation live this long at
/// most (a stage that never reported its end is abandoned, not live).
pub const RUNNING_MAX_MS: i64 = 60 * 60_000;
/// Most sessions listed.
pub const MAX_SESSIONS: usize = 200;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveSession {
    pub chat_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persona: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The latest stage and its status.
    pub stage: String,
    pub status: Status,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    #[serde(with = "serde_ts")]
    pub started: i64,
    /// End of the latest stage (the agent's clock).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    #[serde(with = "serde_ts")]
    pub last_ts: i64,
    pub turns: i64,
    /// The newest event counted: later ones are applied, earlier ones (or
    /// the same again) are not.
    pub last_event_id: i64,
    /// The latest turn, to count a new one when it starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
    /// Spent so far, nano-dollars (admins only).
    #[serde(default, skip_serializing_if = "Cost::is_hidden")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub cost_nanos: Cost<i64>,
}

impl LiveSession {
    /// Live at `now`: an event in the last [`ACTIVE_MS`], or a stage still
    /// running (for at most [`RUNNING_MAX_MS`]).
    pub fn is_active(&self, now: i64) -> bool {
        self.last_ts >= now - ACTIVE_MS || (self.status == Status::Running && self.last_ts >= now - RUNNING_MAX_MS)
    }
}

/// The sessions live when the list was read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveSessions {
    /// Most recently active first.
    pub sessions: Vec<LiveSession>,
    /// The newest event id when read: a live view applies only later ones.
    pub last_event_id: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    #[serde(with = "serde_ts")]
    pub now: i64,
}

impl HideCost for LiveSessions {
    fn hide_cost(&mut self) {
        for s in &mut self.sessions {
            s.cost_nanos = Cost::Hidden;
        }
    }
}

/// Brings `sessions` up to date with one live event: its conversation moves
/// to the top with the event's stage, status and (when it names them)
/// persona, model and tenant; a new turn id counts a turn; cost adds up.
/// An event the session has counted already changes nothing.
pub fn apply(sessions: &mut Vec<LiveSession>, e: &Event) {
    if sessions.iter().any(|s| s.chat_id == e.chat_id && s.last_event_id >= e.id) {
        return;
    }
    let end = e.ts + e.duration_ms.unwrap_or(0);
    let cost = match &e.cost_nanos {
        Cost::Hidden => Cost::Hidden,
        Cost::Shown(c) => Cost::Shown(c.unwrap_or(0)),
    };
    let mut s = match sessions.iter().position(|s| s.chat_id == e.chat_id) {
        Some(i) => sessions.remove(i),
        None => LiveSession {
            chat_id: e.chat_id.clone(),
            tenant: None,
            persona: None,
            model: None,
            stage: String::new(),
            status: e.status,
            started: e.ts,
            last_ts: end,
            turns: 0,
            last_event_id: 0,
            turn_id: None,
            cost_nanos: cost.map(|_| 0),
        },
    };
    if s.turns == 0 || (e.turn_id.is_some() && e.turn_id != s.turn_id) {
        s.turns += 1;
        s.turn_id = e.turn_id.clone();
    }
    s.last_event_id = e.id;
    s.stage = e.stage.clone();
    s.status = e.status;
    s.started = s.started.min(e.ts);
    s.last_ts = s.last_ts.max(end);
    s.tenant = e.tenant.clone().or(s.tenant);
    s.persona = e.persona.clone().or(s.persona);
    s.model = e.model.clone().or(s.model);
    if let (Cost::Shown(total), Cost::Shown(add)) = (&mut s.cost_nanos, &cost) {
        *total += add;
    }
    sessions.insert(0, s);
    sessions.truncate(MAX_SESSIONS);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ev;

    #[test]
    fn sessions_are_live_for_five_minutes_or_while_running() {
        let mut e = ev(1, "c1", "t1", "intent", Status::Success);
        e.ts = 1_000_000;
        e.duration_ms = Some(500);
        let mut list = Vec::new();
        apply(&mut list, &e);
        let s = &list[0];
        assert_eq!((s.last_ts, s.turns), (1_000_500, 1));
        assert!(s.is_active(1_000_500 + ACTIVE_MS), "at the edge");
        assert!(!s.is_active(1_000_500 + ACTIVE_MS + 1), "past it");
        let mut running = list[0].clone();
        running.status = Status::Running;
        assert!(running.is_active(1_000_500 + ACTIVE_MS + 1));
        assert!(!running.is_active(1_000_500 + RUNNING_MAX_MS + 1), "abandoned");
    }

    #[test]
    fn live_events_move_a_session_to_the_top_and_add_up() {
        let mut a = ev(1, "a", "t1", "intent", Status::Success);
        a.cost_nanos = Cost::Shown(Some(100));
        a.persona = Some("sage".into());
        let mut b = ev(2, "b", "t1", "intent", Status::Running);
        b.cost_nanos = Cost::Shown(None);
        let mut a2 = ev(3, "a", "t2", "response", Status::Success);
        a2.cost_nanos = Cost::Shown(Some(50));
        let mut list = Vec::new();
        for e in [&a, &b, &a2] {
            apply(&mut list, e);
        }
        assert_eq!(list.iter().map(|s| s.chat_id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        let s = &list[0];
        assert_eq!((s.turns, s.stage.as_str(), s.persona.as_deref()), (2, "response", Some("sage")));
        assert_eq!(s.cost_nanos, Cost::Shown(150));
        assert_eq!(list[1].cost_nanos, Cost::Shown(0), "unpriced adds nothing");
        let mut hidden = ev(4, "c", "t1", "x", Status::Success);
        hidden.cost_nanos = Cost::Hidden;
        apply(&mut list, &hidden);
        assert_eq!(list[0].cost_nanos, Cost::Hidden, "a viewer's events carry no cost");
        let before = list.clone();
        apply(&mut list, &a2);
        assert_eq!(list, before, "an event counted already changes nothing");
    }
}
