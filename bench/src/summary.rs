//! `bench/summary`: how fast summaries answer on a large store. Loads N
//! simulated events (realistic turns from the simulator's generator, spread
//! over the last 30 days) through the ingest pipeline, then times the 24 h
//! and 30 d summaries (and 1 h, 7 d): p50 and p95 over `--calls` calls,
//! each window ending 7 s before the last. Each range is timed twice: read
//! afresh (a new memo per call: what a first view costs) and kept (one memo
//! for all calls, as the server keeps it: what a refresh costs). It prints
//! figures and asserts nothing. Last, replays of older (archived) and of
//! the latest conversations.
//!
//! Once loaded, it archives what is older than `--archive-after-days` (2,
//! as the server does; 0: nothing), timing it, and prints each table's
//! and index's bytes per event.
//!
//! Run: `cargo run --release -p bench --bin summary -- --events 1000000 [--database-url URL]`
//! (`--reuse` skips loading when the database already holds the events;
//! `--order time` loads history oldest first, as live traffic arrives,
//! instead of scattered over the month; `--backfill N` then loads N more
//! of the month's events arriving now, as an import of old traffic would,
//! which the archive must pass over).

use anyhow::Context;
use clap::Parser;
use pipeline::summary::memo::Memo;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// Events to load.
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// Calls per summary range.
    #[arg(long, default_value_t = 100)]
    calls: usize,
    /// Database (default: a fresh SQLite file in a temporary directory).
    #[arg(long)]
    database_url: Option<String>,
    /// Use the events already in the database instead of loading.
    #[arg(long)]
    reuse: bool,
    /// Archive the events older than this many days first (0: none).
    #[arg(long, default_value_t = 2)]
    archive_after_days: i64,
    /// The order history is loaded in.
    #[arg(long, value_enum, default_value_t = bench::history::Order::Scattered)]
    order: bench::history::Order,
    /// Then this many more events of the same month, scattered over it,
    /// arriving now: a backfill too young to archive.
    #[arg(long, default_value_t = 0)]
    backfill: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let url = bench::database_url(args.database_url.clone(), &dir);
    let store = pipeline::store::Store::connect(&url).await.context("opening the database")?;
    let pricing = pipeline::price::Pricing::new(pipeline::price::PriceTable::load(None)?);
    let ingestor =
        pipeline::ingest::Ingestor::new(store.clone(), pipeline::bus::Bus::default(), pricing, Default::default());
    let now = domain::time::now_ms();

    if !args.reuse {
        let t0 = Instant::now();
        let mut loaded = 0usize;
        let history = bench::history::batches(args.events, 5_000, now, args.order).map(|b| (b, args.order));
        let backfill = bench::history::batches(args.backfill, 5_000, now, bench::history::Order::Scattered)
            .map(|b| (b, bench::history::Order::Scattered));
        for (batch, order) in history.chain(backfill) {
            loaded += batch.len();
            // In time order the events arrive as live traffic does, a
            // second after the batch's newest (and so are archived once
            // they are old); out of order they are a backfill arriving now.
            let newest = batch.iter().filter_map(|e| e["ts"].as_i64()).max().unwrap_or(now);
            let arrived = match order {
                bench::history::Order::Time => (newest + 1_000).min(now),
                bench::history::Order::Scattered => now,
            };
            ingestor.ingest_values(batch, None, arrived).await?;
            if loaded % 500_000 < 5_000 {
                eprintln!("  loaded {loaded} events ({:.0}/s)", loaded as f64 / t0.elapsed().as_secs_f64());
            }
        }
        println!(
            "bench/summary: loaded {loaded} events into {} in {:.1} s ({:.0} events/s)",
            store.backend(),
            t0.elapsed().as_secs_f64(),
            loaded as f64 / t0.elapsed().as_secs_f64()
        );
    }
    if args.archive_after_days > 0 {
        let t0 = Instant::now();
        let mut run = pipeline::store::ArchiveRun::new(now - args.archive_after_days * 86_400_000);
        let mut moved = 0;
        while !run.done() {
            moved += store.archive_block(&mut run).await?;
        }
        let secs = t0.elapsed().as_secs_f64();
        println!(
            "bench/summary: archived {moved} events older than {} days in {secs:.1} s ({:.0} events/s)",
            args.archive_after_days,
            moved as f64 / secs
        );
    }
    let stored = store.count_events().await?;
    bench::print_relations(&url, stored, args.archive_after_days > 0).await?;
    println!("bench/summary: {} events in {}, {} calls per range", stored, store.backend(), args.calls);
    println!("{:>6} {:>8} {:>10} {:>10} {:>10}", "range", "reads", "p50 ms", "p95 ms", "max ms");
    for range in ["1h", "24h", "7d", "30d"] {
        let q = domain::summary::SummaryQuery { range: Some(range.into()), ..Default::default() };
        for kept in [false, true] {
            let memo = Memo::default();
            pipeline::summary::summarize(&store, &memo, &q, now).await?; // warm the caches
            let mut times = Vec::with_capacity(args.calls);
            for i in 0..args.calls {
                let fresh = Memo::default();
                let memo = if kept { &memo } else { &fresh };
                // A window ending at a different instant each call, so edges vary.
                let t = Instant::now();
                pipeline::summary::summarize(&store, memo, &q, now - (i as i64) * 7_001).await?;
                times.push(t.elapsed());
            }
            times.sort_unstable();
            println!(
                "{:>6} {:>8} {:>10.2} {:>10.2} {:>10.2}",
                range,
                if kept { "kept" } else { "afresh" },
                percentile(&times, 0.50).as_secs_f64() * 1e3,
                percentile(&times, 0.95).as_secs_f64() * 1e3,
                times.last().unwrap().as_secs_f64() * 1e3
            );
        }
    }
    replays(&store, &url, now - args.archive_after_days.max(1) * 86_400_000, args.calls).await
}

/// Replays (a conversation's events, up to 1,000) of conversations that
/// ended before `cutoff` (archived, when the archive ran) and of the
/// latest ones: p50 and p95 of `calls` each.
async fn replays(store: &pipeline::store::Store, url: &str, cutoff: i64, calls: usize) -> anyhow::Result<()> {
    let older = "SELECT chat_id FROM conversations WHERE last_ts < $1 ORDER BY last_ts DESC LIMIT $2";
    let latest = "SELECT chat_id FROM conversations WHERE last_ts >= $1 ORDER BY last_ts DESC LIMIT $2";
    println!("{:>8} {:>10} {:>10} {:>8}", "replays", "p50 ms", "p95 ms", "events");
    for (label, sql) in [("older", older), ("latest", latest)] {
        let chats: Vec<String> = if url.starts_with("postgres") {
            let pool = sqlx::PgPool::connect(url).await?;
            sqlx::query_scalar(sql).bind(cutoff).bind(calls as i64).fetch_all(&pool).await?
        } else {
            let pool = sqlx::SqlitePool::connect(url).await?;
            sqlx::query_scalar(sql).bind(cutoff).bind(calls as i64).fetch_all(&pool).await?
        };
        let (mut times, mut events) = (Vec::new(), 0);
        for chat in &chats {
            let t = Instant::now();
            events += store.conversation_events(chat, 1000).await?.len();
            times.push(t.elapsed());
        }
        times.sort_unstable();
        if !times.is_empty() {
            println!(
                "{:>8} {:>10.2} {:>10.2} {:>8}",
                label,
                percentile(&times, 0.50).as_secs_f64() * 1e3,
                percentile(&times, 0.95).as_secs_f64() * 1e3,
                events / times.len()
            );
        }
    }
    Ok(())
}
