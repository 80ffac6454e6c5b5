//! What the benchmarks share: the key their servers accept, a server
//! configuration, and the shape of a simulated event.

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
        ..Config::default()
    }
}
