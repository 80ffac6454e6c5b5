//! Rollups: events folded into per-minute, per-hour and per-day buckets per
//! (model, stage, persona, status), so summaries read a few thousand rows
//! instead of millions of events. This module is the arithmetic — what one
//! event adds to a bucket, how buckets merge, how a latency histogram gives
//! percentiles. The store applies it in the ingest transaction.

pub mod histogram;

use domain::{Event, Status, Usage};
use histogram::BINS;
use std::collections::{BTreeMap, HashSet};

/// Bucket sizes. Buckets are aligned to UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grain {
    Minute,
    Hour,
    Day,
}

impl Grain {
    pub const ALL: [Grain; 3] = [Grain::Minute, Grain::Hour, Grain::Day];

    pub fn ms(self) -> i64 {
        match self {
            Grain::Minute => 60_000,
            Grain::Hour => 3_600_000,
            Grain::Day => 86_400_000,
        }
    }

    pub fn table(self) -> &'static str {
        match self {
            Grain::Minute => "rollup_minute",
            Grain::Hour => "rollup_hour",
            Grain::Day => "rollup_day",
        }
    }

    /// The table of per-bucket sums over all dimensions.
    pub fn total_table(self) -> &'static str {
        match self {
            Grain::Minute => "rollup_minute_total",
            Grain::Hour => "rollup_hour_total",
            Grain::Day => "rollup_day_total",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Grain::Minute => "minute",
            Grain::Hour => "hour",
            Grain::Day => "day",
        }
    }

    /// Start of the bucket holding `ts`.
    pub fn floor(self, ts: i64) -> i64 {
        ts.div_euclid(self.ms()) * self.ms()
    }

    /// Start of the first bucket at or after `ts`.
    pub fn ceil(self, ts: i64) -> i64 {
        -(-ts).div_euclid(self.ms()) * self.ms()
    }
}

/// The dimensions a rollup row is kept per. Absent values are `""`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dims {
    pub model: String,
    pub stage: String,
    pub persona: String,
    pub status: String,
}

impl Dims {
    pub fn of(e: &Event) -> Dims {
        Dims {
            model: e.model.clone().unwrap_or_default(),
            stage: e.stage.clone(),
            persona: e.persona.clone().unwrap_or_default(),
            status: e.status.as_str().to_string(),
        }
    }
}

/// What a set of events adds up to. Every field is a plain sum, so rollups
/// merge by addition (and reprice corrections are signed additions).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    pub events: i64,
    pub errors: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cached_input_tokens: i64,
    pub cache_write_tokens: i64,
    pub reasoning_tokens: i64,
    /// Sum of priced costs, nano-dollars.
    pub cost_nanos: i64,
    pub unpriced_events: i64,
    pub unpriced_tokens: i64,
    pub duration_count: i64,
    pub duration_sum_ms: i64,
    pub hist: [i64; BINS],
    /// Turns (chats) whose first stored event this is.
    pub turns_started: i64,
    pub chats_started: i64,
}

impl Metrics {
    /// One event's contribution; `first_in_turn`/`first_in_chat` say whether
    /// it opened its turn or conversation.
    pub fn of_event(e: &Event, first_in_turn: bool, first_in_chat: bool) -> Metrics {
        Metrics::of(&e.usage, e.status == Status::Error, e.cost_nanos, e.duration_ms, first_in_turn, first_in_chat)
    }

    /// One event's contribution, from its parts.
    pub fn of(
        u: &Usage,
        is_error: bool,
        cost_nanos: Option<i64>,
        duration_ms: Option<i64>,
        first_in_turn: bool,
        first_in_chat: bool,
    ) -> Metrics {
        let mut m = Metrics {
            events: 1,
            errors: i64::from(is_error),
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            cached_input_tokens: u.cached_input_tokens,
            cache_write_tokens: u.cache_write_tokens,
            reasoning_tokens: u.reasoning_tokens,
            turns_started: i64::from(first_in_turn),
            chats_started: i64::from(first_in_chat),
            ..Metrics::default()
        };
        m.set_cost(cost_nanos, u.total(), 1);
        if let Some(d) = duration_ms {
            m.duration_count = 1;
            m.duration_sum_ms = d;
            m.hist[histogram::bin_of(d)] = 1;
        }
        m
    }

