//! Deletes data older than the retention (default 30 days, changed in the
//! admin area) once an hour, logging what it removed.

use domain::time;
use pipeline::rollup::Grain;
use pipeline::service::Service;
use std::time::Duration;
use tokio::task::JoinHandle;

const EVERY: Duration = Duration::from_secs(3600);
const FIRST_AFTER: Duration = Duration::from_secs(60);

/// The cut-off for `days` of retention: the start of the UTC day `days`
/// before now, so whole days of rollups and their raw events go together.
pub fn cutoff(now_ms: i64, days: i64) -> i64 {
    Grain::Day.floor(now_ms - days * Grain::Day.ms())
}

pub async fn run_once(service: &Service) {
    let days = service.retention_days();
    let now = time::now_ms();
    match service.store().apply_retention(cutoff(now, days), now).await {
        Ok(r) => tracing::info!(
            days,
            events = r.events,
            rollup_rows = r.rollup_rows,
            conversations = r.conversations,
            turns = r.turns,
            sessions = r.sessions,
            "Retention applied."
        ),
        Err(e) => tracing::error!(error = %e, "Retention failed; will retry."),
    }
}

/// Runs hourly on one replica: the one that holds the `retention` lease
/// (taken for a little under the hour, so it passes on if that one stops).
pub fn spawn(service: Service) -> JoinHandle<()> {
    tokio::spawn(async move {
        tokio::time::sleep(FIRST_AFTER).await;
        let lease_ms = (EVERY - FIRST_AFTER).as_millis() as i64;
        loop {
            match service.leads("retention", lease_ms).await {
                Ok(true) => run_once(&service).await,
                Ok(false) => tracing::debug!("Retention runs on another replica."),
                Err(e) => tracing::error!(error = %e, "Retention lease unavailable; will retry."),
            }
            tokio::time::sleep(EVERY).await;
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn cutoff_is_a_day_boundary() {
        let day = 86_400_000;
        assert_eq!(super::cutoff(100 * day + 5_000, 30), 70 * day);
    }
}
