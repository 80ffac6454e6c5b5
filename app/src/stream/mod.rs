//! The live event stream behind `GET /api/telemetry/stream`, independent of
//! HTTP: a `connected` greeting, then a backlog from the store, then live
//! events from the bus — without a gap or a duplicate.
//!
//! The trick is ordering: subscribe to the bus *before* reading the backlog,
//! then forward only live events with an id above the last one sent. Events
//! committed while the backlog was read arrive on the bus and are kept; ones
//! already in the backlog are dropped. A subscriber that lags behind the bus
//! refills from the store, so nothing is lost either.

use crate::bus::Bus;
use crate::domain::Event;
use crate::store::Store;
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

#[derive(Clone, Debug, PartialEq)]
pub enum StreamItem {
    Connected { last_event_id: i64, server_time: i64 },
    Event(Event),
}

/// Starts a stream; it ends when the receiver is dropped.
pub fn subscribe(store: Store, bus: Bus, resume: Resume, now_ms: i64) -> mpsc::Receiver<StreamItem> {
    let (tx, rx) = mpsc::channel(256);
    tokio::spawn(async move {
        if let Err(e) = run(&store, &bus, resume, now_ms, &tx).await {
            tracing::warn!(error = %e, "Telemetry stream ended by a store error.");
        }
    });
    rx
}

/// Ends quietly (Ok) when the client has gone away.
async fn run(
    store: &Store,
    bus: &Bus,
    resume: Resume,
    now_ms: i64,
    tx: &mpsc::Sender<StreamItem>,
) -> Result<(), crate::store::StoreError> {
    let mut live = bus.subscribe();
    let last_event_id = store.last_event_id().await?;
    if tx.send(StreamItem::Connected { last_event_id, server_time: now_ms }).await.is_err() {
        return Ok(());
    }
    let mut cursor = match resume {
        Resume::After(id) => id,
        Resume::Fresh => {
            let mut recent = store.latest(INITIAL_BACKLOG).await?;
            recent.reverse();
            let first = recent.first().map_or(last_event_id, |e| e.id - 1);
            let Some(cursor) = send_all(tx, recent, first).await else { return Ok(()) };
            cursor
        }
    };
    let Some(c) = catch_up(store, tx, cursor).await? else { return Ok(()) };
    cursor = c;
    loop {
        match live.recv().await {
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
async fn catch_up(
    store: &Store,
    tx: &mpsc::Sender<StreamItem>,
    mut cursor: i64,
) -> Result<Option<i64>, crate::store::StoreError> {
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
