//! A month of simulated history: realistic turns from the simulator's
//! generator, their starts spread evenly (with jitter) over the 30 days
//! before `now`, in batches ready to ingest.

use serde_json::{json, Value};
use server::simulate::generator::Generator;

const DAY: i64 = 86_400_000;

/// `events` events (a few more: turns are whole) in batches of about
/// `size`, ending before `now`.
pub fn batches(events: usize, size: usize, now: i64) -> impl Iterator<Item = Vec<Value>> {
    let mut generator = Generator::new(42);
    let (mut made, mut step) = (0usize, 0i64);
    std::iter::from_fn(move || {
        let mut batch = Vec::with_capacity(size + 16);
        while made < events && batch.len() < size {
            step += 1;
            let start = now - 30 * DAY + ((step * 7_919_993) % (30 * DAY));
            for planned in generator.next_turn() {
                let mut body = planned.body;
                body["ts"] = json!(start + planned.start_ms as i64);
                batch.push(body);
                made += 1;
            }
        }
        (!batch.is_empty()).then_some(batch)
    })
}
