//! Sample data for tests in this crate and the ones above it (feature
//! `testing`, enabled only by their dev-dependencies).

use crate::event::{Event, Status, Usage};
use crate::visibility::Cost;

/// A stored-looking event: id `id`, at `id * 10` ms, 10 ms long, free.
pub fn ev(id: i64, chat: &str, turn: &str, stage: &str, status: Status) -> Event {
    Event {
        id,
        chat_id: chat.into(),
        turn_id: Some(turn.into()),
        stage: stage.into(),
        status,
        ts: id * 10,
        duration_ms: Some(10),
        persona: None,
        model: None,
        provider: None,
        usage: Usage::default(),
        error: None,
        meta: None,
        cost_nanos: Cost::Shown(Some(0)),
        pricing_id: None,
        tenant: None,
        pipeline: None,
        tool: None,
        received_at: id * 10,
    }
}
