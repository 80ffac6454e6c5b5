//! The archive: events older than `archive_after_days` leave the events
//! table for compressed blocks, where one costs about a tenth of what its
//! row and index entries did (docs/performance.md). Replays, exports and
//! summaries of last month are rare; the bytes every event costs on disk
//! are not.
//!
//! A block holds up to [`BLOCK_EVENTS`] events, the oldest by time among
//! those that also arrived before the cut-off, stored column by column
//! (ids and times as differences) and compressed with brotli. Its
//! directory row names its id and time span, and
//! `event_block_chats` the conversations it holds, so a read decodes only
//! the blocks that can hold what it asks for ([`Store::archived`]). Every
//! read of events is an [`EventQuery`] and looks here as well as in the
//! table (`events.rs`); repricing rewrites the blocks it corrects, and
//! retention drops or trims them.
//!
//! Only events that arrived before the cut-off move. A block's id span is
//! then below every id of the last days' arrivals, so the reads of the
//! newest events by id (the flow page's window, the log, a stream's
//! resume) stop at the table, even after a backfill of old events: moved
//! by their time alone, such events put recent ids into every block of
//! the month, and each such read decoded them all (the flow page took
//! 100 ms to render, not 8, on a million events loaded out of order).
//!
//! Moving events is one transaction, in the writer's turn (on Postgres
//! under the write lock): a block is stored and its events deleted
//! together. The newest event is never archived, so the table always
//! holds the highest id.

