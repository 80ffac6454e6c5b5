//! `bench/ingest`: how fast events are stored through the real HTTP path
//! (parse → validate → SQLite commit → bus → 202), for batches of 1, 100
//! and 1000 events. Prints events/s and request latency percentiles; it
//! asserts nothing (timings on shared machines are for reading, not gating).
//!
//! Run: `cargo run --release -p bench --bin ingest -- [--concurrency 4] [--database-url URL]`

use anyhow::Context;
use clap::Parser;
use serde_json::{json, Value};
use server::config::Config;
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
    /// Scale the number of events per run (1.0 ≈ 20–40 s in all).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
}

const KEY: &str = "bench-key";

const STAGES: [&str; 6] = ["buffer", "intent", "persona", "tools", "response", "send"];

fn event(i: usize) -> Value {
    json!({
        "chatId": format!("chat-{}", i % 997),
        "turnId": format!("t-{}", i / 6),
        "stage": STAGES[i % 6],
        "durationMs": 100 + (i % 900),
        "persona": "sage",
        "model": "gpt-4o-mini",
        "provider": "openai",
        "usage": {"prompt_tokens": 1200, "completion_tokens": 180, "prompt_tokens_details": {"cached_tokens": 600}},
        "meta": {"bench": true}
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let database_url =
        args.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let config = Config {
        address: "127.0.0.1:0".parse()?,
        database_url: database_url.clone(),
        ingest_api_keys: vec![KEY.into()],
        simulator: false,
        max_body_bytes: 64 * 1024 * 1024,
        ..Config::default()
    };
    let server = Server::start(config).await.context("starting the server")?;
    let url = format!("{}/api/events", server.url());
    let client = reqwest::Client::new();
    let backend = server.state.store.backend();
    println!("bench/ingest: {backend}, concurrency {}, HTTP on loopback", args.concurrency);
    println!("{:>6} {:>9} {:>12} {:>10} {:>10}", "batch", "events", "events/s", "p50 ms", "p99 ms");

    for (batch, base_events) in [(1usize, 3_000usize), (100, 200_000), (1000, 400_000)] {
        let events = ((base_events as f64 * args.scale) as usize).max(batch * args.concurrency);
        let requests = events / batch;
        // Bodies are built before the clock starts: we time the server.
        let bodies: Vec<String> = (0..requests)
            .map(|r| {
                let items: Vec<Value> = (0..batch).map(|i| event(r * batch + i)).collect();
                Value::Array(items).to_string()
            })
            .collect();
        let per_worker = bodies.len().div_ceil(args.concurrency);
        let t0 = Instant::now();
        let mut workers = Vec::new();
        for chunk in bodies.chunks(per_worker).map(<[String]>::to_vec) {
            let (client, url) = (client.clone(), url.clone());
            workers.push(tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(chunk.len());
                for body in chunk {
                    let start = Instant::now();
                    let resp = client
                        .post(&url)
                        .header("x-api-key", KEY)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await?;
                    anyhow::ensure!(resp.status() == 202, "status {}", resp.status());
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
            "{:>6} {:>9} {:>12.0} {:>10.2} {:>10.2}",
            batch,
            stored,
            stored as f64 / elapsed.as_secs_f64(),
            percentile(&latencies, 0.50).as_secs_f64() * 1e3,
            percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        );
    }
    let total = server.state.store.count_events().await?;
    println!("stored in all: {total} events");
    server.stop().await;
    Ok(())
}
