//! Conversations: the replay list and one conversation's turns and stages.

use super::error::Context;
use super::{Service, ServiceError, Viewer};
use domain::conversation::{detail, ConversationDetail, ConversationQuery, ConversationSummary};

// (`ConversationQuery` is cloned to set the reader's tenant scope.)

/// Most events loaded for one conversation.
pub const CONVERSATION_EVENT_LIMIT: i64 = 5_000;

impl Service {
    /// The latest conversations matching `q`, newest first.
    pub async fn conversations(
        &self,
        viewer: &Viewer,
        q: &ConversationQuery,
    ) -> Result<Vec<ConversationSummary>, ServiceError> {
        let q = ConversationQuery { tenant: viewer.tenant_scope(q.tenant.clone())?, ..q.clone() };
        let list = self.store.find_conversations(&q).await.or_unavailable("the event store is unavailable")?;
        Ok(viewer.shape(list))
    }

    /// A conversation with its turns, or `None` if there is no such chat.
    pub async fn conversation(
        &self,
        viewer: &Viewer,
        chat_id: &str,
    ) -> Result<Option<ConversationDetail>, ServiceError> {
        // A scoped reader sees only its tenant's conversations, and in them
        // only its tenant's events.
        let scope = viewer.tenant_scope(None)?;
        if let Some(mine) = &scope {
            let owner =
                self.store.conversation_tenant(chat_id).await.or_unavailable("the event store is unavailable")?;
            if owner.flatten().as_ref() != Some(mine) {
                return Ok(None);
            }
        }
        let mut events = self
            .store
            .conversation_events(chat_id, CONVERSATION_EVENT_LIMIT + 1)
            .await
            .or_unavailable("the event store is unavailable")?;
        if let Some(mine) = &scope {
            events.retain(|e| e.tenant.as_ref() == Some(mine));
        }
        if events.is_empty() {
            return Ok(None);
        }
        let truncated = events.len() as i64 > CONVERSATION_EVENT_LIMIT;
        let events = events.into_iter().take(CONVERSATION_EVENT_LIMIT as usize).collect();
        Ok(Some(viewer.shape(detail(chat_id, events, truncated))))
    }
}
