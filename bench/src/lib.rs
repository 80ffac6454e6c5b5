//! What the benchmarks share: the key their servers accept, a server
//! configuration, the shape of a simulated event, a month of simulated
//! history ([`history`]) and the time-to-visible measurement ([`live`]).

pub mod history;
pub mod live;
pub mod otlp;

use serde_json::{json, Value};
use server::config::Config;

/// The ingest key every bench server accepts.
pub const KEY: &str = "bench-key";

const STAGES: [&str; 6] = ["buffer", "intent", "persona", "tools", "response", "send"];

/// Event number `i`: turn `i / 6`, whose six stages come one after another
/// in one conversation, the turns spread over ~1000 conversations, on
/// gpt-4o-mini; `extra`'s fields are added (or replace these).
pub fn event(i: usize, extra: Value) -> Value {
    let mut e = json!({
        "chatId": format!("chat-{}", (i / 6) % 997),
        "turnId": format!("t-{}", i / 6),
        "stage": STAGES[i % 6],
        "durationMs": 100 + (i % 900),
        "model": "gpt-4o-mini",
    });
    if let (Some(fields), Value::Object(more)) = (e.as_object_mut(), extra) {
        fields.extend(more);
    }
    e
}

/// A server on a free loopback port, accepting [`KEY`], without the
/// simulator, taking bodies up to 64 MiB.
pub fn config(database_url: String) -> Config {
    Config {
        address: "127.0.0.1:0".parse().expect("a socket address"),
        database_url,
        ingest_api_keys: vec![KEY.into()],
        simulator: false,
        max_body_bytes: 64 * 1024 * 1024,
        // The live loads open 100 streams as one caller (one read key).
        max_streams_per_session: 1000,
        ..Config::default()
    }
}

/// A free loopback port.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The `p` quantile of nanoseconds (sorted), in milliseconds.
pub fn percentile_ms(sorted: &[u128], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize] as f64 / 1e6
}

/// The database to use: the one given, else a fresh SQLite file in `dir`.
pub fn database_url(given: Option<String>, dir: &tempfile::TempDir) -> String {
    given.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()))
}

/// The database's size once the server has stopped: the SQLite file (its
/// WAL checkpointed on close) or `pg_database_size`.
pub async fn disk_bytes(database_url: &str) -> anyhow::Result<Option<u64>> {
    use sqlx::Connection;
    if let Some(path) = database_url.strip_prefix("sqlite://") {
        let wal = std::fs::metadata(format!("{path}-wal")).map_or(0, |m| m.len());
        return Ok(Some(std::fs::metadata(path)?.len() + wal));
    }
    let mut conn = sqlx::PgConnection::connect(database_url).await?;
    let bytes: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())").fetch_one(&mut conn).await?;
    Ok(Some(bytes as u64))
}

/// Prints the database's size once the server has stopped, and what that
/// is per stored event (events, indexes, conversations, turns, rollups).
pub async fn print_disk(database_url: &str, events: usize) -> anyhow::Result<()> {
    if let Some(bytes) = disk_bytes(database_url).await? {
        println!(
            "on disk: {:.1} MiB, {:.0} bytes per event (events, indexes, conversations, turns, rollups)",
            bytes as f64 / 1_048_576.0,
            bytes as f64 / events.max(1) as f64
        );
    }
    Ok(())
}

/// Every table's and index's bytes, largest first, and what each is per
/// stored event; then their sum. On Postgres after `VACUUM ANALYZE` (what
/// autovacuum leaves a loaded table as), or `VACUUM FULL` with `compact`
/// (after rows were deleted, as the archive does: the space new rows
/// would reuse); a table's bytes include its TOAST (where the archive's
/// blocks are). On SQLite the pages in use, from `dbstat`: a file keeps
/// the pages deleted rows freed for new ones.
pub async fn print_relations(database_url: &str, events: i64, compact: bool) -> anyhow::Result<()> {
    use sqlx::Connection;
    let rows: Vec<(String, i64)> = if database_url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(database_url).await?;
        sqlx::query(if compact { "VACUUM FULL ANALYZE" } else { "VACUUM ANALYZE" }).execute(&mut conn).await?;
        sqlx::query_as(
            "SELECT relname::text, CASE relkind WHEN 'r' THEN pg_table_size(oid) ELSE pg_relation_size(oid) END \
             FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'i') ORDER BY 2 DESC",
        )
        .fetch_all(&mut conn)
        .await?
    } else {
        let mut conn = sqlx::SqliteConnection::connect(database_url).await?;
        sqlx::query_as("SELECT name, CAST(SUM(pgsize) AS BIGINT) FROM dbstat GROUP BY name ORDER BY 2 DESC")
            .fetch_all(&mut conn)
            .await?
    };
    let total: i64 = rows.iter().map(|r| r.1).sum();
    let per = |bytes: i64| bytes as f64 / events.max(1) as f64;
    println!("tables and indexes: {:.1} bytes per event in all", per(total));
    for (name, bytes) in rows.iter().filter(|r| per(r.1) >= 1.0) {
        println!("  {name:<36} {:>8.1} B/event", per(*bytes));
    }
    Ok(())
}
