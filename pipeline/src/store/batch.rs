//! The ingest transaction: a group of batches of priced events (one batch
//! per request, see `ingest::writer`), stored with everything derived from
//! them. Each batch is all or nothing; the group shares one commit.
//!
//! 1. read which turns and conversations are new (`turns`, `conversations`);
//! 2. insert the events, ids in input order;
//! 3. add the group to each conversation's and each turn's totals, count
//!    the new conversations, and move those it continues to the hour they
//!    now end in;
//! 4. add the group to the minute, hour and day rollups.
//!
//! Steps 3 and 4 write rows nobody reads back in this transaction, so they
//! go together ([`Exec::execute_all`]): on Postgres as one statement, one
//! round trip for every derived table, where each table and chunk was one.
//! The writer is serialized by its lock, so each round trip to a database
//! on another host holds every group behind it.
//!
//! Every derived row is updated by *adding* the batch's sums (an upsert), so
//! a batch never reads what it is about to change, and a correction (reprice)
//! is the same upsert with signed amounts. What to add is folded in
//! `rollup` (pure); the helpers here only write it. They are generic over
//! where their statements run ([`Exec`]): a Postgres transaction, or the
//! SQLite writer's own connection, driven directly (`direct`).

use super::sql::{each, Exec, Statement, Value::Sparse};
use super::{Store, StoreError};
use crate::rollup::deltas::{self, ChatDelta, TurnDelta};
use crate::rollup::{self, Dims, Key, Metrics, WRITES};
use domain::Event;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::LazyLock;

/// Rows or keys per statement of the writer. Postgres binds a statement's
/// rows as one array per column, whatever their number, and each statement
/// before the derived rows is a round trip (a group of up to
/// `ingest::writer`'s 20,000 events in four or fewer); SQLite's writer runs
/// a statement row by row.
const CHUNK: usize = 5_000;
/// Rollup rows per statement: each binds 7 + 34 values.
const ROLLUP_CHUNK: usize = 200;
/// Postgres advisory lock key held by every write transaction, so ids are
/// committed in the order they were assigned (readers resuming "after id N"
/// can never miss a late commit of a smaller id).
pub const WRITE_LOCK_KEY: i64 = 0x666c_6f77; // "flow"

/// A committed batch.
#[derive(Clone, Debug)]
pub struct Inserted {
    /// The newest event id committed before this batch (so a reader of the
    /// bus can tell when it missed one).
    pub after: i64,
    /// The events with their ids, in input order (which is id order).
    pub events: Vec<Event>,
}

/// A committed group of batches (one per request, see `ingest::writer`).
#[derive(Debug)]
pub struct GroupInserted {
    /// The newest event id committed before the group.
    pub after: i64,
    /// Each batch, in the order given: its events with their ids, or why
    /// it alone stored nothing.
    pub batches: Vec<Result<Vec<Event>, StoreError>>,
}

impl Store {
    /// Stores `events` (already priced) in one transaction and returns them
    /// with their ids, in input order.
    pub async fn insert_events(&self, events: Vec<Event>) -> Result<Inserted, StoreError> {
        let group = self.insert_group(vec![events], || false).await?;
        let events = group.batches.into_iter().next().unwrap_or(Ok(Vec::new()))?;
        Ok(Inserted { after: group.after, events })
    }

