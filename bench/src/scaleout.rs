//! `bench/scaleout`: two replicas on one Postgres and one Redis, behind
//! nginx (`deploy/nginx.conf`), all on this machine. Prints
//!
//! 1. events/s stored through the balancer (batches of 100, 8 in flight),
//!    which spreads them over both replicas;
//! 2. time-to-visible: from the start of a POST to replica A until the event
//!    arrives at each of 100 SSE clients of replica B, with events sent at
//!    2,000 per second (batches of 20 every 10 ms) — p50, p99 and max over
//!    every delivery.
//!
//! With `--one-node`, the time-to-visible of one server as `scripts/run.sh`
//! runs it (SQLite, in-process bus) instead, posting to and streaming from
//! the same server.
//!
//! It asserts nothing: timings on a shared machine are for reading.
//!
//! Run (Postgres, Redis and nginx from Debian's packages; scripts/test.sh's
//! helpers start the first two on their own ports):
//! ```sh
//! source scripts/postgres.sh && pg_start && source scripts/redis.sh && redis_start
//! cargo run --release -p bench --bin scaleout -- \
//!   --database-url "$FLOWMETER_TEST_POSTGRES_URL" --redis-url "$FLOWMETER_TEST_REDIS_URL"
//! ```

use anyhow::Context;
use bench::KEY;
use clap::Parser;
use domain::auth::KeyScope;
use futures::StreamExt;
use serde_json::{json, Value};
use server::config::Config;
use server::Server;
use sqlx::Connection;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Parser)]
struct Args {
    /// A Postgres the bench may create a database on (its admin URL).
    #[arg(long, required_unless_present = "one_node")]
    database_url: Option<String>,
    /// The Redis the replicas share.
    #[arg(long, required_unless_present = "one_node")]
    redis_url: Option<String>,
    /// Instead: one node as `scripts/run.sh` runs it (SQLite, in-process
    /// bus), posting to it and streaming from it.
    #[arg(long)]
    one_node: bool,
    /// SSE clients on replica B.
    #[arg(long, default_value_t = 100)]
    clients: usize,
    /// Events per second sent to replica A while they listen.
    #[arg(long, default_value_t = 2000)]
    rate: usize,
    /// Seconds each phase runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

fn now_ns() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos()
}

