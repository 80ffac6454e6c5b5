//! The turns table read as the cost monitor's "recent operations", and the
//! export of a window's events.

use super::events::{read_event, EventQuery, Order, COLUMNS};
use super::rollups::Filters;
use super::{on_pool, Store, StoreError};
use domain::costs::{TurnRow, TurnSort};
use domain::Event;
use sqlx::{FromRow, QueryBuilder};

#[derive(FromRow)]
struct Row {
    chat_id: String,
    turn_id: String,
    first_ts: i64,
    last_ts: i64,
    persona: Option<String>,
    model: Option<String>,
    status: Option<String>,
    events: i64,
    tokens: i64,
    cost_nanos: i64,
    unpriced_events: i64,
}

/// What selects turns: they started in `[from, to)` and match the filters.
pub struct TurnFilter<'a> {
    pub from: i64,
    pub to: i64,
    pub f: &'a Filters,
    pub status: Option<&'a str>,
}

fn push_where<'a, DB: sqlx::Database>(qb: &mut QueryBuilder<'a, DB>, t: &TurnFilter<'_>)
where
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    qb.push(" WHERE first_ts >= ").push_bind(t.from).push(" AND first_ts < ").push_bind(t.to);
    for (col, v) in
        [("model", &t.f.model), ("persona", &t.f.persona), ("tenant", &t.f.tenant), ("chat_id", &t.f.chat_id)]
    {
        if let Some(v) = v {
            qb.push(format!(" AND {col} = ")).push_bind(v.clone());
        }
    }
    if let Some(s) = t.status {
        qb.push(" AND status = ").push_bind(s.to_string());
    }
}

impl Store {
    /// A page of turns and how many match.
    pub async fn turns_page(
        &self,
        t: &TurnFilter<'_>,
        sort: TurnSort,
        ascending: bool,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<TurnRow>, i64), StoreError> {
        let order = match sort {
            // By start: the window selects turns by start too, so one index
            // range, read from its newest end, gives the first page without
            // sorting every turn in the window.
            TurnSort::Recent => "first_ts",
            TurnSort::Cost => "cost_nanos",
            TurnSort::Duration => "(last_ts - first_ts)",
            TurnSort::Tokens => "(input_tokens + output_tokens)",
        };
        let dir = if ascending { "ASC" } else { "DESC" };
        let (rows, total): (Vec<Row>, i64) = on_pool!(self, pool => {
            let mut qb = QueryBuilder::new(
                "SELECT chat_id, turn_id, first_ts, last_ts, persona, model, status, events, \
                 input_tokens + output_tokens AS tokens, cost_nanos, unpriced_events FROM turns",
            );
            push_where(&mut qb, t);
            qb.push(format!(" ORDER BY {order} {dir}, last_event_id {dir} LIMIT ")).push_bind(limit);
            qb.push(" OFFSET ").push_bind(offset);
            let rows: Vec<Row> = qb.build_query_as().fetch_all(pool).await?;
            let mut count = QueryBuilder::new("SELECT COUNT(*) FROM turns");
            push_where(&mut count, t);
            let total: i64 = count.build_query_scalar().fetch_one(pool).await?;
            (rows, total)
        });
        let rows = rows
            .into_iter()
            .map(|r| TurnRow {
                chat_id: r.chat_id,
                turn_id: r.turn_id,
                start_ts: r.first_ts,
                duration_ms: r.last_ts - r.first_ts,
                persona: r.persona,
                model: r.model,
                status: r.status.unwrap_or_else(|| "success".into()),
                events: r.events,
                tokens: r.tokens,
                cost_nanos: r.cost_nanos,
                unpriced_events: r.unpriced_events,
            })
            .collect();
        Ok((rows, total))
    }

    /// Up to `limit` events in `[from, to)` matching `f`, with ids above
    /// `after`, in id order: the export's pages.
    pub async fn export_page(
        &self,
        from: i64,
        to: i64,
        f: &Filters,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let mut q = EventQuery::new(COLUMNS, Order::Id);
        (q.from, q.to, q.after, q.limit) = (Some(from), Some(to), Some(after), Some(limit));
        // The summary's own filters, so an export holds what it counted.
        q.equal = super::rollups::raw_conditions(f);
        self.read_events(q, read_event).await
    }
}
