//! Conversation server functions: the replay list, one conversation's
//! turns and stages, and the live sessions. All are open to viewers, who
//! get them without cost.

use crate::domain::conversation::{ConversationDetail, ConversationQuery, ConversationSummary};
use crate::domain::sessions::LiveSessions;
use leptos::prelude::*;

#[server(endpoint = "conversations")]
pub async fn get_conversations(query: ConversationQuery) -> Result<Vec<ConversationSummary>, ServerFnError> {
    let (service, viewer) = super::enter::<GetConversations>()?;
    service.conversations(&viewer, &query).await.map_err(super::errors::refused)
}

#[server(endpoint = "conversation")]
pub async fn get_conversation(chat_id: String) -> Result<Option<ConversationDetail>, ServerFnError> {
    let (service, viewer) = super::enter::<GetConversation>()?;
    service.conversation(&viewer, &chat_id).await.map_err(super::errors::refused)
}

#[server(endpoint = "sessions/live")]
pub async fn get_live_sessions() -> Result<LiveSessions, ServerFnError> {
    let (service, viewer) = super::enter::<GetLiveSessions>()?;
    service.live_sessions(&viewer, crate::domain::time::now_ms()).await.map_err(super::errors::refused)
}
