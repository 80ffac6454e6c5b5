//! What traffic cost and how it went: summaries, cost over time per model,
//! the turns table, and the events behind a view, exported page by page.

use super::error::Context;
use super::{Service, ServiceError, Viewer};
use crate::store::{Filters, Store, StoreError, TurnFilter};
use crate::summary::window::Window;
use crate::summary::{self, filters};
use domain::costs::{ModelTrend, TurnPage, TurnQuery};
use domain::summary::{Summary, SummaryQuery};
use domain::Event;
use futures::Stream;

/// Most turns on one page of the turns table.
pub const MAX_TURN_PAGE: i64 = 200;

/// The events of a window, ready to be read page by page.
pub struct Export {
    pub from: i64,
    pub to: i64,
    /// How many events the pages hold, for progress.
    pub total: i64,
    store: Store,
    filters: Filters,
}

impl Export {
    /// Pages of up to `size` events in id order; a store failure ends the
    /// stream with that error.
    pub fn pages(self, size: i64) -> impl Stream<Item = Result<Vec<Event>, StoreError>> + Send + 'static {
        // State: the id to continue after, or `None` when done.
        futures::stream::unfold(Some(0i64), move |cursor| {
            let (store, f) = (self.store.clone(), self.filters.clone());
            async move {
                let after = cursor?;
                match store.export_page(self.from, self.to, &f, after, size).await {
                    Ok(page) => {
                        let next = if page.len() as i64 == size { page.last().map(|e| e.id) } else { None };
                        Some((Ok(page), next))
                    }
                    Err(e) => Some((Err(e), None)),
                }
            }
        })
    }
}

/// `q` within the reader's tenant scope.
fn scoped(viewer: &Viewer, q: &SummaryQuery) -> Result<SummaryQuery, ServiceError> {
    Ok(SummaryQuery { tenant: viewer.tenant_scope(q.tenant.clone())?, ..q.clone() })
}

impl Service {
    pub async fn summary(&self, viewer: &Viewer, q: &SummaryQuery, now_ms: i64) -> Result<Summary, ServiceError> {
        Ok(summary::summarize(&self.store, &self.memo, &scoped(viewer, q)?, now_ms).await?)
    }

    pub async fn model_trend(
        &self,
        viewer: &Viewer,
        q: &SummaryQuery,
        now_ms: i64,
    ) -> Result<ModelTrend, ServiceError> {
        Ok(summary::model_trend(&self.store, &self.memo, &scoped(viewer, q)?, now_ms).await?)
    }

    /// A page of the turns that started in the window, sorted as asked.
    pub async fn turns(&self, viewer: &Viewer, q: &TurnQuery, now_ms: i64) -> Result<TurnPage, ServiceError> {
        let window = scoped(viewer, &q.window)?;
        let w = Window::resolve(&window, now_ms).map_err(|p| ServiceError::invalid(p.field, p.message))?;
        let f = Filters { stage: None, ..filters(&window) };
        let status = q.status.clone().filter(|s| !s.trim().is_empty());
        let filter = TurnFilter { from: w.from, to: w.to, f: &f, status: status.as_deref() };
        let (rows, total) = self
            .store
            .turns_page(&filter, q.sort, q.ascending, q.offset.max(0), q.limit.clamp(1, MAX_TURN_PAGE))
            .await
            .or_unavailable("the store is unavailable")?;
        Ok(TurnPage { rows, total })
    }

    /// The events behind a summary query (its window and filters).
    pub async fn export(&self, viewer: &Viewer, q: &SummaryQuery, now_ms: i64) -> Result<Export, ServiceError> {
        let q = &scoped(viewer, q)?;
        let w = Window::resolve(q, now_ms).map_err(|p| ServiceError::invalid(p.field, p.message))?;
        let f = filters(q);
        let total = summary::totals(&self.store, w.from, w.to, &f).await?.events;
        Ok(Export { from: w.from, to: w.to, total, store: self.store.clone(), filters: f })
    }
}
