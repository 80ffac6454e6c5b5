//! Reading events: the history API, the SSE resume and the page. Every
//! read is an [`EventQuery`], answered from the events table and from the
//! archive's blocks (`archive.rs`) alike, so no read misses an event for
//! having been archived. (Writing is `batch.rs`: one batch, one
//! transaction.)

use super::sql::{Cells, Statement};
use super::{on_pool, Store, StoreError};
use domain::visibility::Cost;
use domain::{Event, Status, Usage};
use std::collections::HashSet;
use std::sync::Arc;

/// How many of the newest events a health check looks at, at most.
pub const RECENT_SCAN: i64 = 500_000;
/// Most pipelines [`Store::pipelines`] lists.
pub const MAX_PIPELINES: i64 = 200;

/// Every column of a stored event, as [`EventRow::read`] reads them.
pub(super) const COLUMNS: &str = "id, chat_id, turn_id, stage, status, ts, duration_ms, persona, model, provider, \
    input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, error, meta, received_at, \
    cost_nanos, pricing_id, tenant, tool, pipeline, first_in_turn, first_in_chat";

/// A stored event, every column. Its token counts and first-in marks are
/// NULL for zero on Postgres (migration 0019).
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct EventRow {
    pub id: i64,
    pub chat_id: String,
    pub turn_id: Option<String>,
    pub stage: String,
    pub status: String,
    pub ts: i64,
    pub duration_ms: Option<i64>,
    pub persona: Option<String>,
    pub model: Option<String>,
    pub provider: Option<String>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cached_input_tokens: Option<i64>,
    pub cache_write_tokens: Option<i64>,
    pub reasoning_tokens: Option<i64>,
    pub error: Option<String>,
    pub meta: Option<String>,
    pub received_at: i64,
    pub cost_nanos: Option<i64>,
    pub pricing_id: Option<String>,
    pub tenant: Option<String>,
    pub tool: Option<String>,
    pub pipeline: Option<String>,
    pub first_in_turn: Option<i64>,
    pub first_in_chat: Option<i64>,
}

impl TryFrom<EventRow> for Event {
    type Error = StoreError;

    fn try_from(r: EventRow) -> Result<Event, StoreError> {
        let status = Status::parse(&r.status)
            .ok_or_else(|| StoreError::Corrupt(format!("event {} has status `{}`", r.id, r.status)))?;
        let meta = r
            .meta
            .map(|m| serde_json::from_str(&m))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("event {} meta: {e}", r.id)))?;
        Ok(Event {
            id: r.id,
            chat_id: r.chat_id,
            turn_id: r.turn_id,
            stage: r.stage,
            status,
            ts: r.ts,
            duration_ms: r.duration_ms,
            persona: r.persona,
            model: r.model,
            provider: r.provider,
            usage: Usage {
                input_tokens: r.input_tokens.unwrap_or(0),
                output_tokens: r.output_tokens.unwrap_or(0),
                cached_input_tokens: r.cached_input_tokens.unwrap_or(0),
                cache_write_tokens: r.cache_write_tokens.unwrap_or(0),
                reasoning_tokens: r.reasoning_tokens.unwrap_or(0),
            },
            error: r.error,
            meta,
            cost_nanos: Cost::Shown(r.cost_nanos),
            pricing_id: r.pricing_id,
            tenant: r.tenant,
            pipeline: r.pipeline,
            tool: r.tool,
            received_at: r.received_at,
        })
    }
}

impl EventRow {
    /// The row from a [`super::sql::Statement`] read ([`Store::read`]),
    /// column by column as `FromRow` reads it from sqlx.
    pub(super) fn read(r: &dyn Cells) -> Result<EventRow, StoreError> {
        Ok(EventRow {
            id: r.int("id")?,
            chat_id: r.text("chat_id")?,
            turn_id: r.opt_text("turn_id")?,
            stage: r.text("stage")?,
            status: r.text("status")?,
            ts: r.int("ts")?,
            duration_ms: r.opt_int("duration_ms")?,
            persona: r.opt_text("persona")?,
            model: r.opt_text("model")?,
            provider: r.opt_text("provider")?,
            input_tokens: r.opt_int("input_tokens")?,
            output_tokens: r.opt_int("output_tokens")?,
            cached_input_tokens: r.opt_int("cached_input_tokens")?,
            cache_write_tokens: r.opt_int("cache_write_tokens")?,
            reasoning_tokens: r.opt_int("reasoning_tokens")?,
            error: r.opt_text("error")?,
            meta: r.opt_text("meta")?,
            received_at: r.int("received_at")?,
            cost_nanos: r.opt_int("cost_nanos")?,
            pricing_id: r.opt_text("pricing_id")?,
            tenant: r.opt_text("tenant")?,
            tool: r.opt_text("tool")?,
            pipeline: r.opt_text("pipeline")?,
            first_in_turn: r.opt_int("first_in_turn")?,
            first_in_chat: r.opt_int("first_in_chat")?,
        })
    }

