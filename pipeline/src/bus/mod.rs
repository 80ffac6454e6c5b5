//! The live bus: every committed batch of events, in commit order, to every
//! subscriber in this process (the SSE streams) — and alert notices. In-process by default; a
//! subscriber that falls behind is told so (`Lagged`) and catches up from the
//! store, so a slow browser never blocks ingest and never misses an event.

use domain::alerts::AlertNotice;
use domain::Event;
use std::sync::Arc;
use tokio::sync::{broadcast, watch};

/// Batches held for slow subscribers before they lag.
const CAPACITY: usize = 1024;

pub type Batch = Arc<[Event]>;

#[derive(Clone, Debug)]
pub struct Bus {
    tx: broadcast::Sender<Batch>,
    /// Alerts firing and resolving, for open admin dashboards.
    alerts: broadcast::Sender<Arc<AlertNotice>>,
    /// Set once at shutdown, so long-lived subscribers (SSE) end cleanly.
    closed: Arc<watch::Sender<bool>>,
}

impl Default for Bus {
    fn default() -> Self {
        Bus {
            tx: broadcast::channel(CAPACITY).0,
            alerts: broadcast::channel(64).0,
            closed: Arc::new(watch::channel(false).0),
        }
    }
}

impl Bus {
    /// Publishes a committed batch. Callers publish in commit order.
    pub fn publish(&self, events: Batch) {
        // No subscribers is fine: nobody is watching.
        let _ = self.tx.send(events);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Batch> {
        self.tx.subscribe()
    }

    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }

    pub fn publish_alert(&self, notice: AlertNotice) {
        let _ = self.alerts.send(Arc::new(notice));
    }

    pub fn subscribe_alerts(&self) -> broadcast::Receiver<Arc<AlertNotice>> {
        self.alerts.subscribe()
    }

    /// Tells every subscriber to finish (server shutdown).
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Resolves once [`Bus::close`] has been called.
    pub async fn closed(&self) {
        let mut rx = self.closed.subscribe();
        let _ = rx.wait_for(|closed| *closed).await;
    }
}
