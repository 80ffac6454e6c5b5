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
//! the same server. With `--gzip` the SSE clients ask for gzip, as
//! browsers do, and decode each chunk as it arrives.
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
use bench::live::{self, time_to_visible, Load};
use bench::KEY;
use clap::Parser;
use domain::auth::KeyScope;
use serde_json::Value;
use server::config::Config;
use server::Server;
use sqlx::Connection;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    /// The SSE clients ask for gzip, as browsers do.
    #[arg(long)]
    gzip: bool,
}

impl Args {
    fn load(&self) -> Load {
        Load { clients: self.clients, rate: self.rate, seconds: self.seconds, gzip: self.gzip }
    }
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
    let read_key = read_key(&server).await?;
    println!("one node on SQLite, in-process bus ({} cores)", std::thread::available_parallelism()?);
    let after = server.state.service.store().last_event_id().await?;
    let url = server.url();
    let outcome =
        time_to_visible(&reqwest::Client::new(), &url, &url, ("x-api-key", &read_key), after, &args.load()).await;
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
    let read_key = read_key(&a).await?;

    // nginx in front of both, with the shipped configuration.
    let dir = tempfile::tempdir()?;
    let port = bench::free_port()?;
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
        time_to_visible(&client, &a.url(), &b.url(), ("x-api-key", &read_key), after, &args.load()).await
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
                let batch: Vec<Value> = (0..100).map(|k| live::event(i + k, 0)).collect();
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

/// A read key for the benchmark's streams, made as the operator would.
async fn read_key(server: &Server) -> anyhow::Result<String> {
    let operator = pipeline::service::Viewer::command_line();
    let key =
        server.state.service.create_api_key(&operator, "bench", KeyScope::Read, None, domain::time::now_ms()).await?;
    Ok(key.plaintext)
}
