//! The live event stream behind `GET /api/telemetry/stream`, independent of
//! HTTP: a `connected` greeting, then a backlog from the store, then live
//! events from the bus — without a gap or a duplicate.
//!
//! The trick is ordering: subscribe to the bus and note the newest id
//! *before* answering, read the backlog, then forward only live events with
//! an id above the last one sent. Events committed while the backlog was read
//! arrive on the bus and are kept; ones already in the backlog are dropped. A
//! subscriber that lags behind the bus refills from the store, so nothing is
//! lost either.
//!
//! Events leave as JSON shaped for the reader (cost hidden unless they see
//! it), and a tenant-scoped reader gets only its tenant's events. Live ones use the encoding their batch shares with every other
//! stream; only a stream's own backlog is encoded for it alone.

use crate::bus::{Batch, Bus, Encoded};
use crate::store::{HistoryQuery, Store, StoreError};
use domain::alerts::AlertNotice;
use domain::Event;
use tokio::sync::{broadcast, mpsc};

/// Events sent on a fresh connection.
pub const INITIAL_BACKLOG: i64 = 50;
/// Rows per store read while catching up.
const PAGE: i64 = 500;

/// Where a new stream starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// A fresh client: the most recent [`INITIAL_BACKLOG`] events first.
    Fresh,
    /// A client that has seen everything up to this id (`Last-Event-ID`).
    After(i64),
}

// Nearly every item is an event; boxing them would cost an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum StreamItem {
    Connected {
        last_event_id: i64,
        server_time: i64,
    },
    /// An event, encoded for this stream's reader.
    Event(Encoded),
    /// An alert fired or resolved (admins' streams only).
    Alert(std::sync::Arc<AlertNotice>),
}

/// Who a stream is for: what its events show, whether alerts reach it, and
/// whose events it gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audience {
    pub sees_cost: bool,
    pub sees_alerts: bool,
    /// Only this tenant's events (a scoped read key).
    pub tenant: Option<String>,
}

/// Opens a stream; it ends when the receiver is dropped or the bus closes.
///
/// The bus subscription and the newest id are taken *before* this returns
/// (so before the client sees a response): anything committed after that
/// has a larger id and reaches the stream, whatever happens next.
pub async fn open(
    store: Store,
    bus: Bus,
    resume: Resume,
    now_ms: i64,
    audience: Audience,
) -> Result<mpsc::Receiver<StreamItem>, StoreError> {
    let subs = Subscriptions { live: bus.subscribe(), alerts: audience.sees_alerts.then(|| bus.subscribe_alerts()) };
    let last_event_id = store.last_event_id().await?;
    let (tx, rx) = mpsc::channel(256);
    tokio::spawn(async move {
        let greeting = StreamItem::Connected { last_event_id, server_time: now_ms };
        let out = Out { tx: &tx, sees_cost: audience.sees_cost, tenant: audience.tenant.as_deref() };
        if let Err(e) = run(&store, &bus, subs, resume, last_event_id, greeting, out).await {
            tracing::warn!(error = %e, "Telemetry stream ended by a store error.");
        }
    });
    Ok(rx)
}

/// The bus channels a stream listens to, subscribed before it answers.
struct Subscriptions {
    live: broadcast::Receiver<Batch>,
    /// Only for streams that may see alerts (admins).
    alerts: Option<broadcast::Receiver<std::sync::Arc<AlertNotice>>>,
}

/// Where a stream's items go, and how its events are shaped.
#[derive(Clone, Copy)]
struct Out<'a> {
    tx: &'a mpsc::Sender<StreamItem>,
    sees_cost: bool,
    tenant: Option<&'a str>,
}

impl Out<'_> {
    /// Whether this reader may see `e`.
    fn sees(&self, e: &Event) -> bool {
        self.tenant.is_none_or(|t| e.tenant.as_deref() == Some(t))
    }
}

/// Ends quietly (Ok) when the client has gone away.
async fn run(
    store: &Store,
    bus: &Bus,
    subs: Subscriptions,
    resume: Resume,
    last_event_id: i64,
    greeting: StreamItem,
    out: Out<'_>,
) -> Result<(), StoreError> {
    let tx = out.tx;
    if tx.send(greeting).await.is_err() {
        return Ok(());
    }
    let mut cursor = match resume {
        Resume::After(id) => id,
        Resume::Fresh => {
            // The latest events as of the subscription, oldest first.
            let query = HistoryQuery {
                limit: INITIAL_BACKLOG,
                before: Some(last_event_id + 1),
                chat_id: None,
                tenant: out.tenant.map(String::from),
                pipeline: None,
            };
            let mut recent = store.history(&query).await?;
            recent.reverse();
            if send_stored(out, recent, last_event_id).await.is_none() {
                return Ok(());
            }
            last_event_id
        }
    };
    let Some(c) = catch_up(store, out, cursor).await? else { return Ok(()) };
    cursor = c;
    let Subscriptions { mut live, mut alerts } = subs;
    let closed = bus.closed();
    tokio::pin!(closed);
    loop {
        let next = tokio::select! {
            next = live.recv() => next,
            Ok(notice) = async { match alerts.as_mut() { Some(a) => a.recv().await, None => std::future::pending().await } } => {
                if tx.send(StreamItem::Alert(notice)).await.is_err() {
                    return Ok(());
                }
                continue;
            }
            _ = &mut closed => return Ok(()),
        };
        match next {
            Ok(batch) => match send_live(out, &batch, cursor).await {
                Some(c) => cursor = c,
                None => return Ok(()),
            },
            Err(broadcast::error::RecvError::Lagged(_)) => match catch_up(store, out, cursor).await? {
                Some(c) => cursor = c,
                None => return Ok(()),
            },
            Err(broadcast::error::RecvError::Closed) => return Ok(()),
        }
    }
}

