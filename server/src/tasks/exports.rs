//! Export jobs' upkeep, every 30 s on every replica (each update is safe
//! to repeat): jobs whose runner stopped reporting are failed, with the
//! reason, and files are deleted a day after their job ended. At start, a
//! server alone on its SQLite file fails every open job at once: their
//! runner was this process, before it restarted.

use domain::exports::STALE_MS;
use domain::time;
use pipeline::service::Service;
use std::time::Duration;
use tokio::task::JoinHandle;

const EVERY: Duration = Duration::from_secs(30);

async fn tidy(service: &Service, now: i64) {
    match service.tidy_exports(now).await {
        Ok((0, 0)) => {}
        Ok((failed, expired)) => tracing::info!(failed, expired, "Export jobs tidied."),
        Err(e) => tracing::error!(error = %e, "Export jobs could not be tidied; will retry."),
    }
}

pub fn spawn(service: Service) -> JoinHandle<()> {
    tokio::spawn(async move {
        // Alone on SQLite, every open job was this process's: fail them now
        // (as if their last report were a minute older than it is).
        let now = time::now_ms();
        let alone = matches!(service.store(), pipeline::store::Store::Sqlite { .. });
        tidy(&service, if alone { now + STALE_MS } else { now }).await;
        let mut tick = tokio::time::interval(EVERY);
        tick.tick().await;
        loop {
            tick.tick().await;
            tidy(&service, time::now_ms()).await;
        }
    })
}