    fn int_cell(&self, column: &str) -> Option<Option<i64>> {
        Some(match column {
            "id" => Some(self.id),
            "ts" => Some(self.ts),
            "received_at" => Some(self.received_at),
            "duration_ms" => self.duration_ms,
            "input_tokens" => self.input_tokens,
            "output_tokens" => self.output_tokens,
            "cached_input_tokens" => self.cached_input_tokens,
            "cache_write_tokens" => self.cache_write_tokens,
            "reasoning_tokens" => self.reasoning_tokens,
            "cost_nanos" => self.cost_nanos,
            "first_in_turn" => self.first_in_turn,
            "first_in_chat" => self.first_in_chat,
            _ => return None,
        })
    }

    fn text_cell(&self, column: &str) -> Option<Option<&str>> {
        Some(match column {
            "chat_id" => Some(self.chat_id.as_str()),
            "stage" => Some(self.stage.as_str()),
            "status" => Some(self.status.as_str()),
            "turn_id" => self.turn_id.as_deref(),
            "persona" => self.persona.as_deref(),
            "model" => self.model.as_deref(),
            "provider" => self.provider.as_deref(),
            "error" => self.error.as_deref(),
            "meta" => self.meta.as_deref(),
            "pricing_id" => self.pricing_id.as_deref(),
            "tenant" => self.tenant.as_deref(),
            "tool" => self.tool.as_deref(),
            "pipeline" => self.pipeline.as_deref(),
            _ => return None,
        })
    }
}

/// An archived event read as a row of the events table. A text read of a
/// NULL is '': the reads that ask for text where an event may have none
/// select `COALESCE(column, '')` from the table.
impl Cells for EventRow {
    fn int(&self, column: &str) -> Result<i64, StoreError> {
        self.opt_int(column)?.ok_or_else(|| StoreError::Corrupt(format!("event {}: {column} is NULL", self.id)))
    }

    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        self.int_cell(column).ok_or_else(|| StoreError::Corrupt(format!("no event column {column}")))
    }

    fn text(&self, column: &str) -> Result<String, StoreError> {
        Ok(self.opt_text(column)?.unwrap_or_default())
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        let cell = self.text_cell(column).ok_or_else(|| StoreError::Corrupt(format!("no event column {column}")))?;
        Ok(cell.map(str::to_string))
    }
}

/// One condition of an [`EventQuery`]: `column = value`, where an event
/// without the column matches `''` if `null_as_empty` (as a rollup stores
/// it), and nothing otherwise.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Equal {
    pub column: &'static str,
    pub null_as_empty: bool,
    pub value: String,
}

impl Equal {
    /// The condition as SQL (its value bound in `st`).
    pub fn push(&self, st: &mut Statement) {
        match self.null_as_empty {
            true => st.push(&format!(" AND COALESCE({}, '') = ", self.column)),
            false => st.push(&format!(" AND {} = ", self.column)),
        };
        st.bind(self.value.clone());
    }

    /// The same condition on a row in hand.
    fn holds(&self, r: &dyn Cells) -> Result<bool, StoreError> {
        let cell = r.opt_text(self.column)?;
        Ok(match cell {
            Some(v) => v == self.value,
            None => self.null_as_empty && self.value.is_empty(),
        })
    }
}

/// The order an [`EventQuery`] answers in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Order {
    /// Oldest id first.
    Id,
    /// Newest id first.
    IdDesc,
    /// Replay order: time, then id.
    TsId,
    /// Any (a read that sums what it reads).
    Unordered,
}

