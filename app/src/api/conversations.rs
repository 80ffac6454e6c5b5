//! Conversation server functions: the replay list and one conversation's
//! turns and stages. Both are open to viewers; cost is stripped for them.

use crate::domain::conversation::{ConversationDetail, ConversationQuery, ConversationSummary};
use leptos::prelude::*;

/// Most events loaded for one conversation.
pub const CONVERSATION_EVENT_LIMIT: i64 = 5_000;

#[server(endpoint = "conversations")]
pub async fn get_conversations(query: ConversationQuery) -> Result<Vec<ConversationSummary>, ServerFnError> {
    let me = crate::auth::require(crate::domain::auth::Role::Viewer)?;
    let state = expect_context::<crate::state::AppState>();
    let mut list = state.store.find_conversations(&query).await.map_err(|e| {
        super::errors::unavailable("Listing conversations failed.", e, "the event store is unavailable")
    })?;
    if !me.is_admin() {
        for c in &mut list {
            c.cost_nanos = 0;
            c.unpriced_events = 0;
        }
    }
    Ok(list)
}

#[server(endpoint = "conversation")]
pub async fn get_conversation(chat_id: String) -> Result<Option<ConversationDetail>, ServerFnError> {
    let me = crate::auth::require(crate::domain::auth::Role::Viewer)?;
    let state = expect_context::<crate::state::AppState>();
    let mut detail = load_conversation(&state.store, &chat_id).await.map_err(|e| {
        super::errors::unavailable("Loading a conversation failed.", e, "the event store is unavailable")
    })?;
    if let (Some(d), false) = (detail.as_mut(), me.is_admin()) {
        d.cost_nanos = 0;
        d.unpriced_events = 0;
        for t in &mut d.turns {
            t.cost_nanos = 0;
            t.unpriced_events = 0;
            crate::auth::strip_cost(&mut t.stages);
        }
    }
    Ok(detail)
}

/// A conversation with its turns, or `None` if there is no such chat.
#[cfg(feature = "ssr")]
pub async fn load_conversation(
    store: &pipeline::store::Store,
    chat_id: &str,
) -> Result<Option<ConversationDetail>, pipeline::store::StoreError> {
    let events = store.conversation_events(chat_id, CONVERSATION_EVENT_LIMIT + 1).await?;
    if events.is_empty() {
        return Ok(None);
    }
    let truncated = events.len() as i64 > CONVERSATION_EVENT_LIMIT;
    let events = events.into_iter().take(CONVERSATION_EVENT_LIMIT as usize).collect();
    Ok(Some(crate::domain::conversation::detail(chat_id, events, truncated)))
}
