//! The ingest transaction: one batch of priced events, stored with
//! everything derived from them — all of it or none of it.
//!
//! 1. note which turns and conversations are new (`turns`, `conversations`);
//! 2. insert the events, ids in input order;
//! 3. add the batch to each conversation's and each turn's totals;
//! 4. add the batch to the minute, hour and day rollups.
//!
//! Every derived row is updated by *adding* the batch's sums (an upsert), so
//! a batch never reads what it is about to change, and a correction (reprice)
//! is the same upsert with signed amounts.

use super::{on_writer, Store, StoreError};
use domain::Event;
use crate::rollup;
use sqlx::QueryBuilder;
use std::collections::{BTreeMap, HashSet};

/// Rows per INSERT statement; well under both backends' parameter limits.
const CHUNK: usize = 400;
/// Postgres advisory lock key held by every write transaction, so ids are
/// committed in the order they were assigned (readers resuming "after id N"
/// can never miss a late commit of a smaller id).
pub(super) const WRITE_LOCK_KEY: i64 = 0x666c_6f77; // "flow"

/// A conversation's share of a batch.
#[derive(Default)]
pub(super) struct ChatDelta {
    pub first_ts: i64,
    pub last_ts: i64,
    pub last_event_id: i64,
    pub events: i64,
    pub turns: i64,
    pub errors: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_nanos: i64,
    pub unpriced_events: i64,
    pub duration_ms: i64,
    pub last_persona: Option<String>,
    pub last_model: Option<String>,
    pub last_status: Option<String>,
}

impl ChatDelta {
    /// Adds one event of the conversation (or turn).
    fn add(&mut self, e: &Event, first_in_turn: bool) {
        self.first_ts = self.first_ts.min(e.ts);
        self.last_ts = self.last_ts.max(e.ts + e.duration_ms.unwrap_or(0));
        self.last_event_id = self.last_event_id.max(e.id);
        self.events += 1;
        self.turns += i64::from(first_in_turn);
        self.errors += i64::from(e.status == domain::Status::Error);
        self.input_tokens += e.usage.input_tokens;
        self.output_tokens += e.usage.output_tokens;
        match e.cost_nanos {
            Some(c) => self.cost_nanos += c,
            None => self.unpriced_events += 1,
        }
        self.duration_ms += e.duration_ms.unwrap_or(0);
        self.last_persona = e.persona.clone().or(self.last_persona.take());
        self.last_model = e.model.clone().or(self.last_model.take());
        self.last_status = Some(e.status.as_str().to_string());
    }
}

