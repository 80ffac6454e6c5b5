//! The bus over a Redis Stream, for several replicas on one database.
//!
//! Writing ([`RedisLink`]): each committed batch is one stream entry
//! (`XADD … MAXLEN ~ n`) carrying its events, with their database ids, and
//! `after`, the id of the newest event committed before it. Alert notices
//! and setting changes are entries too.
//!
//! Reading ([`relay`], one per replica): `XREAD BLOCK` from the last entry
//! seen, feeding this process's subscribers. The relay keeps a cursor — the
//! last event id it forwarded — and forwards only ids above it, so nothing
//! arrives twice. An entry whose `after` is above the cursor reveals a hole
//! (the stream was trimmed or restarted, an append failed, or replicas
//! appended out of commit order): the relay reads the hole from the
//! database first. While Redis does not answer, the relay reads the
//! database instead, twice a second, and when Redis is back it picks up
//! the stream again; a quiet second also checks the database, so an event
//! whose append was lost is never held back for long.
//!
//! Redis is never the only copy of anything: ingest acknowledges after the
//! database commit, whatever Redis does.

use super::{Bus, Change, Committed};
use crate::store::{Store, StoreError};
use domain::alerts::AlertNotice;
use domain::time;
use domain::Event;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::streams::{StreamMaxlen, StreamReadOptions, StreamReadReply};
use redis::AsyncCommands;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// How long the relay blocks on the stream before looking at the database.
const BLOCK: Duration = Duration::from_secs(1);
/// How often the relay reads the database while Redis is down.
const POLL: Duration = Duration::from_millis(500);
/// Events per database read while filling a hole.
const PAGE: i64 = 500;
/// Longest wait for one append; past it the append is given up (the relay
/// finds the events in the database).
const APPEND_TIMEOUT: Duration = Duration::from_millis(500);
/// While Redis is down, appends are tried at most this often.
const RETRY_EVERY_MS: i64 = 1_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisConfig {
    pub url: String,
    /// The stream's key (`telemetry:events`).
    pub stream: String,
    /// About how many entries the stream keeps (`MAXLEN ~`).
    pub maxlen: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid REDIS_URL: {0}")]
pub struct BadUrl(String);

/// The writing end, and the health both ends report.
pub struct RedisLink {
    config: RedisConfig,
    client: redis::Client,
    writer: ConnectionManager,
    /// False from a failed command until one succeeds.
    up: AtomicBool,
    /// When an append last failed, epoch ms (appends pause while down).
    failed_at: AtomicI64,
    /// How far behind the relay was at its latest entry, ms.
    lag_ms: AtomicI64,
    last_error: Mutex<Option<String>>,
}

impl std::fmt::Debug for RedisLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLink").field("stream", &self.config.stream).field("up", &self.is_up()).finish()
    }
}

/// What `/api/health` says of Redis.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedisHealth {
    pub ok: bool,
    pub stream: String,
    /// How far behind the relay was at its latest entry, ms.
    pub lag_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn manager_config(response: Option<Duration>) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_millis(500)))
        .set_response_timeout(response)
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_millis(500))
}

impl RedisLink {
    /// Sets the link up without connecting: Flowmeter starts (degraded)
    /// while Redis is down, and connects when it can.
    pub fn new(config: RedisConfig) -> Result<RedisLink, BadUrl> {
        let client = redis::Client::open(config.url.as_str()).map_err(|e| BadUrl(e.to_string()))?;
        let writer = ConnectionManager::new_lazy_with_config(client.clone(), manager_config(Some(APPEND_TIMEOUT)))
            .map_err(|e| BadUrl(e.to_string()))?;
        Ok(RedisLink {
            config,
            client,
            writer,
            up: AtomicBool::new(true),
            failed_at: AtomicI64::new(0),
            lag_ms: AtomicI64::new(0),
            last_error: Mutex::new(None),
        })
    }

    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    pub fn health(&self) -> RedisHealth {
        RedisHealth {
            ok: self.is_up(),
            stream: self.config.stream.clone(),
            lag_ms: self.lag_ms.load(Ordering::Relaxed),
            error: if self.is_up() { None } else { self.last_error.lock().unwrap_or_else(|p| p.into_inner()).clone() },
        }
    }

