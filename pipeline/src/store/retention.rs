//! Retention: delete what is older than the cut-off — events, archived
//! ones too, the rollups of whole days before it, conversations and turns
//! that ended before it (and their hours' counts), and spent sessions.
//! Events go in slices, so a large first clean-up never holds the writer
//! for long.

use super::archive;
use super::batch::WRITE_LOCK_KEY;
use super::sql::Exec;
use super::{on_writer, Store, StoreError};
use crate::rollup::Grain;
use serde::Serialize;

const SLICE: i64 = 10_000;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetentionReport {
    pub events: u64,
    pub rollup_rows: u64,
    pub conversations: u64,
    pub turns: u64,
    pub sessions: u64,
}

impl Store {
    /// Deletes data before `cutoff` (epoch ms; callers align it to a day so
    /// rollups and raw events are cut at the same instant).
    pub async fn apply_retention(&self, cutoff: i64, now_ms: i64) -> Result<RetentionReport, StoreError> {
        let mut report = RetentionReport::default();
        loop {
            let n = on_writer!(self, pool => sqlx::query(
                "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ts < $1 ORDER BY id LIMIT $2)",
            )
            .bind(cutoff)
            .bind(SLICE)
            .execute(pool)
            .await?
            .rows_affected());
            report.events += n;
            if n < SLICE as u64 {
                break;
            }
        }
        let postgres = matches!(self, Store::Postgres(_));
        on_writer!(self, pool => {
            let mut tx = pool.begin().await?;
            if postgres {
                // Serialized with ingest's group commits, which move
                // conversations between the hours they end in.
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(WRITE_LOCK_KEY).execute(&mut *tx).await?;
            }
            for g in Grain::ALL {
                for table in [Some(g.table()), g.marginal_table(), Some(g.total_table())].into_iter().flatten() {
                    report.rollup_rows += sqlx::query(&format!("DELETE FROM {table} WHERE bucket < $1"))
                        .bind(cutoff)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                }
            }
            // The conversations that go: the cut-off's hour loses those
            // that end before the cut-off, and earlier hours go whole.
            let hour = Grain::Hour.floor(cutoff);
            sqlx::query(
                "UPDATE conversation_ends SET conversations = conversations - \
                 (SELECT COUNT(*) FROM conversations WHERE last_ts >= $1 AND last_ts < $2) WHERE hour = $1",
            )
            .bind(hour)
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM conversation_ends WHERE hour < $1").bind(hour).execute(&mut *tx).await?;
            let gone = sqlx::query("DELETE FROM conversations WHERE last_ts < $1").bind(cutoff).execute(&mut *tx).await?.rows_affected();
            report.conversations = gone;
            sqlx::query("UPDATE counters SET value = value - $1 WHERE name = 'conversations'")
                .bind(gone as i64)
                .execute(&mut *tx)
                .await?;
            report.turns = sqlx::query("DELETE FROM turns WHERE first_ts < $1").bind(cutoff).execute(&mut *tx).await?.rows_affected();
            // Archived events: blocks wholly before the cut-off go; a block
            // that reaches across it is stored again without the events
            // before it.
            let gone: i64 = sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(events), 0) AS BIGINT) FROM event_blocks WHERE max_ts < $1",
            )
            .bind(cutoff)
            .fetch_one(&mut *tx)
            .await?;
            report.events += gone as u64;
            tx.execute_all(archive::drop_blocks("SELECT first_id FROM event_blocks WHERE max_ts < ", cutoff)).await?;
            let across: Vec<(i64, Vec<u8>)> = tx.fetch_all(archive::blocks_reaching(None, Some(cutoff))).await?;
            for block in across {
                let events = archive::decode(block.0, &block.1)?;
                let kept: Vec<_> = events.iter().filter(|e| e.ts >= cutoff).cloned().collect();
                report.events += (events.len() - kept.len()) as u64;
                tx.execute_all(archive::drop_blocks("SELECT first_id FROM event_blocks WHERE first_id = ", block.0)).await?;
                if !kept.is_empty() {
                    let body = archive::encode(&kept)?;
                    tx.execute_all(archive::store_block(&kept, body)).await?;
                }
            }
            report.sessions = sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR revoked_at IS NOT NULL")
                .bind(now_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
        });
        Ok(report)
    }
}
