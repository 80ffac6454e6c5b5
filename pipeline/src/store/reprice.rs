//! Repricing: recompute the cost of every event in a time range with the
//! current table, and correct the rollups and conversation totals by the
//! difference (and the conversation and turn totals) — the same additive
//! upserts ingest uses, with signed amounts.
//! Each page of events is its own transaction: a long reprice never blocks
//! ingest for long, and a page is either fully corrected or untouched.

use super::batch::upsert_rollups;
use super::events::{into_events, EventRow, COLUMNS};
use super::{on_writer, Store, StoreError};
use domain::pricing::RepriceReport;
use domain::Event;
use crate::price::{cost, PriceTable};
use crate::rollup::{Dims, Grain, Metrics};
use sqlx::QueryBuilder;
use std::collections::BTreeMap;

const PAGE: i64 = 1000;
const UPDATE_CHUNK: usize = 300;

impl Store {
    pub async fn reprice(&self, table: &PriceTable, from: i64, to: i64) -> Result<RepriceReport, StoreError> {
        let mut report = RepriceReport::default();
        let mut after = 0i64;
        loop {
            let sql =
                format!("SELECT {COLUMNS} FROM events WHERE ts >= $1 AND ts < $2 AND id > $3 ORDER BY id LIMIT $4");
            let page: Vec<Event> = {
                let rows: Vec<EventRow> = super::on_pool!(self, pool => sqlx::query_as(&sql)
                    .bind(from)
                    .bind(to)
                    .bind(after)
                    .bind(PAGE)
                    .fetch_all(pool)
                    .await?);
                into_events(rows)?
            };
            let Some(last) = page.last() else { break };
            after = last.id;
            let full = page.len() as i64 == PAGE;
            self.reprice_page(table, page, &mut report).await?;
            if !full {
                break;
            }
        }
        Ok(report)
    }

    async fn reprice_page(
        &self,
        table: &PriceTable,
        page: Vec<Event>,
        report: &mut RepriceReport,
    ) -> Result<(), StoreError> {
        let mut changed: Vec<(Event, Event)> = Vec::new();
        for old in page {
            report.scanned += 1;
            report.unpriced_before += i64::from(old.cost_nanos.is_none());
            let mut new = old.clone();
            cost::apply(table, &mut new);
            report.unpriced_after += i64::from(new.cost_nanos.is_none());
            if (new.cost_nanos, &new.pricing_id) != (old.cost_nanos, &old.pricing_id) {
                report.changed += 1;
                report.delta_nanos += new.cost_nanos.unwrap_or(0) - old.cost_nanos.unwrap_or(0);
                changed.push((old, new));
            }
        }
        if changed.is_empty() {
            return Ok(());
        }

        // Signed corrections: remove the old outcome, add the new one.
        let mut rollups: BTreeMap<crate::rollup::Key, Metrics> = BTreeMap::new();
        let mut chats: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut turns: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
        for (old, new) in &changed {
            let mut m = Metrics::default();
            m.set_cost(old.cost_nanos, old.usage.total(), -1);
            m.set_cost(new.cost_nanos, new.usage.total(), 1);
            for g in Grain::ALL {
                rollups.entry((g, g.floor(new.ts), Dims::of(new))).or_default().add(&m);
            }
            let c = chats.entry(new.chat_id.clone()).or_default();
            c.0 += m.cost_nanos;
            c.1 += m.unpriced_events;
            let (chat, turn) = new.turn_key();
            let t = turns.entry((chat.to_string(), turn.to_string())).or_default();
            t.0 += m.cost_nanos;
            t.1 += m.unpriced_events;
        }

        let postgres = matches!(self, Store::Postgres(_));
        on_writer!(self, pool => {
            let mut tx = pool.begin().await?;
            if postgres {
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(super::batch::WRITE_LOCK_KEY).execute(&mut *tx).await?;
            }
            for chunk in changed.chunks(UPDATE_CHUNK) {
                let mut qb = QueryBuilder::new("UPDATE events SET cost_nanos = CASE id");
                for (_, e) in chunk {
                    qb.push(" WHEN ").push_bind(e.id).push(" THEN ").push_bind(e.cost_nanos);
                }
                qb.push(" END, pricing_id = CASE id");
                for (_, e) in chunk {
                    qb.push(" WHEN ").push_bind(e.id).push(" THEN ").push_bind(e.pricing_id.clone());
                }
                qb.push(" END WHERE id IN (");
                let mut ids = qb.separated(", ");
                for (_, e) in chunk {
                    ids.push_bind(e.id);
                }
                qb.push(")");
                qb.build().execute(&mut *tx).await?;
            }
            for (chat, (cost, unpriced)) in &chats {
                sqlx::query("UPDATE conversations SET cost_nanos = cost_nanos + $1, unpriced_events = unpriced_events + $2 WHERE chat_id = $3")
                    .bind(cost)
                    .bind(unpriced)
                    .bind(chat)
                    .execute(&mut *tx)
                    .await?;
            }
            for ((chat, turn), (cost, unpriced)) in &turns {
                sqlx::query("UPDATE turns SET cost_nanos = cost_nanos + $1, unpriced_events = unpriced_events + $2 WHERE chat_id = $3 AND turn_id = $4")
                    .bind(cost)
                    .bind(unpriced)
                    .bind(chat)
                    .bind(turn)
                    .execute(&mut *tx)
                    .await?;
            }
            upsert_rollups!(tx, &rollups);
            tx.commit().await?;
        });
        Ok(())
    }
}
