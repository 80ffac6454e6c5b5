//! Reading events: the history API's pages, the latest events (the flow
//! page's first paint) and the live stream — each shaped for its viewer.

use super::error::Context;
use super::{Service, ServiceError, Viewer};
use crate::store::HistoryQuery;
use crate::stream::{self, Audience, Resume, StreamItem};
use domain::visibility::HideCost;
use domain::Event;
use futures::Stream;
use serde::Serialize;
use tokio_stream::wrappers::ReceiverStream;

/// One page of the history API, newest first.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryPage {
    pub events: Vec<Event>,
    /// Pass as `before` for the next (older) page; null on the last page.
    pub next_before: Option<i64>,
}

impl HideCost for HistoryPage {
    fn hide_cost(&mut self) {
        self.events.hide_cost();
    }
}

impl Service {
    pub async fn history(&self, viewer: &Viewer, q: &HistoryQuery) -> Result<HistoryPage, ServiceError> {
        let q = HistoryQuery { tenant: viewer.tenant_scope(q.tenant.clone())?, ..q.clone() };
        let events = self.store.history(&q).await?;
        let next_before = (events.len() as i64 == q.limit).then(|| events.last().map(|e| e.id)).flatten();
        Ok(viewer.shape(HistoryPage { events, next_before }))
    }

    /// The latest `limit` events, newest first; one pipeline's when
    /// `pipeline` is given.
    pub async fn latest(
        &self,
        viewer: &Viewer,
        limit: i64,
        pipeline: Option<String>,
    ) -> Result<Vec<Event>, ServiceError> {
        let q = HistoryQuery { limit, tenant: viewer.tenant_scope(None)?, pipeline, ..HistoryQuery::default() };
        let events = self.store.history(&q).await.or_unavailable("the event store is unavailable")?;
        Ok(viewer.shape(events))
    }

    /// The id of the newest stored event (where a live stream picks up).
    pub async fn newest_event_id(&self) -> Result<i64, ServiceError> {
        self.store.last_event_id().await.or_unavailable("the event store is unavailable")
    }

    /// The pipelines events have named, in name order (for a picker); only
    /// those of the viewer's tenant when it has one.
    pub async fn pipelines(&self, viewer: &Viewer) -> Result<Vec<String>, ServiceError> {
        let tenant = viewer.tenant_scope(None)?;
        self.store.pipelines(tenant.as_deref()).await.or_unavailable("the event store is unavailable")
    }

    /// The live stream from `resume` on (see [`stream`]): events shaped for
    /// `viewer` (encoded once per batch for every stream alike), and alert
    /// notices when the viewer gets them. The bus subscription is taken
    /// before this returns.
    pub async fn stream(
        &self,
        viewer: Viewer,
        resume: Resume,
        now_ms: i64,
    ) -> Result<impl Stream<Item = StreamItem> + Send + 'static, ServiceError> {
        let audience = Audience {
            sees_cost: viewer.sees_cost(),
            sees_alerts: viewer.sees_alerts(),
            tenant: viewer.tenant_scope(None)?,
        };
        let items = stream::open(self.store.clone(), self.bus.clone(), resume, now_ms, audience).await?;
        Ok(ReceiverStream::new(items))
    }
}
