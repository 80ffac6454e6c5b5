//! A month of simulated history: realistic turns from the simulator's
//! generator, their starts spread evenly over the 30 days before `now`, in
//! batches ready to ingest: out of time order (each batch touches hours all
//! over the month), or in time order, as live traffic arrives.

use serde_json::{json, Value};
use server::simulate::generator::Generator;

const DAY: i64 = 86_400_000;

/// The order turns are loaded in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Order {
    /// Each turn about 2.2 hours after the last, wrapping around the month:
    /// every batch writes rollup rows of hours all over it, so a bucket's
    /// rows end up spread over many pages (the worst case for reads).
    Scattered,
    /// Oldest first, as a live pipeline sends them: a bucket's rows are
    /// written while it is current, next to each other.
    Time,
}

/// `events` events (a few more: turns are whole) in batches of about
/// `size`, ending before `now`, loaded in `order`.
pub fn batches(events: usize, size: usize, now: i64, order: Order) -> impl Iterator<Item = Vec<Value>> {
    let mut generator = Generator::new(42);
    let (mut made, mut step) = (0usize, 0i64);
    std::iter::from_fn(move || {
        let mut batch = Vec::with_capacity(size + 16);
        while made < events && batch.len() < size {
            step += 1;
            let start = match order {
                Order::Scattered => now - 30 * DAY + ((step * 7_919_993) % (30 * DAY)),
                Order::Time => now - 30 * DAY + (made as i64) * (30 * DAY - 60_000) / (events as i64),
            };
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