/// Sends everything stored after `cursor`; returns the new cursor, or
/// `None` when the client went away.
async fn catch_up(store: &Store, out: Out<'_>, mut cursor: i64) -> Result<Option<i64>, StoreError> {
    loop {
        let page = store.after(cursor, PAGE).await?;
        let full = page.len() as i64 == PAGE;
        match send_stored(out, page, cursor).await {
            Some(c) => cursor = c,
            None => return Ok(None),
        }
        if !full {
            return Ok(Some(cursor));
        }
    }
}

/// Sends events read from the store, encoding them for this reader;
/// returns the new cursor, or `None` when the client went away.
async fn send_stored(out: Out<'_>, events: Vec<Event>, mut cursor: i64) -> Option<i64> {
    for e in &events {
        cursor = e.id;
        if !out.sees(e) {
            continue;
        }
        if let Some(encoded) = Encoded::of(e, out.sees_cost) {
            out.tx.send(StreamItem::Event(encoded)).await.ok()?;
        }
    }
    Some(cursor)
}

/// Sends a live batch's events above `cursor`, in the encoding the batch
/// shares with every stream.
async fn send_live(out: Out<'_>, batch: &Batch, mut cursor: i64) -> Option<i64> {
    let from = cursor;
    let hidden: std::collections::HashSet<i64> = match out.tenant {
        None => Default::default(),
        Some(_) => batch.events().iter().filter(|e| !out.sees(e)).map(|e| e.id).collect(),
    };
    for e in batch.json(out.sees_cost).iter().filter(|e| e.id > from && !hidden.contains(&e.id)) {
        cursor = e.id;
        out.tx.send(StreamItem::Event(e.clone())).await.ok()?;
    }
    // Past any event that could not be encoded, too.
    Some(batch.events().last().map_or(cursor, |e| e.id.max(cursor)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::Committed;
    use domain::testing::ev;
    use domain::visibility::Cost;
    use domain::{Event, Status};
    use std::sync::Arc;

    /// An event to store (the store assigns the id).
    fn event(i: i64) -> Event {
        ev(i, &format!("c{}", i % 7), "t", "s", Status::Success)
    }

    const ADMIN: Audience = Audience { sees_cost: true, sees_alerts: false, tenant: None };
    const VIEWER: Audience = Audience { sees_cost: false, sees_alerts: false, tenant: None };

    async fn next_encoded(rx: &mut mpsc::Receiver<StreamItem>) -> Encoded {
        loop {
            match rx.recv().await.expect("stream open") {
                StreamItem::Event(e) => return e,
                StreamItem::Connected { .. } | StreamItem::Alert(_) => continue,
            }
        }
    }

    async fn next_event(rx: &mut mpsc::Receiver<StreamItem>) -> i64 {
        next_encoded(rx).await.id
    }

    /// Live events are encoded once per kind of reader and shared by every
    /// stream; a viewer's copy has no cost in it, an admin's has.
    #[tokio::test(flavor = "current_thread")]
    async fn live_events_are_encoded_once_per_audience() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        let bus = Bus::default();
        let mut streams = Vec::new();
        for audience in [ADMIN, ADMIN, VIEWER, VIEWER] {
            streams.push(open(store.clone(), bus.clone(), Resume::After(0), 0, audience).await.unwrap());
        }
        // Published without being stored: a stream whose catch-up read ran
        // after an insert would send the event from the store, encoded for
        // it alone, and the live copy would be (rightly) dropped as seen.
        let mut priced = event(1);
        priced.id = 1;
        priced.cost_nanos = Cost::Shown(Some(1_250));
        bus.publish(0, Committed::new(vec![priced])).await;
        let mut got = Vec::new();
        for rx in streams.iter_mut() {
            got.push(next_encoded(rx).await);
        }
        assert!(got[0].json.contains("\"costNanos\":1250"), "{}", got[0].json);
        assert!(!got[2].json.contains("costNanos"), "{}", got[2].json);
        assert!(Arc::ptr_eq(&got[0].json, &got[1].json), "admins share one encoding");
        assert!(Arc::ptr_eq(&got[2].json, &got[3].json), "viewers share one encoding");
    }

    /// A subscriber that falls more than the bus capacity behind refills
    /// from the store: every event once, in order.
    #[tokio::test(flavor = "current_thread")]
    async fn a_lagging_stream_catches_up_from_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        let bus = Bus::default();
        let first = store.insert_events(vec![event(0)]).await.unwrap().events;
        let mut rx = open(store.clone(), bus.clone(), Resume::After(0), 0, ADMIN).await.unwrap();
        assert_eq!(next_event(&mut rx).await, first[0].id);

        // Store 3000 events, then publish them one batch each with no await
        // in between: the stream task cannot run, so its receiver lags.
        let stored = store.insert_events((1..=3000).map(event).collect()).await.unwrap().events;
        for e in stored.iter() {
            bus.publish(e.id - 1, Committed::new(vec![e.clone()])).await;
        }
        let mut got = Vec::with_capacity(stored.len());
        while got.len() < stored.len() {
            got.push(next_event(&mut rx).await);
        }
        let want: Vec<i64> = stored.iter().map(|e| e.id).collect();
        assert_eq!(got, want);

        let more = store.insert_events(vec![event(9999)]).await.unwrap();
        bus.publish(more.after, Committed::new(more.events.clone())).await;
        let more = more.events;
        assert_eq!(next_event(&mut rx).await, more[0].id, "live again, no duplicates before it");
        bus.close();
        assert!(rx.recv().await.is_none(), "closing the bus ends the stream");
    }
}
