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

use crate::bus::{Batch, Bus};
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
    Event(Event),
    /// An alert fired or resolved (admins' streams only).
    Alert(std::sync::Arc<AlertNotice>),
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
    with_alerts: bool,
) -> Result<mpsc::Receiver<StreamItem>, StoreError> {
    let subs = Subscriptions { live: bus.subscribe(), alerts: with_alerts.then(|| bus.subscribe_alerts()) };
    let last_event_id = store.last_event_id().await?;
    let (tx, rx) = mpsc::channel(256);
    tokio::spawn(async move {
        let greeting = StreamItem::Connected { last_event_id, server_time: now_ms };
        if let Err(e) = run(&store, &bus, subs, resume, last_event_id, greeting, &tx).await {
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

/// Ends quietly (Ok) when the client has gone away.
async fn run(
    store: &Store,
    bus: &Bus,
    subs: Subscriptions,
    resume: Resume,
    last_event_id: i64,
    greeting: StreamItem,
    tx: &mpsc::Sender<StreamItem>,
) -> Result<(), StoreError> {
    if tx.send(greeting).await.is_err() {
        return Ok(());
    }
    let mut cursor = match resume {
        Resume::After(id) => id,
        Resume::Fresh => {
            // The latest events as of the subscription, oldest first.
            let query = HistoryQuery { limit: INITIAL_BACKLOG, before: Some(last_event_id + 1), chat_id: None };
            let mut recent = store.history(&query).await?;
            recent.reverse();
            if send_all(tx, recent, last_event_id).await.is_none() {
                return Ok(());
            }
            last_event_id
        }
    };
    let Some(c) = catch_up(store, tx, cursor).await? else { return Ok(()) };
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
            Ok(batch) => {
                let fresh = batch.iter().filter(|e| e.id > cursor).cloned().collect();
                match send_all(tx, fresh, cursor).await {
                    Some(c) => cursor = c,
                    None => return Ok(()),
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => match catch_up(store, tx, cursor).await? {
                Some(c) => cursor = c,
                None => return Ok(()),
            },
            Err(broadcast::error::RecvError::Closed) => return Ok(()),
        }
    }
}

/// Sends everything stored after `cursor`; returns the new cursor, or
/// `None` when the client went away.
async fn catch_up(store: &Store, tx: &mpsc::Sender<StreamItem>, mut cursor: i64) -> Result<Option<i64>, StoreError> {
    loop {
        let page = store.after(cursor, PAGE).await?;
        let full = page.len() as i64 == PAGE;
        match send_all(tx, page, cursor).await {
            Some(c) => cursor = c,
            None => return Ok(None),
        }
        if !full {
            return Ok(Some(cursor));
        }
    }
}

async fn send_all(tx: &mpsc::Sender<StreamItem>, events: Vec<Event>, mut cursor: i64) -> Option<i64> {
    for e in events {
        cursor = e.id;
        tx.send(StreamItem::Event(e)).await.ok()?;
    }
    Some(cursor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::testing::ev;
    use domain::{Event, Status};

    /// An event to store (the store assigns the id).
    fn event(i: i64) -> Event {
        ev(i, &format!("c{}", i % 7), "t", "s", Status::Success)
    }

    async fn next_event(rx: &mut mpsc::Receiver<StreamItem>) -> i64 {
        loop {
            match rx.recv().await.expect("stream open") {
                StreamItem::Event(e) => return e.id,
                StreamItem::Connected { .. } | StreamItem::Alert(_) => continue,
            }
        }
    }

    /// A subscriber that falls more than the bus capacity behind refills
    /// from the store: every event once, in order.
    #[tokio::test(flavor = "current_thread")]
    async fn a_lagging_stream_catches_up_from_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        let bus = Bus::default();
        let first = store.insert_events(vec![event(0)]).await.unwrap().events;
        let mut rx = open(store.clone(), bus.clone(), Resume::After(0), 0, false).await.unwrap();
        assert_eq!(next_event(&mut rx).await, first[0].id);

        // Store 3000 events, then publish them one batch each with no await
        // in between: the stream task cannot run, so its receiver lags.
        let stored = store.insert_events((1..=3000).map(event).collect()).await.unwrap().events;
        for e in stored.iter() {
            bus.publish(e.id - 1, vec![e.clone()].into()).await;
        }
        let mut got = Vec::with_capacity(stored.len());
        while got.len() < stored.len() {
            got.push(next_event(&mut rx).await);
        }
        let want: Vec<i64> = stored.iter().map(|e| e.id).collect();
        assert_eq!(got, want);

        let more = store.insert_events(vec![event(9999)]).await.unwrap();
        bus.publish(more.after, more.events.clone().into()).await;
        let more = more.events;
        assert_eq!(next_event(&mut rx).await, more[0].id, "live again, no duplicates before it");
        bus.close();
        assert!(rx.recv().await.is_none(), "closing the bus ends the stream");
    }
}