    /// Adds (`sign` = 1) or removes (`sign` = -1) a cost outcome.
    pub fn set_cost(&mut self, cost_nanos: Option<i64>, tokens: i64, sign: i64) {
        match cost_nanos {
            Some(c) => self.cost_nanos += sign * c,
            None => {
                self.unpriced_events += sign;
                self.unpriced_tokens += sign * tokens;
            }
        }
    }

    pub fn add(&mut self, o: &Metrics) {
        self.events += o.events;
        self.errors += o.errors;
        self.input_tokens += o.input_tokens;
        self.output_tokens += o.output_tokens;
        self.cached_input_tokens += o.cached_input_tokens;
        self.cache_write_tokens += o.cache_write_tokens;
        self.reasoning_tokens += o.reasoning_tokens;
        self.cost_nanos += o.cost_nanos;
        self.unpriced_events += o.unpriced_events;
        self.unpriced_tokens += o.unpriced_tokens;
        self.duration_count += o.duration_count;
        self.duration_sum_ms += o.duration_sum_ms;
        for (a, b) in self.hist.iter_mut().zip(o.hist.iter()) {
            *a += b;
        }
        self.turns_started += o.turns_started;
        self.chats_started += o.chats_started;
    }

    pub fn tokens(&self) -> i64 {
        self.input_tokens + self.output_tokens
    }

    pub fn is_zero(&self) -> bool {
        *self == Metrics::default()
    }

    /// The metrics as the ordered list of rollup columns' values.
    pub fn values(&self) -> impl Iterator<Item = i64> + '_ {
        [
            self.events,
            self.errors,
            self.input_tokens,
            self.output_tokens,
            self.cached_input_tokens,
            self.cache_write_tokens,
            self.reasoning_tokens,
            self.cost_nanos,
            self.unpriced_events,
            self.unpriced_tokens,
            self.duration_count,
            self.duration_sum_ms,
            self.turns_started,
            self.chats_started,
        ]
        .into_iter()
        .chain(self.hist.iter().copied())
    }

    /// The inverse of [`Metrics::values`].
    pub fn from_values(v: &[i64]) -> Metrics {
        let mut hist = [0; BINS];
        hist.copy_from_slice(&v[14..14 + BINS]);
        Metrics {
            events: v[0],
            errors: v[1],
            input_tokens: v[2],
            output_tokens: v[3],
            cached_input_tokens: v[4],
            cache_write_tokens: v[5],
            reasoning_tokens: v[6],
            cost_nanos: v[7],
            unpriced_events: v[8],
            unpriced_tokens: v[9],
            duration_count: v[10],
            duration_sum_ms: v[11],
            turns_started: v[12],
            chats_started: v[13],
            hist,
        }
    }
}

