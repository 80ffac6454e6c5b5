//! Moves events older than `archive_after_days` (default 2), by their time
//! and by their arrival, into the archive's compressed blocks, every ten
//! minutes, on one replica. A run moves a block at a time, each its own
//! transaction (about 15 ms under the write lock), then waits twice as
//! long as the block took: ingest keeps at least two thirds of the
//! writer's time while a run lasts. A run stops after [`BUDGET`]; a large
//! first backlog takes a few runs (about 15,000 events a second while one
//! lasts).

use domain::time;
use pipeline::rollup::Grain;
use pipeline::service::Service;
use pipeline::store::{ArchiveRun, StoreError};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

const EVERY: Duration = Duration::from_secs(600);
const FIRST_AFTER: Duration = Duration::from_secs(30);
/// How long one run keeps moving blocks.
const BUDGET: Duration = Duration::from_secs(300);

/// Moves every event older than `days` into blocks, or as many as
/// [`BUDGET`] allows. Returns how many it moved.
pub async fn run_once(service: &Service, days: i64) -> Result<u64, StoreError> {
    let mut run = ArchiveRun::new(time::now_ms() - days * Grain::Day.ms());
    let started = Instant::now();
    let mut moved = 0;
    loop {
        let block = Instant::now();
        moved += service.store().archive_block(&mut run).await?;
        if run.done() || started.elapsed() > BUDGET {
            return Ok(moved);
        }
        tokio::time::sleep(2 * block.elapsed()).await;
    }
}

/// Runs every ten minutes on the replica that holds the `archive` lease;
/// with `days` 0, never.
pub fn spawn(service: Service, days: i64) -> JoinHandle<()> {
    tokio::spawn(async move {
        if days == 0 {
            return;
        }
        tokio::time::sleep(FIRST_AFTER).await;
        let lease_ms = (EVERY - FIRST_AFTER).as_millis() as i64;
        loop {
            match service.leads("archive", lease_ms).await {
                Ok(true) => match run_once(&service, days).await {
                    Ok(0) => {}
                    Ok(events) => tracing::info!(days, events, "Events archived."),
                    Err(e) => tracing::error!(error = %e, "Archiving failed; will retry."),
                },
                Ok(false) => tracing::debug!("Archiving runs on another replica."),
                Err(e) => tracing::error!(error = %e, "Archive lease unavailable; will retry."),
            }
            tokio::time::sleep(EVERY).await;
        }
    })
}
