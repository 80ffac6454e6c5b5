//! `bench/footprint`: the release server as its own process, the way
//! `scripts/run.sh` runs it, on a store that grows to N events. Prints
//!
//! 1. the server's RSS on an empty store, right after it starts and once
//!    it has compressed the site's assets (idle);
//! 2. the time to load N events of simulated history (a month of realistic
//!    turns) through its HTTP ingest, and its RSS after that, idle again;
//! 3. how long the server takes to render `/`, `/costs` (admin), `/replay`
//!    and the largest conversation's `/replay/{chat}`: p50 and p95 of the
//!    full response over `--calls` requests each (server-side rendering
//!    with its data; nothing runs in a browser);
//! 4. its RSS under the live load of `bench/scaleout --one-node` (100 SSE
//!    clients, 2,000 events/s; with `--gzip` the clients ask for gzip, as
//!    browsers do) and that load's time to visible;
//! 5. `/` and `/costs` rendered again right after that load, while the
//!    current minute holds its events (a busy dashboard's usual state),
//!    the RSS after them, and the peak RSS of the whole run.
//!
//! RSS is the server process's `VmRSS` (and `VmHWM`, its peak) from
//! /proc. It asserts nothing: figures on a shared machine are for reading.
//!
//! Run (the server binary first, from the same tree):
//! ```sh
//! cargo build --release -p server
//! cargo run --release -p bench --bin footprint -- --events 10000000 [--database-url postgres://…/db]
//! ```
//! A Postgres database is used as given (`--reuse` keeps what it holds).

use anyhow::Context;
use bench::live::{time_to_visible, Load};
use bench::KEY;
use clap::Parser;
use serde_json::Value;
use server::http::assets::{Assets, MAX_COMPRESSED};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// Events to load through the server.
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// Database (default: a fresh SQLite file in a temporary directory).
    #[arg(long)]
    database_url: Option<String>,
    /// Load nothing: the database holds its events already.
    #[arg(long)]
    reuse: bool,
    /// The server binary (default: `server` beside this one).
    #[arg(long)]
    server: Option<PathBuf>,
    /// Requests per page for the render times.
    #[arg(long, default_value_t = 20)]
    calls: usize,
    /// Seconds of live load.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// The live load's SSE clients ask for gzip, as browsers do.
    #[arg(long)]
    gzip: bool,
}

const EMAIL: &str = "bench@flowmeter.local";
const PASSWORD: &str = "bench password 1";