    /// Stores several batches (already priced) in one transaction: each
    /// batch whole or not at all, ids in the order given, and the derived
    /// rows summed over the group and written once per key. A batch the
    /// database refuses fails alone; an error for the group (the commit
    /// itself) stores nothing. `follows` says whether another group waits
    /// (SQLite's writer then keeps its turn for it).
    pub async fn insert_group(
        &self,
        batches: Vec<Vec<Event>>,
        follows: impl Fn() -> bool,
    ) -> Result<GroupInserted, StoreError> {
        let lens: Vec<usize> = batches.iter().map(Vec::len).collect();
        let mut events: Vec<Event> = batches.into_iter().flatten().collect();
        if events.is_empty() {
            let after = self.last_event_id().await?;
            return Ok(GroupInserted { after, batches: lens.iter().map(|_| Ok(Vec::new())).collect() });
        }
        // Optimistically the whole group at once. If the database refuses
        // it, once more with each batch in a savepoint, to fail only the
        // batch at fault (the common case goes without savepoints, which
        // cost SQLite a statement journal).
        let (after, refused) = match self.commit_group(&mut events, &lens, false, &follows).await {
            Ok(done) => done,
            Err(_) => self.commit_group(&mut events, &lens, true, &follows).await?,
        };
        // Back into batches, in the order given.
        let mut rest = events.into_iter();
        let batches = lens
            .iter()
            .zip(refused)
            .map(|(len, refusal)| match refusal {
                Some(e) => Err(e),
                None => Ok(rest.by_ref().take(*len).collect()),
            })
            .collect();
        Ok(GroupInserted { after, batches })
    }