/// A read of events: which ones, in what order, how many. Written once,
/// it is both the SQL run on the events table ([`EventQuery::statement`])
/// and the test applied to archived events ([`EventQuery::holds`]).
#[derive(Clone, Debug)]
pub(super) struct EventQuery {
    /// The select list (it must name `id` and `ts`).
    pub columns: &'static str,
    /// Only ids above / below.
    pub after: Option<i64>,
    pub before: Option<i64>,
    /// Only times in `[from, to)`.
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub equal: Vec<Equal>,
    pub order: Order,
    pub limit: Option<i64>,
}

impl EventQuery {
    pub fn new(columns: &'static str, order: Order) -> EventQuery {
        EventQuery { columns, after: None, before: None, from: None, to: None, equal: Vec::new(), order, limit: None }
    }

    /// Only this conversation's events (`Some` when the query names one).
    pub fn chat(&self) -> Option<&str> {
        self.equal.iter().find(|e| e.column == "chat_id" && !e.null_as_empty).map(|e| e.value.as_str())
    }

    /// The read on the events table.
    pub fn statement(&self) -> Statement {
        let mut st = Statement::new(format!("SELECT {} FROM events WHERE 1=1", self.columns));
        self.bounds(&mut st, ["id >", "id <", "ts >=", "ts <"]);
        for e in &self.equal {
            e.push(&mut st);
        }
        st.push(match self.order {
            Order::Id => " ORDER BY id",
            Order::IdDesc => " ORDER BY id DESC",
            Order::TsId => " ORDER BY ts, id",
            Order::Unordered => "",
        });
        if let Some(limit) = self.limit {
            st.push(" LIMIT ").bind(limit);
        }
        st
    }

    /// `AND {c} ?` for each of the id and time bounds the query has, with
    /// `conditions` its after, before, from and to: on the events, or on
    /// the archive's directory (whose spans must reach them).
    pub fn bounds(&self, st: &mut Statement, conditions: [&str; 4]) {
        for (condition, bound) in conditions.into_iter().zip([self.after, self.before, self.from, self.to]) {
            if let Some(v) = bound {
                st.push(&format!(" AND {condition} ")).bind(v);
            }
        }
    }

