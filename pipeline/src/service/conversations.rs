//! Conversations: the replay list, one conversation's turns and stages,
//! and the ones live right now.

use super::error::Context;
use super::{Service, ServiceError, Viewer};
use domain::conversation::{detail, ConversationDetail, ConversationQuery, ConversationSummary};
use domain::sessions::{LiveSessions, RUNNING_MAX_MS};

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

    /// The conversations live at `now` (see `domain::sessions`), within the
    /// reader's tenant, cost for admins only.
    pub async fn live_sessions(&self, viewer: &Viewer, now_ms: i64) -> Result<LiveSessions, ServiceError> {
        let tenant = viewer.tenant_scope(None)?;
        let unavailable = "the event store is unavailable";
        // The newest id first: a live view applies what comes after it (each
        // session skips events it has counted already).
        let last_event_id = self.store.last_event_id().await.or_unavailable(unavailable)?;
        let recent =
            self.store.recent_sessions(now_ms - RUNNING_MAX_MS, tenant.as_deref()).await.or_unavailable(unavailable)?;
        let sessions = recent.into_iter().filter(|s| s.is_active(now_ms)).collect();
        Ok(viewer.shape(LiveSessions { sessions, last_event_id, now: now_ms }))
    }
}