impl Store {
    /// Stores `events` (already priced) in one transaction and returns them
    /// with their ids, in input order.
    pub async fn insert_events(&self, mut events: Vec<Event>) -> Result<Vec<Event>, StoreError> {
        if events.is_empty() {
            return Ok(events);
        }
        let postgres = matches!(self, Store::Postgres(_));
        let mut turn_keys: BTreeMap<(String, String), i64> = BTreeMap::new();
        let mut chat_keys: BTreeMap<String, i64> = BTreeMap::new();
        for e in &events {
            let (chat, turn) = e.turn_key();
            let t = turn_keys.entry((chat.to_string(), turn.to_string())).or_insert(e.ts);
            *t = (*t).min(e.ts);
            let c = chat_keys.entry(chat.to_string()).or_insert(e.ts);
            *c = (*c).min(e.ts);
        }

        on_writer!(self, pool => {
            let mut tx = pool.begin().await?;
            if postgres {
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(WRITE_LOCK_KEY).execute(&mut *tx).await?;
            }

            // 1. Which turns and conversations are new.
            let mut new_turns: HashSet<(String, String)> = HashSet::new();
            for chunk in turn_keys.iter().collect::<Vec<_>>().chunks(CHUNK) {
                let mut qb = QueryBuilder::new("INSERT INTO turns (chat_id, turn_id, first_ts) ");
                qb.push_values(chunk, |mut b, ((chat, turn), ts)| {
                    b.push_bind(chat.clone()).push_bind(turn.clone()).push_bind(**ts);
                });
                qb.push(" ON CONFLICT DO NOTHING RETURNING chat_id, turn_id");
                let rows: Vec<(String, String)> = qb.build_query_as().fetch_all(&mut *tx).await?;
                new_turns.extend(rows);
            }
            let mut new_chats: HashSet<String> = HashSet::new();
            for chunk in chat_keys.iter().collect::<Vec<_>>().chunks(CHUNK) {
                let mut qb = QueryBuilder::new("INSERT INTO conversations (chat_id, first_ts, last_ts) ");
                qb.push_values(chunk, |mut b, (chat, ts)| {
                    b.push_bind((*chat).clone()).push_bind(**ts).push_bind(**ts);
                });
                qb.push(" ON CONFLICT DO NOTHING RETURNING chat_id");
                let rows: Vec<String> = qb.build_query_scalar().fetch_all(&mut *tx).await?;
                new_chats.extend(rows);
            }
            if !new_chats.is_empty() {
                sqlx::query("UPDATE counters SET value = value + $1 WHERE name = 'conversations'")
                    .bind(new_chats.len() as i64)
                    .execute(&mut *tx)
                    .await?;
            }
            let firsts = rollup::firsts(&events, &new_turns, &new_chats);

            // 2. The events.
            let mut ids: Vec<i64> = Vec::with_capacity(events.len());
            let rows: Vec<(&Event, &(bool, bool))> = events.iter().zip(firsts.iter()).collect();
            for chunk in rows.chunks(CHUNK) {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO events (chat_id, turn_id, stage, status, ts, duration_ms, persona, model, provider, \
                     input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, \
                     error, meta, received_at, cost_nanos, pricing_id, first_in_turn, first_in_chat) ",
                );
                qb.push_values(chunk, |mut b, (e, (first_turn, first_chat))| {
                    b.push_bind(e.chat_id.clone())
                        .push_bind(e.turn_id.clone())
                        .push_bind(e.stage.clone())
                        .push_bind(e.status.as_str())
                        .push_bind(e.ts)
                        .push_bind(e.duration_ms)
                        .push_bind(e.persona.clone())
                        .push_bind(e.model.clone())
                        .push_bind(e.provider.clone())
                        .push_bind(e.usage.input_tokens)
                        .push_bind(e.usage.output_tokens)
                        .push_bind(e.usage.cached_input_tokens)
                        .push_bind(e.usage.cache_write_tokens)
                        .push_bind(e.usage.reasoning_tokens)
                        .push_bind(e.error.clone())
                        .push_bind(e.meta.as_ref().map(|m| m.to_string()))
                        .push_bind(e.received_at)
                        .push_bind(e.cost_nanos)
                        .push_bind(e.pricing_id.clone())
                        .push_bind(i64::from(*first_turn))
                        .push_bind(i64::from(*first_chat));
                });
                qb.push(" RETURNING id");
                let mut chunk_ids: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *tx).await?;
                // Ids are assigned in VALUES order; RETURNING's order is not
                // promised, so sort to pair them back up.
                chunk_ids.sort_unstable();
                ids.extend(chunk_ids);
            }
            for (e, id) in events.iter_mut().zip(&ids) {
                e.id = *id;
            }

            // 3. Conversation totals.
            let mut chats: BTreeMap<&str, ChatDelta> = BTreeMap::new();
            for (e, (first_turn, _)) in events.iter().zip(&firsts) {
                let d = chats.entry(e.chat_id.as_str()).or_insert_with(|| ChatDelta {
                    first_ts: e.ts,
                    last_ts: e.ts,
                    ..ChatDelta::default()
                });
                d.add(e, *first_turn);
            }
            let chats: Vec<(&str, ChatDelta)> = chats.into_iter().collect();
            for chunk in chats.chunks(CHUNK) {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO conversations (chat_id, first_ts, last_ts, last_event_id, events, turns, errors, \
                     input_tokens, output_tokens, cost_nanos, unpriced_events, duration_ms, last_persona, last_model, \
                     last_status) ",
                );
                qb.push_values(chunk, |mut b, (chat, d)| {
                    b.push_bind(chat.to_string())
                        .push_bind(d.first_ts)
                        .push_bind(d.last_ts)
                        .push_bind(d.last_event_id)
                        .push_bind(d.events)
                        .push_bind(d.turns)
                        .push_bind(d.errors)
                        .push_bind(d.input_tokens)
                        .push_bind(d.output_tokens)
                        .push_bind(d.cost_nanos)
                        .push_bind(d.unpriced_events)
                        .push_bind(d.duration_ms)
                        .push_bind(d.last_persona.clone())
                        .push_bind(d.last_model.clone())
                        .push_bind(d.last_status.clone());
                });
                qb.push(CONVERSATION_UPSERT);
                qb.build().execute(&mut *tx).await?;
            }

