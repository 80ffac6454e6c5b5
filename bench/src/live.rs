//! Time to visible: events stamped with when they were sent, posted at a
//! steady rate while SSE clients listen; each delivery's delay is the time
//! from the POST's start to its arrival at a client.

use crate::KEY;
use futures::StreamExt;
use serde_json::{json, Value};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The live load: `clients` streams, `rate` events a second for `seconds`;
/// with `gzip`, the streams ask for gzip, as browsers do, and each client
/// decodes what arrives before reading it.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    pub clients: usize,
    pub rate: usize,
    pub seconds: u64,
    pub gzip: bool,
}

fn now_ns() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos()
}

/// Event number `i`, stamped with when it was sent.
pub fn event(i: usize, sent_ns: u128) -> Value {
    crate::event(
        i,
        json!({"usage": {"inputTokens": 1200, "outputTokens": 180}, "meta": {"sentNs": sent_ns.to_string()}}),
    )
}

/// The `sentNs` stamp in an event's JSON, without parsing all of it.
fn sent_ns(data: &str) -> Option<u128> {
    let rest = &data[data.find("\"sentNs\":\"")? + 10..];
    rest[..rest.find('"')?].parse().ok()
}

/// `load.clients` streams on `b` (after event id `after`, signed in with
/// the header `reader`), events posted to `a` at `load.rate`: prints p50,
/// p99 and max of every delivery.
pub async fn time_to_visible(
    client: &reqwest::Client,
    a: &str,
    b: &str,
    reader: (&str, &str),
    after: i64,
    args: &Load,
) -> anyhow::Result<()> {
    let latencies: Arc<Mutex<Vec<u128>>> = Arc::default();
    let mut listeners = Vec::new();
    for _ in 0..args.clients {
        let coding = if args.gzip { "gzip" } else { "identity" };
        let resp = client
            .get(format!("{b}/api/telemetry/stream?after={after}"))
            .header(reader.0, reader.1)
            .header("accept-encoding", coding)
            .send()
            .await?;
        anyhow::ensure!(resp.status() == 200, "stream answered {}", resp.status());
        let gzipped = resp.headers().get("content-encoding").is_some_and(|v| v == "gzip");
        anyhow::ensure!(gzipped == args.gzip, "the stream was{} gzipped", if gzipped { "" } else { " not" });
        // Answered 200: subscribed to the bus already.
        let latencies = latencies.clone();
        listeners.push(tokio::spawn(async move {
            let mut body = resp.bytes_stream();
            let mut buf = String::new();
            let mut decoder = gzipped.then(|| flate2::write::GzDecoder::new(Vec::new()));
            while let Some(Ok(chunk)) = body.next().await {
                let arrived = now_ns();
                match decoder.as_mut() {
                    Some(d) => {
                        if d.write_all(&chunk).and_then(|()| d.flush()).is_err() {
                            break;
                        }
                        buf.push_str(&String::from_utf8_lossy(d.get_ref()));
                        d.get_mut().clear();
                    }
                    None => buf.push_str(&String::from_utf8_lossy(&chunk)),
                }
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
        "  time-to-visible, POST → SSE, {} clients{}, {} events/s for {} s: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} of {} deliveries)",
        args.clients,
        if args.gzip { " (gzipped streams)" } else { "" },
        per_tick * 100,
        args.seconds,
        crate::percentile_ms(&all, 0.5),
        crate::percentile_ms(&all, 0.99),
        crate::percentile_ms(&all, 1.0),
        all.len(),
        sent * args.clients,
    );
    Ok(())
}