    /// One attempt at a group commit of `events` (the batches, `lens` long,
    /// one after another). With `isolate`, each batch goes in a savepoint
    /// and those the database refuses are taken out of `events`. Returns
    /// the id committed before the group and each batch's refusal.
    async fn commit_group(
        &self,
        events: &mut Vec<Event>,
        lens: &[usize],
        isolate: bool,
        follows: impl Fn() -> bool,
    ) -> Result<(i64, Vec<Option<StoreError>>), StoreError> {
        match self {
            // The writer's own connection, in the writer pool's turn.
            Store::Sqlite { writer, direct, .. } => {
                direct.transaction(writer, events.len(), follows, async |x| group(x, events, lens, isolate).await).await
            }
            Store::Postgres(pool) => {
                // The lock, held once per group (ids commit in the order
                // assigned), taken in the round trip that begins it.
                static BEGIN_LOCKED: LazyLock<String> =
                    LazyLock::new(|| format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"));
                let mut tx = pool.begin_with(BEGIN_LOCKED.as_str()).await?;
                let done = group(&mut tx, events, lens, isolate).await?;
                tx.commit().await?;
                Ok(done)
            }
        }
    }
}

/// A group's statements, inside its transaction (see `commit_group`).
async fn group<X: Exec>(
    x: &mut X,
    events: &mut Vec<Event>,
    lens: &[usize],
    isolate: bool,
) -> Result<(i64, Vec<Option<StoreError>>), StoreError> {
    // Writes are serialized (the lock, or SQLite's one writer): this is the
    // batch committed just before this group.
    let (after,): (i64,) = x
        .fetch_all(Statement::new("SELECT COALESCE(MAX(id), 0) FROM events"))
        .await?
        .pop()
        .ok_or(sqlx::Error::RowNotFound)?;
    let mut refused: Vec<Option<StoreError>> = lens.iter().map(|_| None).collect();
    let mut claimed = Claimed::default();
    let firsts = if isolate {
        let mut rest = std::mem::take(events).into_iter();
        let mut firsts = Vec::new();
        for (len, refusal) in lens.iter().zip(refused.iter_mut()) {
            let mut batch: Vec<Event> = rest.by_ref().take(*len).collect();
            x.execute(Statement::new("SAVEPOINT batch")).await?;
            match rows(x, &mut batch, &claimed).await {
                Ok((f, new)) => {
                    events.extend(batch);
                    firsts.extend(f);
                    claimed.add(new);
                }
                Err(e) => {
                    *refusal = Some(e);
                    x.execute(Statement::new("ROLLBACK TO SAVEPOINT batch")).await?;
                }
            }
            x.execute(Statement::new("RELEASE SAVEPOINT batch")).await?;
        }
        firsts
    } else {
        let (firsts, new) = rows(x, events, &claimed).await?;
        claimed = new;
        firsts
    };
    let first_in_turn: Vec<bool> = firsts.iter().map(|(turn, _)| *turn).collect();
    let chats = deltas::chats(events, &first_in_turn);
    // What the group adds to every derived table, run together: one
    // statement on Postgres (`Exec::execute_all`). Each table once, by key.
    let mut derived = Vec::new();
    count_chats(&mut derived, &claimed);
    move_ends(&mut derived, &chats, &claimed.ended);
    upsert_chats(&mut derived, &chats);
    upsert_turns(&mut derived, &deltas::turns(events));
    let folded = rollup::fold(events.iter().zip(&firsts).map(|(e, (t, c))| (e, *t, *c)));
    upsert_rollups(&mut derived, &folded);
    x.execute_all(derived).await?;
    Ok((after, refused))
}

/// The events' own rows: their turns and conversations claimed and the
/// events inserted. Sets their ids; returns which of them open a turn or a
/// conversation.
async fn rows<X: Exec>(
    x: &mut X,
    events: &mut [Event],
    group: &Claimed,
) -> Result<(Vec<(bool, bool)>, Claimed), StoreError> {
    let new = claim_keys(x, events, group).await?;
    let firsts = rollup::firsts(events, &new.turns, &new.chats);
    let ids = insert_rows(x, events, &firsts).await?;
    for (e, id) in events.iter_mut().zip(ids) {
        e.id = id;
    }
    Ok((firsts, new))
}

/// What a group's claims found: the turns and conversations new to the
/// store, which are not rows in this transaction either (the upserts after
/// the events write them), so a group's later batches look here too; and
/// when each conversation the group continues had ended, before it.
#[derive(Default)]
struct Claimed {
    turns: HashSet<(String, String)>,
    chats: HashSet<String>,
    ended: HashMap<String, i64>,
}

impl Claimed {
    fn add(&mut self, batch: Claimed) {
        self.turns.extend(batch.turns);
        self.chats.extend(batch.chats);
        self.ended.extend(batch.ended);
    }
}

/// Which of the batch's turns and conversations are new (not in the store,
/// nor claimed by an earlier batch of the group), and when those it
/// continues ended. Read, not inserted: the upserts after the events insert a
/// new row whole, so it is written once. A row inserted here and then
/// rewritten by the upsert left, on Postgres, a dead version and a second
/// entry in each index for every new turn and conversation: those tables
/// were half free space after a load (docs/performance.md).
async fn claim_keys<X: Exec>(x: &mut X, events: &[Event], group: &Claimed) -> Result<Claimed, StoreError> {
    let turn_keys: Vec<(&str, &str)> = events
        .iter()
        .map(Event::turn_key)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|(c, t)| !group.turns.contains(&(c.to_string(), t.to_string())))
        .collect();
    let chat_keys: Vec<&str> = events
        .iter()
        .map(|e| e.chat_id.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|c| !group.chats.contains(*c) && !group.ended.contains_key(*c))
        .collect();
    let mut new = Claimed {
        turns: turn_keys.iter().map(|(c, t)| (c.to_string(), t.to_string())).collect(),
        chats: chat_keys.iter().map(|c| c.to_string()).collect(),
        ended: HashMap::new(),
    };
    // Both read in one round trip on Postgres (`Exec::fetch_all_joined`),
    // as rows of one shape: a turn has its turn id, a conversation its end.
    let mut reads = Vec::new();
    for chunk in turn_keys.chunks(CHUNK) {
        let mut st = Statement::new(
            "SELECT chat_id, turn_id, CAST(NULL AS BIGINT) AS last_ts FROM turns WHERE (chat_id, turn_id) IN (",
        );
        st.values(chunk, |t, (chat, turn)| {
            t.bind(*chat).bind(*turn);
        });
        st.push(")").planned_each_time();
        reads.push(st);
    }
    for chunk in chat_keys.chunks(CHUNK) {
        let mut st = Statement::new(
            "SELECT chat_id, CAST(NULL AS TEXT) AS turn_id, last_ts FROM conversations WHERE chat_id IN ",
        );
        st.list(chunk).planned_each_time();
        reads.push(st);
    }
    for (chat, turn, last_ts) in x.fetch_all_joined::<(String, Option<String>, Option<i64>)>(reads).await? {
        match (turn, last_ts) {
            (Some(turn), _) => {
                new.turns.remove(&(chat, turn));
            }
            (None, Some(last_ts)) => {
                new.chats.remove(&chat);
                new.ended.insert(chat, last_ts);
            }
            (None, None) => return Err(StoreError::Corrupt(format!("conversation {chat} has no end"))),
        }
    }
    Ok(new)
}