            // 4. Turn totals.
            let mut turns: BTreeMap<(&str, &str), ChatDelta> = BTreeMap::new();
            for e in &events {
                let d = turns.entry(e.turn_key()).or_insert_with(|| ChatDelta { first_ts: e.ts, last_ts: e.ts, ..ChatDelta::default() });
                d.add(e, false);
                if d.errors > 0 {
                    d.last_status = Some("error".into());
                }
            }
            let turns: Vec<((&str, &str), ChatDelta)> = turns.into_iter().collect();
            for chunk in turns.chunks(CHUNK) {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO turns (chat_id, turn_id, first_ts, last_ts, last_event_id, events, errors, input_tokens, \
                     output_tokens, cost_nanos, unpriced_events, persona, model, status) ",
                );
                qb.push_values(chunk, |mut b, ((chat, turn), d)| {
                    b.push_bind(chat.to_string())
                        .push_bind(turn.to_string())
                        .push_bind(d.first_ts)
                        .push_bind(d.last_ts)
                        .push_bind(d.last_event_id)
                        .push_bind(d.events)
                        .push_bind(d.errors)
                        .push_bind(d.input_tokens)
                        .push_bind(d.output_tokens)
                        .push_bind(d.cost_nanos)
                        .push_bind(d.unpriced_events)
                        .push_bind(d.last_persona.clone())
                        .push_bind(d.last_model.clone())
                        .push_bind(d.last_status.clone());
                });
                qb.push(TURN_UPSERT);
                qb.build().execute(&mut *tx).await?;
            }

            // 5. Rollups.
            let folded = rollup::fold(events.iter().zip(&firsts).map(|(e, (t, c))| (e, *t, *c)));
            upsert_rollups!(tx, &folded);

            tx.commit().await?;
        });
        Ok(events)
    }
}

/// A turn's status: an error anywhere in it sticks.
const TURN_UPSERT: &str = " ON CONFLICT (chat_id, turn_id) DO UPDATE SET \
    first_ts = CASE WHEN excluded.first_ts < turns.first_ts THEN excluded.first_ts ELSE turns.first_ts END, \
    last_ts = CASE WHEN excluded.last_ts > turns.last_ts THEN excluded.last_ts ELSE turns.last_ts END, \
    last_event_id = CASE WHEN excluded.last_event_id > turns.last_event_id THEN excluded.last_event_id \
        ELSE turns.last_event_id END, \
    events = turns.events + excluded.events, \
    errors = turns.errors + excluded.errors, \
    input_tokens = turns.input_tokens + excluded.input_tokens, \
    output_tokens = turns.output_tokens + excluded.output_tokens, \
    cost_nanos = turns.cost_nanos + excluded.cost_nanos, \
    unpriced_events = turns.unpriced_events + excluded.unpriced_events, \
    persona = COALESCE(excluded.persona, turns.persona), \
    model = COALESCE(excluded.model, turns.model), \
    status = CASE WHEN turns.status = 'error' THEN 'error' ELSE excluded.status END";