/// Event number `i`, stamped with when it was sent.
fn event(i: usize, sent_ns: u128) -> Value {
    bench::event(
        i,
        json!({"usage": {"inputTokens": 1200, "outputTokens": 180}, "meta": {"sentNs": sent_ns.to_string()}}),
    )
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The `sentNs` stamp in an event's JSON, without parsing all of it.
fn sent_ns(data: &str) -> Option<u128> {
    let rest = &data[data.find("\"sentNs\":\"")? + 10..];
    rest[..rest.find('"')?].parse().ok()
}

fn percentile(sorted: &[u128], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize] as f64 / 1e6
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (Some(pg), Some(redis_url)) = (&args.database_url, &args.redis_url) else {
        return one_node(&args).await;
    };
    let name = format!("fm_bench_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(pg).await.context("connecting to Postgres")?;
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
    let database_url = format!("{}/{name}", pg.rsplit_once('/').map_or("", |(b, _)| b));
    let result = run(&args, &database_url, redis_url).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await?;
    result
}

/// One server on a fresh SQLite file: the time from a POST to its arrival
/// at the same server's SSE clients.
async fn one_node(args: &Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = bench::config(format!("sqlite://{}", dir.path().join("bench.db").display()));
    let server = Server::start(config).await.context("starting the server")?;
    let read_key =
        server.state.service.create_api_key("bench", KeyScope::Read, domain::time::now_ms()).await?.plaintext;
    println!("one node on SQLite, in-process bus ({} cores)", std::thread::available_parallelism()?);
    let after = server.state.service.store().last_event_id().await?;
    let url = server.url();
    let outcome = time_to_visible(&reqwest::Client::new(), &url, &url, &read_key, after, args).await;
    server.stop().await;
    outcome
}

async fn run(args: &Args, database_url: &str, redis_url: &str) -> anyhow::Result<()> {
    let config = Config {
        redis_url: Some(redis_url.to_string()),
        redis_stream: format!("bench:{}", std::process::id()),
        ..bench::config(database_url.to_string())
    };
    let a = Server::start(config.clone()).await.context("starting replica A")?;
    let b = Server::start(config).await.context("starting replica B")?;
    let read_key = a.state.service.create_api_key("bench", KeyScope::Read, domain::time::now_ms()).await?.plaintext;

    // nginx in front of both, with the shipped configuration.
    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let conf = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/nginx.conf"))?
        .replace("127.0.0.1:3001", &a.addr.to_string())
        .replace("127.0.0.1:3002", &b.addr.to_string())
        .replace("listen 127.0.0.1:8080", &format!("listen 127.0.0.1:{port}"));
    std::fs::write(dir.path().join("nginx.conf"), conf)?;
    let prefix = dir.path().display().to_string();
    let mut nginx = std::process::Command::new("nginx")
        .args([
            "-p",
            &prefix,
            "-c",
            &format!("{prefix}/nginx.conf"),
            "-g",
            &format!("daemon off; pid {prefix}/nginx.pid;"),
        ])
        .spawn()
        .context("starting nginx (Debian's package)")?;
    let balancer = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.get(format!("{balancer}/api/ping")).send().await.is_err() {
        anyhow::ensure!(Instant::now() < deadline, "nginx did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    println!("two replicas on Postgres + Redis behind nginx ({} cores)", std::thread::available_parallelism()?);
    let outcome = async {
        throughput(&client, &balancer, args.seconds).await?;
        let after = a.state.service.store().last_event_id().await?;
        time_to_visible(&client, &a.url(), &b.url(), &read_key, after, args).await
    }
    .await;
    let _ = nginx.kill();
    let _ = nginx.wait();
    b.stop().await;
    a.stop().await;
    outcome
}

/// Batches of 100, 8 in flight, through the balancer.
async fn throughput(client: &reqwest::Client, balancer: &str, seconds: u64) -> anyhow::Result<()> {
    let stored = Arc::new(AtomicUsize::new(0));
    let end = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..8 {
        let (client, url, stored) = (client.clone(), format!("{balancer}/api/events"), stored.clone());
        workers.push(tokio::spawn(async move {
            let mut i = w * 1_000_000;
            while Instant::now() < end {
                let batch: Vec<Value> = (0..100).map(|k| event(i + k, 0)).collect();
                i += 100;
                let resp = client.post(&url).header("x-api-key", KEY).json(&batch).send().await?;
                anyhow::ensure!(resp.status() == 202, "ingest answered {}", resp.status());
                stored.fetch_add(100, Ordering::Relaxed);
            }
            Ok(())
        }));
    }
    for w in workers {
        w.await??;
    }
    let n = stored.load(Ordering::Relaxed);
    println!(
        "  stored through nginx: {n} events in {:.1} s = {:.0} events/s (batches of 100, 8 in flight)",
        started.elapsed().as_secs_f64(),
        n as f64 / started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `clients` streams on B; events posted to A at `rate`.
async fn time_to_visible(
    client: &reqwest::Client,
    a: &str,
    b: &str,
    read_key: &str,
    after: i64,
    args: &Args,
) -> anyhow::Result<()> {
    let latencies: Arc<Mutex<Vec<u128>>> = Arc::default();
    let mut listeners = Vec::new();
    for _ in 0..args.clients {
        let resp =
            client.get(format!("{b}/api/telemetry/stream?after={after}")).header("x-api-key", read_key).send().await?;
        anyhow::ensure!(resp.status() == 200, "stream answered {}", resp.status());
        // Answered 200: subscribed to the bus already.
        let latencies = latencies.clone();
        listeners.push(tokio::spawn(async move {
            let mut body = resp.bytes_stream();
            let mut buf = String::new();
            while let Some(Ok(chunk)) = body.next().await {
                let arrived = now_ns();
                buf.push_str(&String::from_utf8_lossy(&chunk));
                let mut mine = Vec::new();
                while let Some(end) = buf.find("\n\n") {
                    let block: String = buf.drain(..end + 2).collect();
                    if let Some(sent) = block.lines().find_map(|l| l.strip_prefix("data:")).and_then(sent_ns) {
                        mine.push(arrived.saturating_sub(sent));
                    }
                }
                latencies.lock().unwrap_or_else(|p| p.into_inner()).extend(mine);
            }
        }));
    }
    // The streams start after the newest stored event: only what is sent
    // from here on.
    let per_tick = (args.rate / 100).max(1);
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let end = Instant::now() + Duration::from_secs(args.seconds);
    let mut sent = 0usize;
    let mut inflight = Vec::new();
    while Instant::now() < end {
        tick.tick().await;
        let stamp = now_ns();
        let batch: Vec<Value> = (0..per_tick).map(|k| event(sent + k, stamp)).collect();
        sent += per_tick;
        let req = client.post(format!("{a}/api/events")).header("x-api-key", KEY).json(&batch);
        inflight.push(tokio::spawn(async move { req.send().await.map(|r| r.status().as_u16()) }));
    }
    for r in inflight {
        anyhow::ensure!(r.await?? == 202, "ingest refused a batch");
    }
    tokio::time::sleep(Duration::from_secs(2)).await; // the last deliveries
    for l in &listeners {
        l.abort();
    }
    for l in listeners {
        let _ = l.await;
    }
    let mut all = std::mem::take(&mut *latencies.lock().unwrap_or_else(|p| p.into_inner()));
    all.sort_unstable();
    anyhow::ensure!(!all.is_empty(), "no event reached a stream");
    println!(
        "  time-to-visible, POST → SSE, {} clients, {} events/s for {} s: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} of {} deliveries)",
        args.clients,
        per_tick * 100,
        args.seconds,
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        percentile(&all, 1.0),
        all.len(),
        sent * args.clients,
    );
    Ok(())
}