    /// Notes a command's outcome; logs once per transition, not per event.
    fn outcome<T>(&self, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(v) => {
                if !self.up.swap(true, Ordering::Relaxed) {
                    tracing::info!(stream = %self.config.stream, "Redis answers again; the bus runs over it.");
                }
                Some(v)
            }
            Err(e) => {
                self.failed_at.store(time::now_ms(), Ordering::Relaxed);
                if self.up.swap(false, Ordering::Relaxed) {
                    tracing::warn!(error = %e, "Redis is unreachable; events are stored and streams read the database until it answers.");
                }
                *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some("redis unreachable".into());
                None
            }
        }
    }

    async fn append(&self, fields: &[(&str, String)]) {
        if !self.is_up() && time::now_ms() - self.failed_at.load(Ordering::Relaxed) < RETRY_EVERY_MS {
            return; // Down a moment ago: don't hold ingest up on every request.
        }
        let mut conn = self.writer.clone();
        let maxlen = StreamMaxlen::Approx(self.config.maxlen);
        let sent = tokio::time::timeout(
            APPEND_TIMEOUT,
            conn.xadd_maxlen::<_, _, _, _, Option<String>>(&self.config.stream, maxlen, "*", fields),
        )
        .await;
        let result = match sent {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("timed out".to_string()),
        };
        self.outcome(result);
    }

    pub(super) async fn append_events(&self, after: i64, events: &[Event]) {
        match serde_json::to_string(events) {
            Ok(json) => self.append(&[("kind", "events".into()), ("after", after.to_string()), ("data", json)]).await,
            Err(e) => {
                tracing::error!(error = %e, "A batch could not be encoded for the bus; relays read it from the database.")
            }
        }
    }

    pub(super) async fn append_alert(&self, notice: &AlertNotice) {
        match serde_json::to_string(notice) {
            Ok(json) => self.append(&[("kind", "alert".into()), ("data", json)]).await,
            Err(e) => tracing::error!(error = %e, "An alert notice could not be encoded for the bus."),
        }
    }

    pub(super) async fn append_change(&self, change: Change) {
        if let Ok(json) = serde_json::to_string(&change) {
            self.append(&[("kind", "change".into()), ("data", json)]).await;
        }
    }
}

/// One stream entry, decoded.
#[derive(Debug)]
enum Entry {
    Events { after: i64, events: Vec<Event> },
    Alert(Box<AlertNotice>),
    Change(Change),
}

fn decode(map: &std::collections::HashMap<String, redis::Value>) -> Option<Entry> {
    let text = |k: &str| map.get(k).and_then(|v| redis::from_redis_value_ref::<String>(v).ok());
    let data = text("data")?;
    match text("kind")?.as_str() {
        "events" => {
            Some(Entry::Events { after: text("after")?.parse().ok()?, events: serde_json::from_str(&data).ok()? })
        }
        "alert" => serde_json::from_str(&data).ok().map(Entry::Alert),
        "change" => serde_json::from_str(&data).ok().map(Entry::Change),
        _ => None,
    }
}

/// A stream entry id's time part (ms since the epoch).
fn entry_ms(id: &str) -> Option<i64> {
    id.split('-').next()?.parse().ok()
}