const CONVERSATION_UPSERT: &str = " ON CONFLICT (chat_id) DO UPDATE SET \
    first_ts = CASE WHEN excluded.first_ts < conversations.first_ts THEN excluded.first_ts ELSE conversations.first_ts END, \
    last_ts = CASE WHEN excluded.last_ts > conversations.last_ts THEN excluded.last_ts ELSE conversations.last_ts END, \
    last_event_id = CASE WHEN excluded.last_event_id > conversations.last_event_id THEN excluded.last_event_id \
        ELSE conversations.last_event_id END, \
    events = conversations.events + excluded.events, \
    turns = conversations.turns + excluded.turns, \
    errors = conversations.errors + excluded.errors, \
    input_tokens = conversations.input_tokens + excluded.input_tokens, \
    output_tokens = conversations.output_tokens + excluded.output_tokens, \
    cost_nanos = conversations.cost_nanos + excluded.cost_nanos, \
    unpriced_events = conversations.unpriced_events + excluded.unpriced_events, \
    duration_ms = conversations.duration_ms + excluded.duration_ms, \
    last_persona = COALESCE(excluded.last_persona, conversations.last_persona), \
    last_model = COALESCE(excluded.last_model, conversations.last_model), \
    last_status = COALESCE(excluded.last_status, conversations.last_status)";

/// Adds `$deltas` (a map of rollup key → metrics) to the rollup tables, and
/// their per-bucket sums to the `*_total` tables, within the transaction
/// `$tx`, inserting rows that do not exist yet. A
/// macro rather than a function: it runs inside [`on_writer!`], once per
/// backend type.
macro_rules! upsert_rollups {
    ($tx:expr, $deltas:expr) => {{
        let columns = $crate::rollup::metric_columns();
        let deltas: &std::collections::BTreeMap<$crate::rollup::Key, $crate::rollup::Metrics> = $deltas;
        for grain in $crate::rollup::Grain::ALL {
            let rows: Vec<(i64, &$crate::rollup::Dims, &$crate::rollup::Metrics)> = deltas
                .iter()
                .filter(|((g, _, _), m)| *g == grain && !m.is_zero())
                .map(|((_, bucket, dims), m)| (*bucket, dims, m))
                .collect();
            let table = grain.table();
            for chunk in rows.chunks(200) {
                let mut qb = sqlx::QueryBuilder::new(format!(
                    "INSERT INTO {table} (bucket, model, stage, persona, status, {}) ",
                    columns.join(", ")
                ));
                qb.push_values(chunk, |mut b, (bucket, d, m)| {
                    b.push_bind(*bucket)
                        .push_bind(d.model.clone())
                        .push_bind(d.stage.clone())
                        .push_bind(d.persona.clone())
                        .push_bind(d.status.clone());
                    for v in m.values() {
                        b.push_bind(v);
                    }
                });
                qb.push(" ON CONFLICT (bucket, model, stage, persona, status) DO UPDATE SET ");
                qb.push(
                    columns.iter().map(|c| format!("{c} = {table}.{c} + excluded.{c}")).collect::<Vec<_>>().join(", "),
                );
                qb.build().execute(&mut *$tx).await?;
            }
            // The same sums per bucket over all dimensions.
            let mut totals: std::collections::BTreeMap<i64, $crate::rollup::Metrics> =
                std::collections::BTreeMap::new();
            for (bucket, _, m) in &rows {
                totals.entry(*bucket).or_default().add(m);
            }
            let totals: Vec<(i64, [i64; 6])> = totals.iter().map(|(b, m)| (*b, m.total_values())).collect();
            let total_table = grain.total_table();
            let total_columns = $crate::rollup::TOTAL_COLUMNS;
            for chunk in totals.chunks(400) {
                let mut qb = sqlx::QueryBuilder::new(format!(
                    "INSERT INTO {total_table} (bucket, {}) ",
                    total_columns.join(", ")
                ));
                qb.push_values(chunk, |mut b, (bucket, values)| {
                    b.push_bind(*bucket);
                    for v in values {
                        b.push_bind(*v);
                    }
                });
                qb.push(" ON CONFLICT (bucket) DO UPDATE SET ");
                qb.push(
                    total_columns
                        .iter()
                        .map(|c| format!("{c} = {total_table}.{c} + excluded.{c}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
                qb.build().execute(&mut *$tx).await?;
            }
        }
    }};
}
pub(super) use upsert_rollups;
