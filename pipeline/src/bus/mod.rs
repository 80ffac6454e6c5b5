//! The live bus: every committed batch of events, in commit order, to every
//! subscriber in this process (the SSE streams), plus alert notices and
//! notices that a shared setting changed.
//!
//! Two ways to carry it:
//! - **in-process** (the default): a publish goes straight to this
//!   process's subscribers;
//! - **Redis Streams** (`REDIS_URL`, several replicas): a publish is
//!   appended to one Redis Stream, and every replica's relay ([`redis`])
//!   reads the stream and feeds its own subscribers. The database stays the
//!   source of truth: the relay fills any hole from it, and reads it while
//!   Redis is down.
//!
//! Either way subscribers see the same thing: batches with increasing ids.
//! A subscriber that falls behind is told so (`Lagged`) and catches up from
//! the store, so a slow browser never blocks ingest and never misses an
//! event.

pub mod redis;

use domain::alerts::AlertNotice;
use domain::visibility::HideCost;
use domain::Event;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, OnceLock};
use tokio::sync::{broadcast, watch};

/// Batches held for slow subscribers before they lag.
const CAPACITY: usize = 1024;

pub type Batch = Arc<Committed>;

/// A committed batch as subscribers get it: the events, and their JSON as
/// each kind of reader sees it. The JSON is encoded by the first stream
/// that needs it and shared by the rest: a hundred open dashboards cost one
/// encoding per event, not a hundred.
#[derive(Debug)]
pub struct Committed {
    events: Vec<Event>,
    /// `[cost hidden, cost shown]`.
    json: [OnceLock<Vec<Encoded>>; 2],
}

/// One event's id and its JSON (one line: JSON escapes newlines).
#[derive(Clone, Debug, PartialEq)]
pub struct Encoded {
    pub id: i64,
    pub json: Arc<str>,
}

impl Encoded {
    /// `event` as a reader who does (or does not) see cost gets it; `None`
    /// (logged) if it cannot be encoded.
    pub fn of(event: &Event, sees_cost: bool) -> Option<Encoded> {
        let encoded = if sees_cost {
            serde_json::to_string(event)
        } else {
            let mut hidden = event.clone();
            hidden.hide_cost();
            serde_json::to_string(&hidden)
        };
        match encoded {
            Ok(json) => Some(Encoded { id: event.id, json: json.into() }),
            Err(e) => {
                tracing::error!(error = %e, id = event.id, "An event could not be encoded for streams; skipped.");
                None
            }
        }
    }
}

impl Committed {
    pub fn new(events: Vec<Event>) -> Batch {
        Arc::new(Committed { events, json: Default::default() })
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The events' JSON for readers who do (or do not) see cost, encoded
    /// once per batch.
    pub fn json(&self, sees_cost: bool) -> &[Encoded] {
        self.json[usize::from(sees_cost)]
            .get_or_init(|| self.events.iter().filter_map(|e| Encoded::of(e, sees_cost)).collect())
    }
}

/// A shared setting some replica changed: every replica reloads it from the
/// database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Telemetry,
    Retention,
    Pricing,
}

impl Change {
    pub const ALL: [Change; 3] = [Change::Telemetry, Change::Retention, Change::Pricing];
}

#[derive(Clone, Debug)]
pub struct Bus {
    local: Local,
    /// Set when the bus runs over Redis.
    redis: Option<Arc<redis::RedisLink>>,
}

/// This process's subscribers.
#[derive(Clone, Debug)]
struct Local {
    events: broadcast::Sender<Batch>,
    alerts: broadcast::Sender<Arc<AlertNotice>>,
    changes: broadcast::Sender<Change>,
    /// Set once at shutdown, so long-lived subscribers (SSE) end cleanly.
    closed: Arc<watch::Sender<bool>>,
}

impl Default for Bus {
    /// The in-process bus.
    fn default() -> Self {
        Bus {
            local: Local {
                events: broadcast::channel(CAPACITY).0,
                alerts: broadcast::channel(64).0,
                changes: broadcast::channel(64).0,
                closed: Arc::new(watch::channel(false).0),
            },
            redis: None,
        }
    }
}

impl Bus {
    /// A bus over the Redis Stream `link` writes to. Its relay
    /// ([`redis::relay`]) must run for subscribers to hear anything.
    pub fn over_redis(link: redis::RedisLink) -> Bus {
        Bus { redis: Some(Arc::new(link)), ..Bus::default() }
    }

    pub fn redis(&self) -> Option<&redis::RedisLink> {
        self.redis.as_deref()
    }

    /// Publishes a committed batch; `after` is the id of the newest event
    /// committed before it (so a reader can tell a hole). Callers publish
    /// in commit order, after the commit. Never fails: with Redis down the
    /// events are still in the database, where the relays find them.
    pub async fn publish(&self, after: i64, events: Batch) {
        match &self.redis {
            None => self.deliver(events),
            Some(link) => link.append_events(after, events.events()).await,
        }
    }

    pub async fn publish_alert(&self, notice: AlertNotice) {
        match &self.redis {
            None => self.deliver_alert(notice),
            Some(link) => link.append_alert(&notice).await,
        }
    }

    pub async fn publish_change(&self, change: Change) {
        match &self.redis {
            None => self.deliver_change(change),
            Some(link) => link.append_change(change).await,
        }
    }

    /// Hands a batch to this process's subscribers.
    pub(crate) fn deliver(&self, events: Batch) {
        // No subscribers is fine: nobody is watching.
        let _ = self.local.events.send(events);
    }

    fn deliver_alert(&self, notice: AlertNotice) {
        let _ = self.local.alerts.send(Arc::new(notice));
    }

    fn deliver_change(&self, change: Change) {
        let _ = self.local.changes.send(change);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Batch> {
        self.local.events.subscribe()
    }

    pub fn subscribers(&self) -> usize {
        self.local.events.receiver_count()
    }

    pub fn subscribe_alerts(&self) -> broadcast::Receiver<Arc<AlertNotice>> {
        self.local.alerts.subscribe()
    }

    pub fn subscribe_changes(&self) -> broadcast::Receiver<Change> {
        self.local.changes.subscribe()
    }

    /// Tells every subscriber (and the relay) to finish (server shutdown).
    pub fn close(&self) {
        self.local.closed.send_replace(true);
    }

    /// Resolves once [`Bus::close`] has been called.
    pub async fn closed(&self) {
        let mut rx = self.local.closed.subscribe();
        let _ = rx.wait_for(|closed| *closed).await;
    }
}