/// Feeds `bus`'s subscribers from the stream (or the database) until the
/// bus closes, every event after `from`. Take `from` (the newest stored id)
/// before this process serves anything: what came before, a new stream
/// reads from the store itself.
pub async fn relay(bus: Bus, store: Store, from: i64) {
    let Some(link) = bus.redis.clone() else { return };
    let mut reader = match ConnectionManager::new_lazy_with_config(link.client.clone(), manager_config(None)) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "The bus relay cannot start.");
            return;
        }
    };
    let mut relay = Relay { bus: bus.clone(), store, cursor: from };
    // `$`: entries appended from now on; anything committed before is
    // found through `after` or the quiet-second check.
    let mut last_entry = "$".to_string();
    let closed = bus.closed();
    tokio::pin!(closed);
    loop {
        let options = StreamReadOptions::default().block(BLOCK.as_millis() as usize).count(100);
        let (keys, ids) = ([link.config.stream.as_str()], [last_entry.as_str()]);
        let read = reader.xread_options::<_, _, Option<StreamReadReply>>(&keys, &ids, &options);
        let result = tokio::select! {
            _ = &mut closed => return,
            r = tokio::time::timeout(BLOCK + Duration::from_secs(2), read) => match r {
                Ok(Ok(reply)) => Ok(reply),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err("timed out".to_string()),
            },
        };
        let outcome = match link.outcome(result) {
            Some(Some(reply)) => relay.entries(&link, reply, &mut last_entry).await,
            // A quiet second: anything stored that no entry announced?
            Some(None) => relay.catch_up().await,
            None => {
                tokio::time::sleep(POLL).await;
                relay.catch_up().await
            }
        };
        if let Err(e) = outcome {
            tracing::warn!(error = %e, "The bus relay could not read the database; retrying.");
            tokio::time::sleep(POLL).await;
        }
    }
}

struct Relay {
    bus: Bus,
    store: Store,
    /// The last event id forwarded.
    cursor: i64,
}

impl Relay {
    async fn entries(
        &mut self,
        link: &RedisLink,
        reply: StreamReadReply,
        last_entry: &mut String,
    ) -> Result<(), StoreError> {
        for entry in reply.keys.into_iter().flat_map(|k| k.ids) {
            *last_entry = entry.id.clone();
            if let Some(ms) = entry_ms(&entry.id) {
                link.lag_ms.store((time::now_ms() - ms).max(0), Ordering::Relaxed);
            }
            match decode(&entry.map) {
                Some(Entry::Events { after, events }) => {
                    if after > self.cursor {
                        self.catch_up().await?; // a hole: the database has it
                    }
                    let fresh: Vec<_> = events.into_iter().filter(|e| e.id > self.cursor).collect();
                    if let Some(last) = fresh.last() {
                        self.cursor = last.id;
                        self.bus.deliver(Committed::new(fresh));
                    }
                }
                Some(Entry::Alert(notice)) => self.bus.deliver_alert(*notice),
                Some(Entry::Change(change)) => self.bus.deliver_change(change),
                None => tracing::warn!(entry = %entry.id, "An unreadable bus entry was skipped."),
            }
        }
        Ok(())
    }

    /// Forwards everything stored after the cursor.
    async fn catch_up(&mut self) -> Result<(), StoreError> {
        loop {
            let page = self.store.after(self.cursor, PAGE).await?;
            let full = page.len() as i64 == PAGE;
            if let Some(last) = page.last() {
                self.cursor = last.id;
                self.bus.deliver(Committed::new(page));
            }
            if !full {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_decode_and_ids_give_their_time() {
        let mut map = std::collections::HashMap::new();
        let s = |v: &str| redis::Value::BulkString(v.as_bytes().to_vec());
        map.insert("kind".to_string(), s("events"));
        map.insert("after".to_string(), s("41"));
        map.insert("data".to_string(), s("[]"));
        assert!(matches!(decode(&map), Some(Entry::Events { after: 41, .. })));
        map.insert("kind".to_string(), s("change"));
        map.insert("data".to_string(), s("\"pricing\""));
        assert!(matches!(decode(&map), Some(Entry::Change(Change::Pricing))));
        map.insert("kind".to_string(), s("nonsense"));
        assert!(decode(&map).is_none());
        assert_eq!(entry_ms("1764540000123-7"), Some(1_764_540_000_123));
    }
}
