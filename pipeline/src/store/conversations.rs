//! The conversations table (running totals per chat) and a chat's events.

use super::events::{read_event, Equal, EventQuery, Order, COLUMNS};
use super::{on_pool, Store, StoreError};
use domain::conversation::{ConversationQuery, ConversationStatus, ConversationSummary, MAX_LIST_SIZE};
use domain::sessions::{LiveSession, MAX_SESSIONS};
use domain::visibility::Cost;
use domain::{Event, Status};
use sqlx::{FromRow, QueryBuilder};

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
            cost_nanos: Cost::Shown(r.cost_nanos),
            unpriced_events: Cost::Shown(r.unpriced_events),
            last_persona: r.last_persona,
            last_model: r.last_model,
            last_status: r.last_status,
        }
    }
}

#[derive(FromRow)]
struct SessionRow {
    chat_id: String,
    tenant: Option<String>,
    last_persona: Option<String>,
    last_model: Option<String>,
    last_stage: Option<String>,
    last_status: Option<String>,
    last_turn_id: Option<String>,
    first_ts: i64,
    last_ts: i64,
    last_event_id: i64,
    turns: i64,
    cost_nanos: i64,
}

impl From<SessionRow> for LiveSession {
    fn from(r: SessionRow) -> Self {
        LiveSession {
            chat_id: r.chat_id,
            tenant: r.tenant,
            persona: r.last_persona,
            model: r.last_model,
            stage: r.last_stage.unwrap_or_default(),
            status: r.last_status.as_deref().and_then(Status::parse).unwrap_or(Status::Success),
            started: r.first_ts,
            last_ts: r.last_ts,
            turns: r.turns,
            last_event_id: r.last_event_id,
            turn_id: r.last_turn_id,
            cost_nanos: Cost::Shown(r.cost_nanos),
        }
    }
}

const CONVERSATION_COLUMNS: &str = "chat_id, first_ts, last_ts, last_event_id, events, turns, errors, input_tokens, \
    output_tokens, cost_nanos, unpriced_events, last_persona, last_model, last_status";

impl Store {
    /// The conversations with the most recent events, newest first.
    pub async fn latest_conversations(&self, limit: i64) -> Result<Vec<ConversationSummary>, StoreError> {
        self.find_conversations(&ConversationQuery { limit, ..Default::default() }).await
    }

    /// The latest conversations matching `q`, newest first. Persona and
    /// model match any of the conversation's turns (through the turns table,
    /// probed by its primary key), so a chat that switched models is found
    /// by either.
    pub async fn find_conversations(&self, q: &ConversationQuery) -> Result<Vec<ConversationSummary>, StoreError> {
        let rows: Vec<ConversationRow> = on_pool!(self, pool => {
            let mut qb = QueryBuilder::new(format!("SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE events > 0"));
            if let Some(s) = q.search.as_deref().filter(|s| !s.is_empty()) {
                qb.push(r" AND LOWER(chat_id) LIKE ").push_bind(like_pattern(s)).push(r" ESCAPE '\'");
            }
            for (col, v) in [("persona", &q.persona), ("model", &q.model)] {
                if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                    qb.push(format!(" AND EXISTS (SELECT 1 FROM turns t WHERE t.chat_id = c.chat_id AND t.{col} = "))
                        .push_bind(v.to_string())
                        .push(")");
                }
            }
            if let Some(t) = q.tenant.as_deref() {
                qb.push(" AND tenant = ").push_bind(t.to_string());
            }
            if let Some(p) = q.pipeline.as_deref().filter(|p| !p.is_empty()) {
                qb.push(" AND pipeline = ").push_bind(p.to_string());
            }
            qb.push(match q.status {
                None => "",
                Some(ConversationStatus::Error) => " AND errors > 0",
                Some(ConversationStatus::Running) => " AND errors = 0 AND last_status = 'running'",
                Some(ConversationStatus::Success) => " AND errors = 0 AND (last_status IS NULL OR last_status <> 'running')",
            });
            qb.push(" ORDER BY last_event_id DESC LIMIT ").push_bind(q.limit.clamp(1, MAX_LIST_SIZE));
            qb.build_query_as().fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(ConversationSummary::from).collect())
    }

    pub async fn conversation(&self, chat_id: &str) -> Result<Option<ConversationSummary>, StoreError> {
        let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE chat_id = $1 AND events > 0");
        let row: Option<ConversationRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(chat_id).fetch_optional(pool).await?);
        Ok(row.map(ConversationSummary::from))
    }

    /// The conversations whose last stage ended at or after `since` (the
    /// caller keeps the live ones), one tenant's when `tenant` is given,
    /// most recent first.
    pub async fn recent_sessions(&self, since: i64, tenant: Option<&str>) -> Result<Vec<LiveSession>, StoreError> {
        let rows: Vec<SessionRow> = on_pool!(self, pool => {
            let mut qb = QueryBuilder::new(
                "SELECT chat_id, tenant, last_persona, last_model, last_stage, last_status, last_turn_id, first_ts, \
                 last_ts, last_event_id, turns, cost_nanos FROM conversations WHERE last_ts >= ",
            );
            qb.push_bind(since);
            if let Some(t) = tenant {
                qb.push(" AND tenant = ").push_bind(t.to_string());
            }
            qb.push(" ORDER BY last_ts DESC, chat_id LIMIT ").push_bind(MAX_SESSIONS as i64);
            qb.build_query_as().fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(LiveSession::from).collect())
    }

    /// The tenants of those of `chats` that have one.
    pub async fn conversation_tenants(&self, chats: &[&str]) -> Result<Vec<(String, String)>, StoreError> {
        if chats.is_empty() {
            return Ok(Vec::new());
        }
        Ok(on_pool!(self, pool => {
            let mut qb = QueryBuilder::new("SELECT chat_id, tenant FROM conversations WHERE tenant IS NOT NULL AND chat_id IN (");
            let mut list = qb.separated(", ");
            for c in chats {
                list.push_bind(c.to_string());
            }
            qb.push(")");
            qb.build_query_as().fetch_all(pool).await?
        }))
    }

    /// The tenant a conversation belongs to: `None` when there is no such
    /// conversation, `Some(None)` when it has no tenant.
    pub async fn conversation_tenant(&self, chat_id: &str) -> Result<Option<Option<String>>, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar("SELECT tenant FROM conversations WHERE chat_id = $1")
            .bind(chat_id)
            .fetch_optional(pool)
            .await?))
    }

    /// Up to `limit` of a chat's events in replay order (time, then id).
    pub async fn conversation_events(&self, chat_id: &str, limit: i64) -> Result<Vec<Event>, StoreError> {
        let mut q = EventQuery::new(COLUMNS, Order::TsId);
        q.equal.push(Equal { column: "chat_id", null_as_empty: false, value: chat_id.to_string() });
        q.limit = Some(limit);
        self.read_events(q, read_event).await
    }
}

/// `%term%`, lower-cased, with LIKE's wildcards in the term taken literally.
fn like_pattern(term: &str) -> String {
    let mut p = String::from("%");
    for ch in term.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_terms_are_literal() {
        assert_eq!(super::like_pattern("Chat_1%"), r"%chat\_1\%%");
    }
}
