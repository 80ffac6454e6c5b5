//! `bench/ingest`: how fast events are stored through the real HTTP path
//! (parse → validate → SQLite commit → bus → 202), for batches of 1, 100
//! and 1000 events, then OTLP protobuf spans in batches of 512 (what the
//! SDKs' batch processors send) through `POST /v1/traces`. Prints events/s
//! and request latency percentiles, then the process's memory and the
//! database's bytes per stored event; it asserts nothing (timings on
//! shared machines are for reading, not gating).
//!
//! Run: `cargo run --release -p bench --bin ingest -- [--concurrency 4] [--batches 1,100,1000] [--otlp-batch 512] [--database-url URL] [--preload 1000000]`
//! (or `--url http://host:port` with `FLOWMETER_API_KEY` to measure a running server).
//!
//! Events spread over ~1000 conversations, so every batch inserts into many
//! places of the `(chat_id, id)` index: throughput falls as the table grows
//! (SQLite writes each touched index page to its WAL once per commit). The
//! "rows before" column says how large the table was for each phase.

use anyhow::Context;
use bench::KEY;
use clap::Parser;
use serde_json::{json, Value};
use server::Server;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Database to store into (default: a fresh SQLite file).
    #[arg(long)]
    database_url: Option<String>,
    /// Measure an already running server instead of starting one here
    /// (its key goes in FLOWMETER_API_KEY).
    #[arg(long)]
    url: Option<String>,
    /// Scale the number of events per run (1.0 ≈ 20–40 s in all).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Store this many events first (straight into the store, not timed),
    /// to measure on a table that is already large.
    #[arg(long, default_value_t = 0)]
    preload: usize,
    /// Which phases to run, by events per request.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 100, 1000])]
    batches: Vec<usize>,
    /// Spans per OTLP request in the OTLP phase (0: no OTLP phase).
    #[arg(long, default_value_t = 512)]
    otlp_batch: usize,
}

/// How a phase sends its events.
#[derive(Clone, Copy, PartialEq)]
enum Wire {
    Native,
    Otlp,
}

/// Event number `i`, priced (usage in OpenAI's shape, half of it cached).
fn event(i: usize) -> Value {
    bench::event(
        i,
        json!({
            "persona": "sage",
            "provider": "openai",
            "usage": {"prompt_tokens": 1200, "completion_tokens": 180, "prompt_tokens_details": {"cached_tokens": 600}},
            "meta": {"bench": true}
        }),
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let database_url = bench::database_url(args.database_url.clone(), &dir);
    let config = bench::config(database_url.clone());
    let (server, base, key) = match &args.url {
        Some(url) => (None, url.trim_end_matches('/').to_string(), std::env::var("FLOWMETER_API_KEY")?),
        None => {
            let server = Server::start(config).await.context("starting the server")?;
            let base = server.url();
            (Some(server), base, KEY.to_string())
        }
    };
    if let Some(server) = &server {
        preload(server, args.preload).await?;
    }
    let client = reqwest::Client::new();
    let backend = server.as_ref().map_or("external server", |s| s.state.service.store().backend());
    println!("bench/ingest: {backend}, concurrency {}, HTTP on loopback", args.concurrency);
    println!(
        "{:>6} {:>9} {:>12} {:>10} {:>10} {:>12}",
        "batch", "events", "events/s", "p50 ms", "p99 ms", "rows before"
    );

    let mut phases: Vec<(Wire, usize, usize)> = [(1usize, 3_000usize), (100, 200_000), (1000, 400_000)]
        .into_iter()
        .filter(|(b, _)| args.batches.contains(b))
        .map(|(b, n)| (Wire::Native, b, n))
        .collect();
    if args.otlp_batch > 0 {
        phases.push((Wire::Otlp, args.otlp_batch, 200_000));
    }
    for (wire, batch, base_events) in phases {
        let events = ((base_events as f64 * args.scale) as usize).max(batch * args.concurrency);
        let requests = events / batch;
        // Bodies are built before the clock starts: we time the server.
        let bodies: Vec<Vec<u8>> = (0..requests)
            .map(|r| match wire {
                Wire::Native => {
                    let items: Vec<Value> = (0..batch).map(|i| event(r * batch + i)).collect();
                    Value::Array(items).to_string().into_bytes()
                }
                Wire::Otlp => bench::otlp::request(r * batch, batch),
            })
            .collect();
        let (url, content_type, ok) = match wire {
            Wire::Native => (format!("{base}/api/events"), "application/json", 202),
            Wire::Otlp => (format!("{base}/v1/traces"), "application/x-protobuf", 200),
        };
        let rows_before = match &server {
            Some(s) => s.state.service.store().count_events().await?.to_string(),
            None => "?".into(),
        };
        let per_worker = bodies.len().div_ceil(args.concurrency);
        let t0 = Instant::now();
        let mut workers = Vec::new();
        for chunk in bodies.chunks(per_worker).map(<[Vec<u8>]>::to_vec) {
            let (client, url, key) = (client.clone(), url.clone(), key.clone());
            workers.push(tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(chunk.len());
                for body in chunk {
                    let start = Instant::now();
                    let resp = client
                        .post(&url)
                        .header("x-api-key", &key)
                        .header("content-type", content_type)
                        .body(body)
                        .send()
                        .await?;
                    anyhow::ensure!(resp.status() == ok, "status {}", resp.status());
                    resp.bytes().await?;
                    latencies.push(start.elapsed());
                }
                Ok::<_, anyhow::Error>(latencies)
            }));
        }
        let mut latencies = Vec::with_capacity(requests);
        for w in workers {
            latencies.extend(w.await??);
        }
        let elapsed = t0.elapsed();
        latencies.sort_unstable();
        let stored = requests * batch;
        println!(
            "{:>6} {:>9} {:>12.0} {:>10.2} {:>10.2} {:>12}",
            match wire {
                Wire::Native => batch.to_string(),
                Wire::Otlp => format!("otlp {batch}"),
            },
            stored,
            stored as f64 / elapsed.as_secs_f64(),
            percentile(&latencies, 0.50).as_secs_f64() * 1e3,
            percentile(&latencies, 0.99).as_secs_f64() * 1e3,
            rows_before,
        );
    }
    if let Some(server) = server {
        let total = server.state.service.store().count_events().await?;
        println!("stored in all: {total} events");
        println!("process memory (client and server): {}", memory());
        server.stop().await;
        bench::print_disk(&database_url, total as usize).await?;
    }
    Ok(())
}

/// Stores `n` events through the store in batches of 10,000 (untimed).
async fn preload(server: &Server, n: usize) -> anyhow::Result<()> {
    let store = server.state.service.store();
    let now = domain::time::now_ms();
    let mut done = 0;
    while done < n {
        let batch: Vec<domain::Event> = (done..(done + 10_000).min(n))
            .map(|i| {
                let (chat, turn) = (format!("pre-{}", i % 997), format!("pre-t-{}", i / 6));
                let mut e = domain::testing::ev(0, &chat, &turn, "response", domain::Status::Success);
                e.ts = now - (n - i) as i64; // one a millisecond, up to now
                e.received_at = e.ts;
                e.model = Some("gpt-4o-mini".into());
                e
            })
            .collect();
        done += batch.len();
        store.insert_events(batch).await?;
    }
    Ok(())
}

/// `VmRSS` now and `VmHWM` (the peak) of this process, from /proc.
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
    };
    match (field("VmRSS:"), field("VmHWM:")) {
        (Some(rss), Some(peak)) => format!("RSS {} MiB, peak {} MiB", rss / 1024, peak / 1024),
        _ => "unknown (no /proc)".into(),
    }
}
