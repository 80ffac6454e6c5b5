//! Repricing's reads and writes: a range's events page by page, and one
//! page's corrections applied in one transaction — the new prices on the
//! events and the signed corrections to the rollups and the conversation
//! and turn totals, with the same additive upserts ingest uses. A page is
//! either fully corrected or untouched, and a long reprice never holds the
//! writer for long.

use super::archive;
use super::batch::{upsert_rollups, WRITE_LOCK_KEY};
use super::events::{read_event, EventQuery, Order, COLUMNS};
use super::sql::Exec;
use super::{on_writer, Store, StoreError};
use crate::rollup::deltas::Corrections;
use domain::Event;
use sqlx::QueryBuilder;
use std::collections::HashMap;

/// Events per `UPDATE … CASE` statement.
const UPDATE_CHUNK: usize = 300;

impl Store {
    /// Up to `limit` events with `ts` in `[from, to)` and an id above
    /// `after`, in id order.
    pub async fn events_between(&self, from: i64, to: i64, after: i64, limit: i64) -> Result<Vec<Event>, StoreError> {
        let mut q = EventQuery::new(COLUMNS, Order::Id);
        (q.from, q.to, q.after, q.limit) = (Some(from), Some(to), Some(after), Some(limit));
        self.read_events(q, read_event).await
    }

    /// Applies one page's corrections, all or nothing.
    pub async fn apply_corrections(&self, c: &Corrections) -> Result<(), StoreError> {
        if c.events.is_empty() {
            return Ok(());
        }
        let postgres = matches!(self, Store::Postgres(_));
        on_writer!(self, pool => {
            let mut tx = pool.begin().await?;
            if postgres {
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(WRITE_LOCK_KEY).execute(&mut *tx).await?;
            }
            for chunk in c.events.chunks(UPDATE_CHUNK) {
                let mut qb = QueryBuilder::new("UPDATE events SET cost_nanos = CASE id");
                for (id, cost, _) in chunk {
                    qb.push(" WHEN ").push_bind(*id).push(" THEN ").push_bind(*cost);
                }
                qb.push(" END, pricing_id = CASE id");
                for (id, _, pricing_id) in chunk {
                    qb.push(" WHEN ").push_bind(*id).push(" THEN ").push_bind(pricing_id.clone());
                }
                qb.push(" END WHERE id IN (");
                let mut ids = qb.separated(", ");
                for (id, _, _) in chunk {
                    ids.push_bind(*id);
                }
                qb.push(")");
                qb.build().execute(&mut *tx).await?;
            }
            // The archived among them: each block that holds one, rewritten.
            let lo = c.events.iter().map(|(id, _, _)| *id).min().unwrap_or(0);
            let hi = c.events.iter().map(|(id, _, _)| *id).max().unwrap_or(0);
            let blocks: Vec<(i64, Vec<u8>)> = tx.fetch_all(archive::blocks_reaching(Some((lo, hi)), None)).await?;
            let prices: HashMap<i64, (Option<i64>, &Option<String>)> =
                c.events.iter().map(|(id, cost, pricing_id)| (*id, (*cost, pricing_id))).collect();
            for block in blocks {
                let mut events = archive::decode(block.0, &block.1)?;
                let mut changed = false;
                for e in &mut events {
                    if let Some((cost, pricing_id)) = prices.get(&e.id) {
                        (e.cost_nanos, e.pricing_id, changed) = (*cost, (*pricing_id).clone(), true);
                    }
                }
                if changed {
                    sqlx::query("UPDATE event_block_bodies SET body = $1 WHERE first_id = $2")
                        .bind(archive::encode(&events)?)
                        .bind(block.0)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            for (chat, d) in &c.chats {
                sqlx::query("UPDATE conversations SET cost_nanos = cost_nanos + $1, unpriced_events = unpriced_events + $2 WHERE chat_id = $3")
                    .bind(d.cost_nanos)
                    .bind(d.unpriced_events)
                    .bind(chat)
                    .execute(&mut *tx)
                    .await?;
            }
            for ((chat, turn), d) in &c.turns {
                sqlx::query("UPDATE turns SET cost_nanos = cost_nanos + $1, unpriced_events = unpriced_events + $2 WHERE chat_id = $3 AND turn_id = $4")
                    .bind(d.cost_nanos)
                    .bind(d.unpriced_events)
                    .bind(chat)
                    .bind(turn)
                    .execute(&mut *tx)
                    .await?;
            }
            let mut rollups = Vec::new();
            upsert_rollups(&mut rollups, &c.rollups);
            tx.execute_all(rollups).await?;
            tx.commit().await?;
        });
        Ok(())
    }
}