    /// Whether the event `r` is one the query selects.
    pub fn holds(&self, r: &dyn Cells) -> Result<bool, StoreError> {
        let (id, ts) = (r.int("id")?, r.int("ts")?);
        let outside = self.after.is_some_and(|a| id <= a)
            || self.before.is_some_and(|b| id >= b)
            || self.from.is_some_and(|f| ts < f)
            || self.to.is_some_and(|t| ts >= t);
        if outside {
            return Ok(false);
        }
        for e in &self.equal {
            if !e.holds(r)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Where an event of `(id, ts)` sorts in the query's order.
    pub fn key(&self, id: i64, ts: i64) -> (i64, i64) {
        match self.order {
            Order::Id | Order::Unordered => (id, 0),
            Order::IdDesc => (-id, 0),
            Order::TsId => (ts, id),
        }
    }
}

impl Store {
    /// Answers `q` from the events table and the archive, each event made
    /// a `T` by `row`. The table is read first: an event archived between
    /// the two reads is then found twice, and kept once, never missed.
    pub(super) async fn read_events<T, F>(&self, q: EventQuery, row: F) -> Result<Vec<T>, StoreError>
    where
        T: Send + 'static,
        F: Fn(&dyn Cells) -> Result<T, StoreError> + Send + Sync + 'static,
    {
        let row = Arc::new(row);
        let keyed = {
            let (row, q) = (row.clone(), q.clone());
            move |r: &dyn Cells| {
                let id = r.int("id")?;
                Ok((q.key(id, r.int("ts")?), id, row(r)?))
            }
        };
        let mut found = self.read(q.statement(), keyed).await?;
        let seen: HashSet<i64> = found.iter().map(|(_, id, _)| *id).collect();
        for e in self.archived(&q).await? {
            if !seen.contains(&e.id) {
                found.push((q.key(e.id, e.ts), e.id, row(&e)?));
            }
        }
        if q.order != Order::Unordered {
            found.sort_by_key(|(key, _, _)| *key);
        }
        if let Some(limit) = q.limit {
            found.truncate(limit.max(0) as usize);
        }
        Ok(found.into_iter().map(|(_, _, t)| t).collect())
    }
}

/// An event from a row of an [`EventQuery`] of [`COLUMNS`].
pub(super) fn read_event(r: &dyn Cells) -> Result<Event, StoreError> {
    Event::try_from(EventRow::read(r)?)
}

/// Filters for [`Store::history`].
#[derive(Clone, Debug, Default)]
pub struct HistoryQuery {
    pub limit: i64,
    /// Only events with a smaller id (the previous page's last id).
    pub before: Option<i64>,
    pub chat_id: Option<String>,
    /// Only this tenant's events.
    pub tenant: Option<String>,
    /// Only this pipeline's events.
    pub pipeline: Option<String>,
}

impl Store {
    /// Newest first, paged by id.
    pub async fn history(&self, q: &HistoryQuery) -> Result<Vec<Event>, StoreError> {
        let mut query = EventQuery::new(COLUMNS, Order::IdDesc);
        query.before = q.before;
        query.limit = Some(q.limit);
        let equal = [("chat_id", &q.chat_id), ("tenant", &q.tenant), ("pipeline", &q.pipeline)];
        for (column, value) in equal {
            if let Some(v) = value {
                query.equal.push(Equal { column, null_as_empty: false, value: v.clone() });
            }
        }
        self.read_events(query, read_event).await
    }

    /// The pipelines conversations have named, in name order, at most
    /// [`MAX_PIPELINES`]: a skip scan of the conversations' pipeline index,
    /// one lookup per pipeline however many conversations there are. For
    /// one tenant, its conversations are read instead.
    pub async fn pipelines(&self, tenant: Option<&str>) -> Result<Vec<String>, StoreError> {
        let names: Vec<String> = on_pool!(self, pool => match tenant {
            None => sqlx::query_scalar(
                "WITH RECURSIVE p(name) AS ( \
                   SELECT MIN(pipeline) FROM conversations WHERE pipeline IS NOT NULL \
                   UNION ALL \
                   SELECT (SELECT MIN(pipeline) FROM conversations WHERE pipeline > p.name) FROM p WHERE p.name IS NOT NULL \
                 ) SELECT name FROM p WHERE name IS NOT NULL LIMIT $1",
            )
            .bind(MAX_PIPELINES)
            .fetch_all(pool)
            .await?,
            Some(t) => sqlx::query_scalar(
                "SELECT DISTINCT pipeline FROM conversations WHERE tenant = $1 AND pipeline IS NOT NULL \
                 ORDER BY pipeline LIMIT $2",
            )
            .bind(t.to_string())
            .bind(MAX_PIPELINES)
            .fetch_all(pool)
            .await?,
        });
        Ok(names)
    }

    /// The latest `limit` events, newest first.
    pub async fn latest(&self, limit: i64) -> Result<Vec<Event>, StoreError> {
        self.history(&HistoryQuery { limit, ..HistoryQuery::default() }).await
    }

    /// Up to `limit` events with an id above `after`, oldest first.
    pub async fn after(&self, after: i64, limit: i64) -> Result<Vec<Event>, StoreError> {
        let mut query = EventQuery::new(COLUMNS, Order::Id);
        (query.after, query.limit) = (Some(after), Some(limit));
        self.read_events(query, read_event).await
    }

    /// Every event stored, archived ones too.
    pub async fn count_events(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar(
            "SELECT CAST((SELECT COUNT(*) FROM events) + (SELECT COALESCE(SUM(events), 0) FROM event_blocks) AS BIGINT)"
        )
        .fetch_one(pool)
        .await?))
    }

    /// Recent activity for health checks: events received since `since_ms`
    /// (counted back along the id index over at most the newest
    /// [`RECENT_SCAN`] events, so the check stays cheap on any store) and
    /// when the newest event was received.
    pub async fn recent_activity(&self, since_ms: i64) -> Result<(i64, Option<i64>), StoreError> {
        let (count, last): (i64, Option<i64>) = on_pool!(self, pool => sqlx::query_as(
            "SELECT COUNT(*) FILTER (WHERE received_at >= $1), MAX(received_at) FROM events \
             WHERE id > (SELECT COALESCE(MAX(id), 0) FROM events) - $2",
        )
        .bind(since_ms)
        .bind(RECENT_SCAN)
        .fetch_one(pool)
        .await?);
        Ok((count, last))
    }

    /// The id of the newest event, 0 when there is none.
    pub async fn last_event_id(&self) -> Result<i64, StoreError> {
        let id: Option<i64> =
            on_pool!(self, pool => sqlx::query_scalar("SELECT MAX(id) FROM events").fetch_one(pool).await?);
        Ok(id.unwrap_or(0))
    }
}
