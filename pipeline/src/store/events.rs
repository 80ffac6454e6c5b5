//! Reading the events table: the history API, the SSE resume and the page.
//! (Writing is `batch.rs`: one batch, one transaction.)

use super::sql::Cells;
use super::{on_pool, Store, StoreError};
use domain::visibility::Cost;
use domain::{Event, Status, Usage};
use sqlx::{FromRow, QueryBuilder};

/// How many of the newest events a health check looks at, at most.
pub const RECENT_SCAN: i64 = 500_000;
/// Most pipelines [`Store::pipelines`] lists.
pub const MAX_PIPELINES: i64 = 200;

pub(super) const COLUMNS: &str = "id, chat_id, turn_id, stage, status, ts, duration_ms, persona, model, provider, \
    input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, error, meta, received_at, \
    cost_nanos, pricing_id, tenant, tool, pipeline";

/// A stored event. Its token counts are NULL for zero on Postgres
/// (migration 0019).
#[derive(FromRow)]
pub(super) struct EventRow {
    id: i64,
    chat_id: String,
    turn_id: Option<String>,
    stage: String,
    status: String,
    ts: i64,
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
    received_at: i64,
    cost_nanos: Option<i64>,
    pricing_id: Option<String>,
    tenant: Option<String>,
    tool: Option<String>,
    pipeline: Option<String>,
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
        })
    }
}

pub(super) fn into_events(rows: Vec<EventRow>) -> Result<Vec<Event>, StoreError> {
    rows.into_iter().map(Event::try_from).collect()
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
        let rows: Vec<EventRow> = on_pool!(self, pool => {
            let mut qb = QueryBuilder::new(format!("SELECT {COLUMNS} FROM events WHERE 1=1"));
            if let Some(before) = q.before {
                qb.push(" AND id < ").push_bind(before);
            }
            if let Some(chat) = &q.chat_id {
                qb.push(" AND chat_id = ").push_bind(chat.clone());
            }
            if let Some(tenant) = &q.tenant {
                qb.push(" AND tenant = ").push_bind(tenant.clone());
            }
            if let Some(pipeline) = &q.pipeline {
                qb.push(" AND pipeline = ").push_bind(pipeline.clone());
            }
            qb.push(" ORDER BY id DESC LIMIT ").push_bind(q.limit);
            qb.build_query_as().fetch_all(pool).await?
        });
        into_events(rows)
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
        let sql = format!("SELECT {COLUMNS} FROM events WHERE id > $1 ORDER BY id LIMIT $2");
        let rows: Vec<EventRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(after).bind(limit).fetch_all(pool).await?);
        into_events(rows)
    }

    pub async fn count_events(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM events").fetch_one(pool).await?))
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