/// Counts the group's new conversations (those of the batches stored).
fn count_chats(out: &mut Vec<Statement>, claimed: &Claimed) {
    if !claimed.chats.is_empty() {
        let mut st = Statement::new("UPDATE counters SET value = value + ");
        st.bind(claimed.chats.len() as i64).push(" WHERE name = 'conversations'");
        out.push(st);
    }
}

/// Inserts the events; returns their ids in input order.
async fn insert_rows<X: Exec>(x: &mut X, events: &[Event], firsts: &[(bool, bool)]) -> Result<Vec<i64>, StoreError> {
    let mut ids: Vec<i64> = Vec::with_capacity(events.len());
    let rows: Vec<(&Event, &(bool, bool))> = events.iter().zip(firsts).collect();
    for chunk in rows.chunks(CHUNK) {
        let mut st = Statement::new(
            "INSERT INTO events (chat_id, turn_id, stage, status, ts, duration_ms, persona, model, provider, \
             input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, \
             error, meta, received_at, cost_nanos, pricing_id, first_in_turn, first_in_chat, tenant, tool, pipeline) ",
        );
        st.values(chunk, |t, (e, (first_turn, first_chat))| {
            t.bind(e.chat_id.as_str())
                .bind(e.turn_id.clone())
                .bind(e.stage.as_str())
                .bind(e.status.as_str())
                .bind(e.ts)
                .bind(e.duration_ms)
                .bind(e.persona.clone())
                .bind(e.model.clone())
                .bind(e.provider.clone())
                .bind(Sparse(e.usage.input_tokens))
                .bind(Sparse(e.usage.output_tokens))
                .bind(Sparse(e.usage.cached_input_tokens))
                .bind(Sparse(e.usage.cache_write_tokens))
                .bind(Sparse(e.usage.reasoning_tokens))
                .bind(e.error.clone())
                .bind(e.meta.as_ref().map(|m| m.to_string()))
                .bind(e.received_at)
                .bind(e.cost())
                .bind(e.pricing_id.clone())
                .bind(Sparse(i64::from(*first_turn)))
                .bind(Sparse(i64::from(*first_chat)))
                .bind(e.tenant.clone())
                .bind(e.tool.clone())
                .bind(e.pipeline.clone());
        });
        ids.extend(x.insert_ids(st).await?);
    }
    Ok(ids)
}

/// A conversation's status keeps its latest known value.
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
    last_status = COALESCE(excluded.last_status, conversations.last_status), \
    last_stage = COALESCE(excluded.last_stage, conversations.last_stage), \
    last_turn_id = COALESCE(excluded.last_turn_id, conversations.last_turn_id), \
    tenant = COALESCE(conversations.tenant, excluded.tenant), \
    pipeline = COALESCE(conversations.pipeline, excluded.pipeline)";

fn upsert_chats(out: &mut Vec<Statement>, chats: &BTreeMap<&str, ChatDelta>) {
    let rows: Vec<(&&str, &ChatDelta)> = chats.iter().collect();
    for chunk in rows.chunks(CHUNK) {
        let mut st = Statement::new(
            "INSERT INTO conversations (chat_id, first_ts, last_ts, last_event_id, events, turns, errors, \
             input_tokens, output_tokens, cost_nanos, unpriced_events, duration_ms, last_persona, last_model, \
             last_status, last_stage, last_turn_id, tenant, pipeline) ",
        );
        st.values(chunk, |t, (chat, d)| {
            t.bind(**chat)
                .bind(d.first_ts)
                .bind(d.last_ts)
                .bind(d.last_event_id)
                .bind(d.events)
                .bind(d.turns)
                .bind(d.errors)
                .bind(d.input_tokens)
                .bind(d.output_tokens)
                .bind(d.cost.cost_nanos)
                .bind(d.cost.unpriced_events)
                .bind(d.duration_ms)
                .bind(d.last_persona.clone())
                .bind(d.last_model.clone())
                .bind(d.last_status.clone())
                .bind(d.last_stage.clone())
                .bind(d.last_turn_id.clone())
                .bind(d.tenant.clone())
                .bind(d.pipeline.clone());
        });
        st.push(CONVERSATION_UPSERT);
        out.push(st);
    }
}

