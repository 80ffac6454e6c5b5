//! The conversations table (running totals per chat) and a chat's events.

use super::events::{into_events, EventRow, COLUMNS};
use super::{on_pool, Store, StoreError};
use crate::domain::conversation::ConversationSummary;
use crate::domain::Event;
use sqlx::FromRow;

#[derive(FromRow)]
struct ConversationRow {
    chat_id: String,
    first_ts: i64,
    last_ts: i64,
    last_event_id: i64,
    events: i64,
    turns: i64,
    errors: i64,
    input_tokens: i64,
    output_tokens: i64,
    cost_nanos: i64,
    unpriced_events: i64,
    last_persona: Option<String>,
    last_model: Option<String>,
    last_status: Option<String>,
}

impl From<ConversationRow> for ConversationSummary {
    fn from(r: ConversationRow) -> Self {
        ConversationSummary {
            chat_id: r.chat_id,
            first_ts: r.first_ts,
            last_ts: r.last_ts,
            last_event_id: r.last_event_id,
            events: r.events,
            turns: r.turns,
            errors: r.errors,
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
            cost_nanos: r.cost_nanos,
            unpriced_events: r.unpriced_events,
            last_persona: r.last_persona,
            last_model: r.last_model,
            last_status: r.last_status,
        }
    }
}

const CONVERSATION_COLUMNS: &str = "chat_id, first_ts, last_ts, last_event_id, events, turns, errors, input_tokens, \
    output_tokens, cost_nanos, unpriced_events, last_persona, last_model, last_status";

impl Store {
    /// The conversations with the most recent events, newest first.
    pub async fn latest_conversations(&self, limit: i64) -> Result<Vec<ConversationSummary>, StoreError> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE events > 0 ORDER BY last_event_id DESC LIMIT $1"
        );
        let rows: Vec<ConversationRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(limit).fetch_all(pool).await?);
        Ok(rows.into_iter().map(ConversationSummary::from).collect())
    }

    pub async fn conversation(&self, chat_id: &str) -> Result<Option<ConversationSummary>, StoreError> {
        let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE chat_id = $1 AND events > 0");
        let row: Option<ConversationRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(chat_id).fetch_optional(pool).await?);
        Ok(row.map(ConversationSummary::from))
    }

    /// Up to `limit` of a chat's events in replay order (time, then id).
    pub async fn conversation_events(&self, chat_id: &str, limit: i64) -> Result<Vec<Event>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM events WHERE chat_id = $1 ORDER BY ts, id LIMIT $2");
        let rows: Vec<EventRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(chat_id).bind(limit).fetch_all(pool).await?);
        into_events(rows)
    }
}
