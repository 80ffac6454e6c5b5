//! The traffic simulator: turns planned by [`generator`] are played out in
//! real time — each stage event is sent when its stage ends — to a
//! [`Sink`]: a Flowmeter over HTTP, or this process's own ingest pipeline.

pub mod generator;
mod sink;

pub use sink::Sink;

use clap::Args;
use generator::Generator;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{sleep_until, Instant};

#[derive(Clone, Debug, Args)]
pub struct SimOptions {
    /// Conversation turns started per second (on average).
    #[arg(long, default_value_t = 0.5)]
    pub rate: f64,
    /// Stop after this many seconds (default: run until stopped).
    #[arg(long)]
    pub duration: Option<f64>,
    /// Stop after this many turns.
    #[arg(long)]
    pub turns: Option<u64>,
    /// Random seed: the same seed sends the same traffic (default: a new
    /// one each run, so restarts do not reuse conversation ids).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Send every turn at once instead of in real time (tests, backfills),
    /// the whole timeline dated to end now.
    #[arg(long)]
    pub burst: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions { rate: 0.5, duration: None, turns: None, seed: None, burst: false }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("rate must be above 0 (got {0})")]
    BadRate(f64),
    #[error("sending failed: {0}")]
    Send(String),
    #[error("--burst needs --turns or --duration: it sends everything at once")]
    Unbounded,
}

/// Plays turns until `duration`, `turns` or `stop`; returns events sent.
pub async fn run(sink: Sink, opts: SimOptions, stop: impl Future<Output = ()>) -> Result<usize, SimError> {
    if !(opts.rate > 0.0 && opts.rate.is_finite()) {
        return Err(SimError::BadRate(opts.rate));
    }
    let seed = opts.seed.unwrap_or_else(|| domain::time::now_ms() as u64);
    let mut generator = Generator::new(seed);
    let sent = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = opts.duration.map(|s| started + Duration::from_secs_f64(s));
    let mut next = started;
    let mut turns = 0u64;
    let mut in_flight = tokio::task::JoinSet::new();
    tokio::pin!(stop);

    if opts.burst {
        return burst(&sink, &mut generator, &opts).await;
    }
    while opts.turns.is_none_or(|n| turns < n) {
        next += Duration::from_millis(generator.gap_ms(opts.rate));
        if deadline.is_some_and(|d| next > d) {
            break;
        }
        tokio::select! {
            _ = sleep_until(next) => {}
            _ = &mut stop => break,
        }
        let turn = generator.next_turn();
        turns += 1;
        let (sink, sent) = (sink.clone(), sent.clone());
        in_flight.spawn(async move {
            let t0 = Instant::now();
            let wall0 = domain::time::now_ms();
            for mut planned in turn {
                sleep_until(t0 + Duration::from_millis(planned.at_ms)).await;
                planned.body["ts"] = serde_json::json!(wall0 + planned.start_ms as i64);
                sink.send(planned.body).await?;
                sent.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<(), SimError>(())
        });
        // Reap finished turns as we go, surfacing failures in the log.
        while let Some(done) = in_flight.try_join_next() {
            if let Ok(Err(e)) = done {
                tracing::warn!(error = %e, "A simulated turn could not be sent.");
            }
        }
    }
    while in_flight.join_next().await.is_some() {}
    Ok(sent.load(Ordering::Relaxed))
}

/// Sends the same timeline at once, in order, one turn after another (so
/// ids are the same every run), shifted into the past to end now: every
/// timestamp follows from the seed alone and none lies in the future, so a
/// summary read right after sees all of it, the same way each time.
async fn burst(sink: &Sink, generator: &mut Generator, opts: &SimOptions) -> Result<usize, SimError> {
    if opts.turns.is_none() && opts.duration.is_none() {
        return Err(SimError::Unbounded);
    }
    let mut plan = Vec::new();
    let mut offset = 0u64;
    while opts.turns.is_none_or(|n| (plan.len() as u64) < n) {
        offset += generator.gap_ms(opts.rate);
        if opts.duration.is_some_and(|d| offset as f64 > d * 1000.0) {
            break;
        }
        plan.push((offset, generator.next_turn()));
    }
    let end = plan.iter().map(|(at, turn)| at + turn.iter().map(|p| p.at_ms).max().unwrap_or(0)).max().unwrap_or(0);
    let base = domain::time::now_ms() - end as i64;
    let mut sent = 0;
    for (at, turn) in plan {
        for mut planned in turn {
            planned.body["ts"] = serde_json::json!(base + (at + planned.start_ms) as i64);
            sink.send(planned.body).await?;
            sent += 1;
        }
    }
    Ok(sent)
}