/// The server process; stopped when dropped, as an operator stops it
/// (SIGTERM: a graceful shutdown, which checkpoints SQLite's WAL).
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let stopped = Command::new("kill").arg(self.0.id().to_string()).status().is_ok_and(|s| s.success());
        if !stopped {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

impl Process {
    /// `VmRSS` and `VmHWM` (peak), in MiB.
    fn memory(&self) -> (f64, f64) {
        rss_of(self.0.id())
    }
}

/// `VmRSS` and `VmHWM` (peak) of process `pid`, in MiB.
fn rss_of(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .map_or(f64::NAN, |kib| kib / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Waits until the server sends every file under the site's
/// [`Assets::DIRS`] compressed (it compresses them in the background after a
/// start), and says how many there are.
async fn assets_compressed(client: &reqwest::Client, base: &str, site: &str) -> anyhow::Result<usize> {
    let mut names = Vec::new();
    for dir in Assets::DIRS {
        for entry in std::fs::read_dir(format!("{site}/{dir}"))?.flatten() {
            // The server sends larger files (a debug build's WASM) as they are.
            if entry.metadata()?.len() <= MAX_COMPRESSED {
                names.push(format!("{dir}/{}", entry.file_name().to_string_lossy()));
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    for name in &names {
        loop {
            let r = client.get(format!("{base}/{name}")).header("accept-encoding", "br").send().await?;
            anyhow::ensure!(r.status().is_success(), "{name}: {}", r.status());
            let typed = r.headers().get("vary").is_some(); // a type it compresses
            if !typed || r.headers().get("content-encoding").is_some() {
                break;
            }
            anyhow::ensure!(Instant::now() < deadline, "{name} was not compressed within 300 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(names.len())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let database_url = bench::database_url(args.database_url.clone(), &dir);
    let binary = match &args.server {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("server"),
    };
    anyhow::ensure!(binary.exists(), "no server binary at {} (cargo build --release -p server)", binary.display());
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let port = bench::free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let env = [
        ("FLOWMETER_CONFIG", dir.path().join("none.toml").display().to_string()),
        ("DATABASE_URL", database_url.clone()),
        ("FLOWMETER_ADDRESS", format!("127.0.0.1:{port}")),
        ("INGEST_API_KEYS", KEY.to_string()),
        ("SIMULATOR_ENABLED", "false".into()),
        ("LEPTOS_SITE_ROOT", "target/site".into()),
        ("LEPTOS_ENV", "PROD".into()),
        ("MAX_BODY_BYTES", (64 << 20).to_string()),
        // The live load opens 100 streams in one session.
        ("SSE_MAX_STREAMS_PER_SESSION", "1000".into()),
        ("RUST_LOG", "warn".into()),
    ];
    let command = || {
        let mut c = Command::new(&binary);
        c.current_dir(root).envs(env.iter().map(|(k, v)| (k, v)));
        c
    };
    // An admin to sign in as (refused harmlessly when it exists: --reuse).
    let mut create =
        command().args(["create-admin", "--email", EMAIL]).stdin(Stdio::piped()).stdout(Stdio::null()).spawn()?;
    std::io::Write::write_all(create.stdin.as_mut().context("stdin")?, format!("{PASSWORD}\n").as_bytes())?;
    create.wait()?;

    let server = Process(command().arg("serve").stdout(Stdio::null()).spawn().context("starting the server")?);
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while client.get(format!("{base}/api/ping")).send().await.is_err() {
        anyhow::ensure!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("bench/footprint: release server on {database_url} ({} cores)", std::thread::available_parallelism()?);
    let (rss, _) = server.memory();
    println!("  RSS at start, compressing its assets: {rss:.0} MiB");
    let t0 = Instant::now();
    let files = assets_compressed(&client, &base, &format!("{root}/target/site")).await?;
    let (rss, peak) = server.memory();
    println!(
        "  RSS idle at start, its {files} assets compressed ({:.1} s): {rss:.0} MiB (peak {peak:.0})",
        t0.elapsed().as_secs_f64()
    );

    if !args.reuse {
        let t0 = Instant::now();
        let loaded = load(&client, &base, args.events).await?;
        let secs = t0.elapsed().as_secs_f64();
        println!("  loaded {loaded} events through HTTP in {secs:.0} s ({:.0} events/s)", loaded as f64 / secs);
    }
    let cookie = sign_in(&client, &base).await?;
    let stored = history_count(&client, &base, &cookie).await?;
    let (rss, peak) = server.memory();
    println!("  RSS with {stored} events stored, right after: {rss:.0} MiB (peak so far {peak:.0} MiB)");
    // The server hands an ingest burst's memory back after 2 s of quiet
    // (server/src/tasks/memory.rs).
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (rss, _) = server.memory();
    println!("  RSS idle 5 s later: {rss:.0} MiB");

    let chat = largest_conversation(&client, &base, &cookie).await?;
    println!("  server render, {} requests each: p50 / p95 ms, bytes", args.calls);
    for path in ["/".to_string(), "/costs".into(), "/replay".into(), format!("/replay/{}", chat.0)] {
        let label = if path.starts_with("/replay/") { format!("{path} ({} events)", chat.1) } else { path.clone() };
        render(&client, &base, &path, &label, &cookie, args.calls).await?;
    }
    let (rss, _) = server.memory();
    println!("  RSS after rendering: {rss:.0} MiB");

    let after = last_id(&client, &base, &cookie).await?;
    let load = Load { clients: 100, rate: 2000, seconds: args.seconds, gzip: args.gzip };
    // The live load's largest RSS, sampled every 100 ms while it runs.
    let sampling = {
        let (pid, running) = (server.0.id(), std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true)));
        let flag = running.clone();
        let task = tokio::spawn(async move {
            let mut max = 0f64;
            while flag.load(std::sync::atomic::Ordering::Relaxed) {
                max = max.max(rss_of(pid).0);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            max
        });
        (running, task)
    };
    time_to_visible(&client, &base, &base, ("cookie", &cookie), after, &load).await?;
    sampling.0.store(false, std::sync::atomic::Ordering::Relaxed);
    let under_load = sampling.1.await?;
    let gzipped = if args.gzip { ", gzipped" } else { "" };
    println!("  RSS under live load (100 SSE clients{gzipped}, 2,000 events/s): up to {under_load:.0} MiB");
    // The live load has just filled the current minute (up to 20,000
    // events in 10 s): the pages every busy dashboard is asked for.
    println!("  server render right after it, the current minute busy: p50 / p95 ms, bytes");
    for path in ["/", "/costs"] {
        render(&client, &base, path, path, &cookie, args.calls).await?;
    }
    let (rss, peak) = server.memory();
    println!("  RSS after rendering again: {rss:.0} MiB; peak of the whole run {peak:.0} MiB");
    drop(server);
    bench::print_disk(&database_url, stored as usize).await?;
    Ok(())
}

/// Posts `events` of simulated history in batches of 5,000, four at once.
async fn load(client: &reqwest::Client, base: &str, events: usize) -> anyhow::Result<usize> {
    let now = domain::time::now_ms();
    let url = format!("{base}/api/events");
    let mut batches = bench::history::batches(events, 5_000, now, bench::history::Order::Scattered);
    let mut loaded = 0;
    loop {
        let round: Vec<Vec<Value>> = batches.by_ref().take(4).collect();
        if round.is_empty() {
            return Ok(loaded);
        }
        let sends = round.iter().map(|batch| client.post(&url).header("x-api-key", KEY).json(batch).send());
        for resp in futures::future::join_all(sends).await {
            let resp = resp?;
            anyhow::ensure!(resp.status() == 202, "ingest answered {}", resp.status());
        }
        let before = loaded;
        loaded += round.iter().map(Vec::len).sum::<usize>();
        if loaded / 1_000_000 > before / 1_000_000 {
            eprintln!("  … {loaded} events");
        }
    }
}

/// Signs in as the bench's admin; returns the session cookie.
async fn sign_in(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let resp = client
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({"email": EMAIL, "password": PASSWORD}))
        .send()
        .await?;
    anyhow::ensure!(resp.status() == 200, "sign-in answered {}", resp.status());
    let cookie = resp.headers().get("set-cookie").context("no session cookie")?.to_str()?;
    Ok(cookie.split(';').next().unwrap_or_default().to_string())
}

async fn get_json(client: &reqwest::Client, url: String, cookie: &str) -> anyhow::Result<Value> {
    let resp = client.get(&url).header("cookie", cookie).send().await?;
    anyhow::ensure!(resp.status() == 200, "{url} answered {}", resp.status());
    Ok(resp.json().await?)
}

/// Events in the last 30 days, as the summary counts them.
async fn history_count(client: &reqwest::Client, base: &str, cookie: &str) -> anyhow::Result<i64> {
    let summary = get_json(client, format!("{base}/api/telemetry/summary?range=30d"), cookie).await?;
    Ok(summary.pointer("/overview/events").and_then(Value::as_i64).unwrap_or(-1))
}

/// The newest event id (the live streams start after it).
async fn last_id(client: &reqwest::Client, base: &str, cookie: &str) -> anyhow::Result<i64> {
    let history = get_json(client, format!("{base}/api/telemetry/history?limit=1"), cookie).await?;
    let events = history.get("events").and_then(Value::as_array).or(history.as_array()).cloned().unwrap_or_default();
    Ok(events.iter().filter_map(|e| e["id"].as_i64()).max().unwrap_or(0))
}

/// The conversation with the most events among the 200 most recent.
async fn largest_conversation(client: &reqwest::Client, base: &str, cookie: &str) -> anyhow::Result<(String, i64)> {
    let list = get_json(client, format!("{base}/api/telemetry/conversations?limit=200"), cookie).await?;
    let rows = list.get("conversations").and_then(Value::as_array).or(list.as_array()).cloned().unwrap_or_default();
    rows.iter()
        .filter_map(|c| Some((c["chatId"].as_str()?.to_string(), c["events"].as_i64()?)))
        .max_by_key(|(_, n)| *n)
        .context("no conversation listed")
}

/// Prints `label`'s row: p50 and p95 (ms) of `calls` full responses for
/// `path`, and its size.
async fn render(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    label: &str,
    cookie: &str,
    calls: usize,
) -> anyhow::Result<()> {
    let mut times = Vec::with_capacity(calls);
    let mut bytes = 0;
    for _ in 0..calls {
        let t = Instant::now();
        let resp = client.get(format!("{base}{path}")).header("cookie", cookie).send().await?;
        anyhow::ensure!(resp.status() == 200, "{path} answered {}", resp.status());
        bytes = resp.bytes().await?.len();
        times.push(t.elapsed().as_nanos());
    }
    times.sort_unstable();
    let (p50, p95) = (bench::percentile_ms(&times, 0.5), bench::percentile_ms(&times, 0.95));
    println!("    {label:<48} {p50:>8.1} {p95:>8.1} {bytes:>9}");
    Ok(())
}