/// Moves the group's conversations to the hour they now end in
/// (`conversation_ends`), given when those it continues had ended (read by
/// the claims, before `upsert_chats` changes it; the others are new).
fn move_ends(out: &mut Vec<Statement>, chats: &BTreeMap<&str, ChatDelta>, ended: &HashMap<String, i64>) {
    let moves: Vec<(i64, i64)> = deltas::end_moves(chats, ended).into_iter().collect();
    for chunk in moves.chunks(CHUNK) {
        let mut st = Statement::new("INSERT INTO conversation_ends (hour, conversations) ");
        st.values(chunk, |t, (hour, n)| {
            t.bind(*hour).bind(*n);
        });
        st.push(" ON CONFLICT (hour) DO UPDATE SET conversations = conversation_ends.conversations + excluded.conversations");
        out.push(st);
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
    status = CASE WHEN turns.status = 'error' THEN 'error' ELSE excluded.status END, \
    tenant = COALESCE(turns.tenant, excluded.tenant)";

fn upsert_turns(out: &mut Vec<Statement>, turns: &BTreeMap<(&str, &str), TurnDelta>) {
    let rows: Vec<(&(&str, &str), &TurnDelta)> = turns.iter().collect();
    for chunk in rows.chunks(CHUNK) {
        let mut st = Statement::new(
            "INSERT INTO turns (chat_id, turn_id, first_ts, last_ts, last_event_id, events, errors, input_tokens, \
             output_tokens, cost_nanos, unpriced_events, persona, model, status, tenant) ",
        );
        st.values(chunk, |t, ((chat, turn), d)| {
            t.bind(*chat)
                .bind(*turn)
                .bind(d.first_ts)
                .bind(d.last_ts)
                .bind(d.last_event_id)
                .bind(d.events)
                .bind(d.errors)
                .bind(d.input_tokens)
                .bind(d.output_tokens)
                .bind(d.cost.cost_nanos)
                .bind(d.cost.unpriced_events)
                .bind(d.persona.clone())
                .bind(d.model.clone())
                .bind(d.status.as_str())
                .bind(d.tenant.clone());
        });
        st.push(TURN_UPSERT);
        out.push(st);
    }
}

/// The statements that add `deltas` to the rollup tables, and their
/// per-bucket sums to the `*_total` tables, inserting rows that do not
/// exist yet. Columns come from [`Metrics`]' one list.
pub(super) fn upsert_rollups(out: &mut Vec<Statement>, deltas: &BTreeMap<Key, Metrics>) {
    for grain in rollup::Grain::ALL {
        let rows: Vec<(i64, &Dims, &Metrics)> = deltas
            .iter()
            .filter(|((g, _, _), m)| *g == grain && !m.is_zero())
            .map(|((_, bucket, dims), m)| (*bucket, dims, m))
            .collect();
        let text = RollupUpserts::of(grain);
        for chunk in rows.chunks(ROLLUP_CHUNK) {
            let mut st = Statement::new(&text.insert);
            st.values(chunk, |t, (bucket, d, m)| {
                t.bind(*bucket)
                    .bind(d.model.as_str())
                    .bind(d.stage.as_str())
                    .bind(d.persona.as_str())
                    .bind(d.status.as_str())
                    .bind(d.tenant.as_str())
                    .bind(d.tool.as_str())
                    .bind(d.pipeline.as_str());
                // Zeros are stored as NULL (migration 0016): a rollup
                // row is mostly zeros, and a NULL takes no room in it.
                for v in m.values() {
                    t.bind((v != 0).then_some(v));
                }
            });
            st.push(&text.update);
            out.push(st);
        }
        // The same sums per value of each dimension, for hours and days.
        if let Some(marginal) = &text.marginal {
            let sums = rollup::by_dim(rows.iter().map(|(bucket, d, m)| (*bucket, *d, *m)));
            let sums: Vec<_> = sums.into_iter().filter(|(_, m)| !m.is_zero()).collect();
            for chunk in sums.chunks(ROLLUP_CHUNK) {
                let mut st = Statement::new(&marginal.0);
                st.values(chunk, |t, ((bucket, dim, value), m)| {
                    t.bind(*bucket).bind(dim.column()).bind(*value);
                    for v in m.values() {
                        t.bind((v != 0).then_some(v));
                    }
                });
                st.push(&marginal.1);
                out.push(st);
            }
        }
        // The same sums per bucket over all dimensions, and one more write
        // to each bucket (what summaries' kept reads are checked against).
        let mut totals: BTreeMap<i64, Metrics> = BTreeMap::new();
        for (bucket, _, m) in &rows {
            totals.entry(*bucket).or_default().add(m);
        }
        let totals: Vec<(i64, Vec<i64>)> = totals.iter().map(|(b, m)| (*b, m.total_values())).collect();
        for chunk in totals.chunks(CHUNK) {
            let mut st = Statement::new(&text.insert_total);
            st.values(chunk, |t, (bucket, values)| {
                t.bind(*bucket).bind(1_i64);
                for v in values {
                    t.bind(*v);
                }
            });
            st.push(&text.update_total);
            out.push(st);
        }
    }
}

/// A grain's rollup upserts, around their `VALUES`: written once, not for
/// every group (each names all 34 columns twice).
struct RollupUpserts {
    insert: String,
    update: String,
    /// The marginal rollup's insert and update, for grains that keep one.
    marginal: Option<(String, String)>,
    insert_total: String,
    update_total: String,
}

impl RollupUpserts {
    fn of(grain: rollup::Grain) -> &'static RollupUpserts {
        static TEXTS: LazyLock<[RollupUpserts; 3]> = LazyLock::new(|| rollup::Grain::ALL.map(RollupUpserts::new));
        &TEXTS[grain as usize]
    }

    fn new(grain: rollup::Grain) -> RollupUpserts {
        let (table, total_table) = (grain.table(), grain.total_table());
        let columns = Metrics::columns();
        let totals = [&[WRITES], Metrics::TOTAL_COLUMNS].concat();
        // A row's key: what it is inserted by and what it conflicts on.
        let key = format!("bucket, {}", Dims::COLUMNS.join(", "));
        RollupUpserts {
            insert: format!("INSERT INTO {table} ({key}, {}) ", columns.join(", ")),
            update: format!(" ON CONFLICT ({key}) DO UPDATE SET {}", adding_sparse(table, &columns)),
            marginal: grain.marginal_table().map(|m| {
                (
                    format!("INSERT INTO {m} (bucket, dim, value, {}) ", columns.join(", ")),
                    format!(" ON CONFLICT (bucket, dim, value) DO UPDATE SET {}", adding_sparse(m, &columns)),
                )
            }),
            insert_total: format!("INSERT INTO {total_table} (bucket, {}) ", totals.join(", ")),
            update_total: format!(" ON CONFLICT (bucket) DO UPDATE SET {}", adding(total_table, &totals)),
        }
    }
}

/// `c = table.c + excluded.c, …` for nullable columns where NULL means
/// zero, keeping a sum of zero as NULL.
fn adding_sparse(table: &str, columns: &[impl AsRef<str>]) -> String {
    each(columns, |c| format!("{c} = NULLIF(COALESCE({table}.{c}, 0) + COALESCE(excluded.{c}, 0), 0)"))
}

/// `c = table.c + excluded.c, …`: an upsert that adds.
fn adding(table: &str, columns: &[impl AsRef<str>]) -> String {
    each(columns, |c| format!("{c} = {table}.{c} + excluded.{c}"))
}