/// The rollup columns, in [`Metrics::values`] order.
pub fn metric_columns() -> Vec<String> {
    let mut cols: Vec<String> = [
        "events",
        "errors",
        "input_tokens",
        "output_tokens",
        "cached_input_tokens",
        "cache_write_tokens",
        "reasoning_tokens",
        "cost_nanos",
        "unpriced_events",
        "unpriced_tokens",
        "duration_count",
        "duration_sum_ms",
        "turns_started",
        "chats_started",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    cols.extend((0..BINS).map(|i| format!("h{i:02}")));
    cols
}

/// The columns of the `*_total` tables, in [`Metrics::total_values`] order.
pub const TOTAL_COLUMNS: [&str; 6] =
    ["events", "errors", "cost_nanos", "unpriced_events", "input_tokens", "output_tokens"];

impl Metrics {
    pub fn total_values(&self) -> [i64; 6] {
        [self.events, self.errors, self.cost_nanos, self.unpriced_events, self.input_tokens, self.output_tokens]
    }

    /// The inverse of [`Metrics::total_values`] (other fields zero).
    pub fn from_total_values(v: [i64; 6]) -> Metrics {
        Metrics {
            events: v[0],
            errors: v[1],
            cost_nanos: v[2],
            unpriced_events: v[3],
            input_tokens: v[4],
            output_tokens: v[5],
            ..Metrics::default()
        }
    }
}

/// A bucket key: grain, bucket start and dimensions.
pub type Key = (Grain, i64, Dims);

/// Folds events into per-bucket deltas for every grain. The flags say which
/// events opened their turn or conversation.
pub fn fold<'a>(events: impl IntoIterator<Item = (&'a Event, bool, bool)>) -> BTreeMap<Key, Metrics> {
    let mut out: BTreeMap<Key, Metrics> = BTreeMap::new();
    for (e, first_in_turn, first_in_chat) in events {
        let m = Metrics::of_event(e, first_in_turn, first_in_chat);
        let dims = Dims::of(e);
        for g in Grain::ALL {
            out.entry((g, g.floor(e.ts), dims.clone())).or_default().add(&m);
        }
    }
    out
}

/// Which events of a batch open a turn or a conversation, given which turns
/// and chats are new to the store: the first event of each (in batch order).
pub fn firsts(
    events: &[Event],
    new_turns: &HashSet<(String, String)>,
    new_chats: &HashSet<String>,
) -> Vec<(bool, bool)> {
    let mut seen_turns = HashSet::new();
    let mut seen_chats = HashSet::new();
    events
        .iter()
        .map(|e| {
            let (chat, turn) = e.turn_key();
            let key = (chat.to_string(), turn.to_string());
            let first_turn = new_turns.contains(&key) && seen_turns.insert(key);
            let first_chat = new_chats.contains(chat) && seen_chats.insert(chat.to_string());
            (first_turn, first_chat)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::testing::ev;

    #[test]
    fn buckets_align_to_utc() {
        assert_eq!(Grain::Minute.floor(119_999), 60_000);
        assert_eq!(Grain::Minute.ceil(60_001), 120_000);
        assert_eq!(Grain::Minute.ceil(60_000), 60_000);
        assert_eq!(Grain::Hour.floor(-1), -3_600_000);
        assert_eq!(Grain::Day.floor(86_400_000 * 3 + 5), 86_400_000 * 3);
    }

    #[test]
    fn folding_adds_per_bucket_and_grain() {
        let mut a = ev(1, "c", "t", "intent", Status::Error);
        a.ts = 61_000;
        a.cost_nanos = Some(100);
        a.usage.input_tokens = 10;
        let mut b = ev(2, "c", "t", "intent", Status::Error);
        b.ts = 119_000;
        b.cost_nanos = None;
        b.usage.input_tokens = 7;
        let folded = fold([(&a, true, true), (&b, false, false)]);
        let minute = &folded[&(Grain::Minute, 60_000, Dims::of(&a))];
        assert_eq!((minute.events, minute.errors, minute.cost_nanos), (2, 2, 100));
        assert_eq!((minute.unpriced_events, minute.unpriced_tokens), (1, 7));
        assert_eq!((minute.turns_started, minute.chats_started), (1, 1));
        assert_eq!(minute.duration_count, 2);
        assert_eq!(folded.len(), 3, "one bucket per grain");
        assert_eq!(Metrics::from_values(&minute.values().collect::<Vec<_>>()), *minute);
        assert_eq!(metric_columns().len(), minute.values().count());
    }

    #[test]
    fn firsts_mark_one_event_per_new_turn_and_chat() {
        let events = [
            ev(1, "a", "1", "x", Status::Success),
            ev(2, "a", "1", "y", Status::Success),
            ev(3, "a", "2", "x", Status::Success),
        ];
        let new_turns = HashSet::from([("a".to_string(), "1".to_string())]);
        let new_chats = HashSet::new();
        assert_eq!(firsts(&events, &new_turns, &new_chats), [(true, false), (false, false), (false, false)]);
    }
}