use super::batch::WRITE_LOCK_KEY;
use super::events::{EventQuery, EventRow, Order, COLUMNS};
use super::sql::{Exec, Statement};
use super::{on_pool, on_writer, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::io::{Read, Write};

/// Events per block, at most. Larger blocks compress a little better
/// (13.5 → 12.3 bytes an event from 1,024 to 4,096 with zlib, measured on
/// the simulator's traffic), but a replay decodes whole blocks, and a
/// block is moved inside the write lock.
pub const BLOCK_EVENTS: i64 = 1024;

/// The format of a block's body (its first byte).
const FORMAT: u8 = 1;

/// brotli's quality. On the simulator's traffic, per event and per block:
/// 5 gives 13.4 bytes in 2.9 ms, 7 12.9 bytes in 5.6 ms, 9 12.8 bytes in
/// 9.4 ms, 11 10.9 bytes in 193 ms (docs/performance.md). A block is
/// compressed before the write lock is taken, and again under it only if
/// its events changed meanwhile.
const QUALITY: u32 = 7;

/// [`Columns`], its encoder and its decoder, from one list of an event's
/// fields: first those stored as differences from the event before.
macro_rules! columns {
    ($($delta:ident),+; $($field:ident: $ty:ty),+ $(,)?) => {
        /// One block's events, column by column, as its body stores them.
        /// The first columns are differences from the event before (the
        /// first from 0): small numbers, where the values themselves are
        /// thirteen digits.
        #[derive(Default, Serialize, Deserialize)]
        struct Columns {
            $($delta: Vec<i64>,)+
            $($field: Vec<$ty>,)+
        }

        impl Columns {
            /// `events` (in id order), column by column.
            fn of(events: &[EventRow]) -> Columns {
                let mut c = Columns::default();
                let mut before = EventRow::default();
                for e in events {
                    $(c.$delta.push(e.$delta - before.$delta);)+
                    $(before.$delta = e.$delta;)+
                    $(c.$field.push(e.$field.clone());)+
                }
                c
            }

            /// The events again, or which column is short.
            fn events(self) -> Result<Vec<EventRow>, String> {
                let n = [$(self.$delta.len(),)+ $(self.$field.len(),)+].into_iter().max().unwrap_or(0);
                $(if self.$delta.len() != n {
                    return Err(format!("column {} is short", stringify!($delta)));
                })+
                $(if self.$field.len() != n {
                    return Err(format!("column {} is short", stringify!($field)));
                })+
                let mut events = vec![EventRow::default(); n];
                $(
                    let mut sum = 0;
                    for (e, d) in events.iter_mut().zip(self.$delta) {
                        sum += d;
                        e.$delta = sum;
                    }
                )+
                $(for (e, v) in events.iter_mut().zip(self.$field) {
                    e.$field = v;
                })+
                Ok(events)
            }
        }
    };
}

columns!(
    id, ts, received_at;
    chat_id: String,
    turn_id: Option<String>,
    stage: String,
    status: String,
    duration_ms: Option<i64>,
    persona: Option<String>,
    model: Option<String>,
    provider: Option<String>,
    input_tokens: Option<i64>,
    output_tokens: Option<i64>,
    cached_input_tokens: Option<i64>,
    cache_write_tokens: Option<i64>,
    reasoning_tokens: Option<i64>,
    error: Option<String>,
    meta: Option<String>,
    cost_nanos: Option<i64>,
    pricing_id: Option<String>,
    tenant: Option<String>,
    tool: Option<String>,
    pipeline: Option<String>,
    first_in_turn: Option<i64>,
    first_in_chat: Option<i64>,
);

/// `events` (in id order) as a block's body.
pub(super) fn encode(events: &[EventRow]) -> Result<Vec<u8>, StoreError> {
    let json =
        serde_json::to_vec(&Columns::of(events)).map_err(|e| StoreError::Corrupt(format!("a block's events: {e}")))?;
    let mut body = vec![FORMAT];
    {
        let mut w = brotli::CompressorWriter::new(&mut body, 1 << 16, QUALITY, 22);
        w.write_all(&json).map_err(|e| StoreError::Corrupt(format!("compressing a block: {e}")))?;
    }
    Ok(body)
}

/// A block's events, in id order.
pub(super) fn decode(first_id: i64, body: &[u8]) -> Result<Vec<EventRow>, StoreError> {
    let corrupt = |what: String| StoreError::Corrupt(format!("archive block {first_id}: {what}"));
    let Some((&FORMAT, packed)) = body.split_first() else {
        return Err(corrupt("unknown format".into()));
    };
    let mut json = Vec::new();
    brotli::Decompressor::new(packed, 1 << 16).read_to_end(&mut json).map_err(|e| corrupt(e.to_string()))?;
    let columns: Columns = serde_json::from_slice(&json).map_err(|e| corrupt(e.to_string()))?;
    let events = columns.events().map_err(corrupt)?;
    if let Some(e) = events.iter().find(|e| e.stage.is_empty() || e.status.is_empty()) {
        return Err(corrupt(format!("event {} lacks its stage or status", e.id)));
    }
    Ok(events)
}

/// A block's directory row.
#[derive(Clone, Copy, Debug)]
struct Dir {
    first_id: i64,
    last_id: i64,
    min_ts: i64,
}

/// The statements that store a block of `events` (in id order) under its
/// first event's id: its directory row, its conversations and its `body`
/// ([`encode`]d from the same events).
pub(super) fn store_block(events: &[EventRow], body: Vec<u8>) -> Vec<Statement> {
    let first = events.first().map_or(0, |e| e.id);
    let last = events.last().map_or(0, |e| e.id);
    let (min_ts, max_ts) = events.iter().fold((i64::MAX, i64::MIN), |(lo, hi), e| (lo.min(e.ts), hi.max(e.ts)));
    let mut dir = Statement::new("INSERT INTO event_blocks (first_id, last_id, min_ts, max_ts, events) ");
    dir.values(&[events.len() as i64], |t, n| {
        t.bind(first).bind(last).bind(min_ts).bind(max_ts).bind(*n);
    });
    let chats: BTreeSet<&str> = events.iter().map(|e| e.chat_id.as_str()).collect();
    let chats: Vec<&str> = chats.into_iter().collect();
    let mut rows = Statement::new("INSERT INTO event_block_chats (chat_id, first_id) ");
    rows.values(&chats, |t, chat| {
        t.bind(*chat).bind(first);
    });
    let mut stored = Statement::new("INSERT INTO event_block_bodies (first_id, body) VALUES (");
    stored.bind(first).push(", ").bind(body).push(")");
    vec![dir, rows, stored]
}

/// The statements that delete, whole, the blocks `blocks` names: a
/// selection of `first_id`s from `event_blocks`, ending in a condition
/// on `value` (`... WHERE first_id = ` one block, `... WHERE max_ts < `
/// those before a time). The directory goes last, so each statement's
/// selection still finds the blocks (on Postgres the parts of one
/// statement all read the rows as they were).
pub(super) fn drop_blocks(blocks: &str, value: i64) -> Vec<Statement> {
    ["event_block_chats", "event_block_bodies", "event_blocks"]
        .map(|table| {
            let mut st = Statement::new(format!("DELETE FROM {table} WHERE first_id IN ({blocks}"));
            st.bind(value).push(")");
            st
        })
        .into()
}

/// The blocks that may hold an id in `[lo, hi]`, or (with `before`
/// instead) an event before that time: `(first_id, body)` rows.
pub(super) fn blocks_reaching(ids: Option<(i64, i64)>, before: Option<i64>) -> Statement {
    let mut st = Statement::new(
        "SELECT b.first_id, b.body FROM event_block_bodies b JOIN event_blocks d ON d.first_id = b.first_id WHERE 1=1",
    );
    if let Some((lo, hi)) = ids {
        st.push(" AND d.last_id >= ").bind(lo).push(" AND d.first_id <= ").bind(hi);
    }
    if let Some(t) = before {
        st.push(" AND d.min_ts < ").bind(t);
    }
    st.push(" ORDER BY b.first_id");
    st
}

/// One run of [`Store::archive_block`] calls against one cut-off. Which
/// events are due cannot change during it (an event arriving now did not
/// arrive before the cut-off; the store's newest event, always left as a
/// row, waits for a later run), so once a block has taken the due events
/// with the earliest times, none is left before its latest time. The run
/// remembers that time, and each block's choice starts there: without it,
/// every choice scanned again past the young arrivals with older times
/// (after a backfill, all of them), once per block.
#[derive(Clone, Copy, Debug)]
pub struct ArchiveRun {
    cutoff: i64,
    /// No due event is left before this time (ties at it may be).
    from_ts: i64,
    /// The last block came back short: nothing more is due.
    done: bool,
}

impl ArchiveRun {
    /// A run that moves what is older than `cutoff` (epoch ms) by its time
    /// and by its arrival.
    pub fn new(cutoff: i64) -> ArchiveRun {
        ArchiveRun { cutoff, from_ts: i64::MIN, done: false }
    }

    /// Whether the run has moved all it can: its last block held fewer
    /// than [`BLOCK_EVENTS`] events.
    pub fn done(&self) -> bool {
        self.done
    }
}

impl Store {
    /// Moves up to [`BLOCK_EVENTS`] of the oldest events from before the
    /// run's cut-off that also arrived before it into one block, all or
    /// nothing. Returns how many it moved: fewer than a block's worth when
    /// there were no more, and then the run is [`done`](ArchiveRun::done).
    pub async fn archive_block(&self, run: &mut ArchiveRun) -> Result<u64, StoreError> {
        let moved = self.move_block(run).await?;
        run.done = moved < BLOCK_EVENTS as u64;
        Ok(moved)
    }

    async fn move_block(&self, run: &mut ArchiveRun) -> Result<u64, StoreError> {
        let oldest = format!(
            "SELECT {COLUMNS} FROM events WHERE ts >= $3 AND ts < $1 AND received_at < $1 \
             AND id < (SELECT MAX(id) FROM events) ORDER BY ts LIMIT $2"
        );
        // Chosen and compressed before the write lock is taken: the choice
        // scans past every younger arrival with an older time (after a
        // backfill, all of it), and compressing is a third of a block's
        // time. Under the lock the same events are read again by id.
        let mut read = on_pool!(self, pool => {
            let rows = sqlx::query(&oldest).bind(run.cutoff).bind(BLOCK_EVENTS).bind(run.from_ts).fetch_all(pool).await?;
            rows.iter().map(|r| EventRow::read(r)).collect::<Result<Vec<_>, _>>()?
        });
        if read.is_empty() {
            return Ok(0);
        }
        run.from_ts = read.iter().map(|e| e.ts).max().unwrap_or(run.from_ts);
        read.sort_by_key(|e| e.id);
        let made = encode(&read)?;
        let ids: Vec<i64> = read.iter().map(|e| e.id).collect();
        let postgres = matches!(self, Store::Postgres(_));
        on_writer!(self, pool => {
            let mut tx = match postgres {
                true => pool.begin_with(format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")).await?,
                false => pool.begin_with("BEGIN IMMEDIATE").await?,
            };
            // All there unless retention took some meanwhile (deleting
            // those again is a no-op); a row's time and arrival never
            // change, so each is still due. The ids are integers, written
            // into the text (and not kept prepared).
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            let again = format!("SELECT {COLUMNS} FROM events WHERE id IN ({})", list.join(", "));
            let rows = sqlx::query(&again).persistent(false).fetch_all(&mut *tx).await?;
            let mut events = rows.iter().map(|r| EventRow::read(r)).collect::<Result<Vec<_>, _>>()?;
            if events.is_empty() {
                return Ok(0);
            }
            events.sort_by_key(|e| e.id);
            let body = if events == read { made } else { encode(&events)? };
            tx.execute_all(store_block(&events, body)).await?;
            for chunk in ids.chunks(500) {
                let mut del = Statement::new("DELETE FROM events WHERE id IN ");
                del.list(chunk);
                tx.execute(del).await?;
            }
            tx.commit().await?;
            Ok(events.len() as u64)
        })
    }

    /// The archived events `q` selects, in no particular order: those of
    /// the blocks whose span (and conversations) it reaches, decoded and
    /// tested. With a limit, blocks are read in the query's order until no
    /// further block can hold an event that would still be kept.
    pub(super) async fn archived(&self, q: &EventQuery) -> Result<Vec<EventRow>, StoreError> {
        let mut st = Statement::new("SELECT first_id, last_id, min_ts FROM event_blocks WHERE 1=1");
        q.bounds(&mut st, ["last_id >", "first_id <", "max_ts >=", "min_ts <"]);
        if let Some(chat) = q.chat() {
            st.push(" AND first_id IN (SELECT first_id FROM event_block_chats WHERE chat_id = ").bind(chat).push(")");
        }
        let mut blocks = self
            .read(st, |r| {
                Ok(Dir { first_id: r.int("first_id")?, last_id: r.int("last_id")?, min_ts: r.int("min_ts")? })
            })
            .await?;
        // Where a block's best event could sort: no better than its first
        // id, its last id or its earliest time. Blocks are read in that
        // order.
        let best = |b: &Dir| match q.order {
            Order::Id | Order::Unordered => q.key(b.first_id, 0),
            Order::IdDesc => q.key(b.last_id, 0),
            Order::TsId => (b.min_ts, i64::MIN),
        };
        blocks.sort_by_key(best);
        let mut found: Vec<EventRow> = Vec::new();
        for b in blocks {
            if let Some(limit) = q.limit.filter(|&l| found.len() as i64 >= l) {
                // The worst event still kept, against the block's best.
                let mut keys: Vec<(i64, i64)> = found.iter().map(|e| q.key(e.id, e.ts)).collect();
                let (_, worst, _) = keys.select_nth_unstable(limit.max(1) as usize - 1);
                if best(&b) > *worst {
                    break;
                }
            }
            for e in self.block(b.first_id).await? {
                if q.holds(&e)? {
                    found.push(e);
                }
            }
        }
        Ok(found)
    }

    /// One block's events (none if it has gone meanwhile).
    async fn block(&self, first_id: i64) -> Result<Vec<EventRow>, StoreError> {
        let body: Option<Vec<u8>> = on_pool!(self, pool => sqlx::query_scalar(
            "SELECT body FROM event_block_bodies WHERE first_id = $1",
        )
        .bind(first_id)
        .fetch_optional(pool)
        .await?);
        body.map_or(Ok(Vec::new()), |b| decode(first_id, &b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: i64, ts: i64) -> EventRow {
        EventRow {
            id,
            ts,
            received_at: ts + 40,
            chat_id: format!("c{}", id % 3),
            stage: "intent".into(),
            status: "success".into(),
            ..EventRow::default()
        }
    }

    /// Every column comes back as it went in, whatever order the times
    /// are in and whichever columns are NULL.
    #[test]
    fn a_block_holds_its_events_exactly() {
        let mut events: Vec<EventRow> = (0..50).map(|i| event(100 + i * 3, 1_795_000_000_000 - i * 977)).collect();
        let e = &mut events[7];
        (e.turn_id, e.model, e.meta, e.input_tokens, e.cost_nanos) =
            (Some("t".into()), Some("gpt-4o".into()), Some("{\"a\":1}".into()), Some(12), Some(-5));
        (e.first_in_turn, e.first_in_chat, e.tenant, e.pipeline) =
            (Some(1), Some(1), Some("acme".into()), Some("p".into()));
        events[9].received_at = 3;
        let body = encode(&events).unwrap();
        assert_eq!(decode(100, &body).unwrap(), events);
    }

    /// A damaged body is an error naming the block, never a panic: cut
    /// short, of another format, or with a column shorter than the others.
    #[test]
    fn a_damaged_block_is_an_error() {
        let body = encode(&[event(1, 5)]).unwrap();
        let mut short = Columns::of(&[event(1, 5), event(2, 6)]);
        short.model.pop();
        let mut uneven = vec![FORMAT];
        brotli::CompressorWriter::new(&mut uneven, 4096, 5, 22)
            .write_all(&serde_json::to_vec(&short).unwrap())
            .unwrap();
        for bad in [&body[..0], &body[..body.len() / 2], &[9u8, 1, 2][..], &uneven[..]] {
            let err = decode(42, bad).unwrap_err().to_string();
            assert!(err.contains("archive block 42"), "{err}");
        }
        assert!(decode(42, &uneven).unwrap_err().to_string().contains("column model is short"));
    }
}
