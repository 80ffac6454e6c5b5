//! Rollups: events folded into per-minute, per-hour and per-day buckets per
//! (model, stage, persona, status, tenant, tool, pipeline), so summaries read a few thousand rows
//! instead of millions of events. This module is the arithmetic — what one
//! event adds to a bucket, how buckets merge, how a latency histogram gives
//! percentiles, and what a batch adds to conversation and turn totals
//! ([`deltas`]). The store applies it in the ingest transaction.

pub mod deltas;
pub mod histogram;

use domain::{Event, Status, Usage};
use histogram::BINS;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The `*_total` column that counts the transactions that wrote a bucket
/// (migration 0017): while it is unchanged, so are the bucket's sums.
pub const WRITES: &str = "writes";

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

    /// The table of per-bucket sums over all dimensions, and of
    /// [`WRITES`] per bucket.
    pub fn total_table(self) -> &'static str {
        match self {
            Grain::Minute => "rollup_minute_total",
            Grain::Hour => "rollup_hour_total",
            Grain::Day => "rollup_day_total",
        }
    }

    /// The table of per-bucket sums per value of each of [`Dim::ALL`]
    /// (migration 0022), kept for hours and days: what a summary without
    /// filters reads there (see [`Dim`]).
    pub fn marginal_table(self) -> Option<&'static str> {
        match self {
            Grain::Minute => None,
            Grain::Hour => Some("rollup_hour_marginal"),
            Grain::Day => Some("rollup_day_marginal"),
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
    pub tenant: String,
    /// The tool a stage called (`meta.tool`); `""` for most stages.
    pub tool: String,
    /// The pipeline that sent it; `""` when it named none.
    pub pipeline: String,
}

impl Dims {
    /// Their columns in a rollup table, in field order: what a row is kept
    /// per (beside its bucket) and what summaries group by.
    pub const COLUMNS: [&str; 7] = ["model", "stage", "persona", "status", "tenant", "tool", "pipeline"];

    pub fn of(e: &Event) -> Dims {
        Dims::from_ref(Dims::of_ref(e))
    }

    /// The event's dimensions, borrowed, in field order (see [`Dims::from_ref`]).
    fn of_ref(e: &Event) -> [&str; 7] {
        fn or_none(v: &Option<String>) -> &str {
            v.as_deref().unwrap_or("")
        }
        [
            or_none(&e.model),
            &e.stage,
            or_none(&e.persona),
            e.status.as_str(),
            or_none(&e.tenant),
            or_none(&e.tool),
            or_none(&e.pipeline),
        ]
    }

    fn from_ref([model, stage, persona, status, tenant, tool, pipeline]: [&str; 7]) -> Dims {
        let own = str::to_string;
        Dims {
            model: own(model),
            stage: own(stage),
            persona: own(persona),
            status: own(status),
            tenant: own(tenant),
            tool: own(tool),
            pipeline: own(pipeline),
        }
    }

    /// Reads the dimension columns by name (absent values are `''`).
    pub fn read<E>(get: impl FnMut(&str) -> Result<String, E>) -> Result<Dims, E> {
        let [model, stage, persona, status, tenant, tool, pipeline] = Dims::COLUMNS.map(get);
        Ok(Dims {
            model: model?,
            stage: stage?,
            persona: persona?,
            status: status?,
            tenant: tenant?,
            tool: tool?,
            pipeline: pipeline?,
        })
    }
}

/// A dimension a summary breaks down by, one at a time: by model, stage,
/// persona, tenant and tool, never by two together. So where a summary has
/// no filter, it needs per bucket each dimension's values' sums (a few
/// dozen rows an hour), not the sums of every combination of all seven
/// (hundreds): the marginal rollups ([`Grain::marginal_table`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    Model,
    Stage,
    Persona,
    Tenant,
    Tool,
}

impl Dim {
    pub const ALL: [Dim; 5] = [Dim::Model, Dim::Stage, Dim::Persona, Dim::Tenant, Dim::Tool];

    /// Its name in [`Dims::COLUMNS`], and in a marginal rollup's `dim`.
    pub fn column(self) -> &'static str {
        match self {
            Dim::Model => "model",
            Dim::Stage => "stage",
            Dim::Persona => "persona",
            Dim::Tenant => "tenant",
            Dim::Tool => "tool",
        }
    }

    pub fn from_column(c: &str) -> Option<Dim> {
        Dim::ALL.into_iter().find(|d| d.column() == c)
    }

    /// Its value in `d`.
    pub fn of(self, d: &Dims) -> &str {
        match self {
            Dim::Model => &d.model,
            Dim::Stage => &d.stage,
            Dim::Persona => &d.persona,
            Dim::Tenant => &d.tenant,
            Dim::Tool => &d.tool,
        }
    }
}

/// What rows of combinations (`(bucket, dims, sums)`) add to each value of
/// each [`Dim`], per bucket: what the writer adds to the marginal rollups,
/// and what a summary reads the same way from the minutes, which keep none.
pub fn by_dim<'a>(
    rows: impl IntoIterator<Item = (i64, &'a Dims, &'a Metrics)>,
) -> BTreeMap<(i64, Dim, &'a str), Metrics> {
    let mut sums: BTreeMap<(i64, Dim, &str), Metrics> = BTreeMap::new();
    for (bucket, d, m) in rows {
        for dim in Dim::ALL {
            sums.entry((bucket, dim, dim.of(d))).or_default().add(m);
        }
    }
    sums
}

/// Declares the rollup metrics once. Each becomes an `i64` field of
/// [`Metrics`] and, under the same name, a column of every rollup table;
/// those under `totals` are also the columns of the per-bucket `*_total`
/// tables. The latency histogram's bins (`h00` … `h19`) come after them.
/// Inserts, upserts and by-name row reads all take their columns from here
/// (a test holds both migrations to the same list).
macro_rules! metrics {
    (
        totals { $( $(#[$tdoc:meta])* $total:ident ),* $(,)? }
        others { $( $(#[$odoc:meta])* $other:ident ),* $(,)? }
    ) => {
        /// What a set of events adds up to. Every field is a plain sum, so
        /// rollups merge by addition (and reprice corrections are signed
        /// additions).
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct Metrics {
            $( $(#[$tdoc])* pub $total: i64, )*
            $( $(#[$odoc])* pub $other: i64, )*
            /// Events per latency bin (see [`histogram`]).
            pub hist: [i64; BINS],
        }

        impl Metrics {
            /// The columns of the `*_total` tables, in [`Metrics::total_values`] order.
            pub const TOTAL_COLUMNS: &'static [&'static str] = &[$( stringify!($total) ),*];

            /// Every rollup column, in [`Metrics::values`] order.
            pub fn columns() -> Vec<String> {
                let named = [$( stringify!($total), )* $( stringify!($other), )*];
                named.into_iter().map(String::from).chain((0..BINS).map(histogram::column)).collect()
            }

            pub fn values(&self) -> Vec<i64> {
                [$( self.$total, )* $( self.$other, )*].into_iter().chain(self.hist).collect()
            }

            pub fn total_values(&self) -> Vec<i64> {
                vec![$( self.$total ),*]
            }

            /// Reads every column by name (`get` returns a column's value).
            pub fn read<E>(mut get: impl FnMut(&str) -> Result<i64, E>) -> Result<Metrics, E> {
                let mut m = Metrics::read_totals(&mut get)?;
                $( m.$other = get(stringify!($other))?; )*
                for (i, bin) in m.hist.iter_mut().enumerate() {
                    *bin = get(&histogram::column(i))?;
                }
                Ok(m)
            }

            /// Reads the `totals` columns by name; the others stay zero.
            pub fn read_totals<E>(mut get: impl FnMut(&str) -> Result<i64, E>) -> Result<Metrics, E> {
                Ok(Metrics { $( $total: get(stringify!($total))?, )* ..Metrics::default() })
            }

            pub fn add(&mut self, o: &Metrics) {
                $( self.$total += o.$total; )*
                $( self.$other += o.$other; )*
                for (a, b) in self.hist.iter_mut().zip(o.hist.iter()) {
                    *a += b;
                }
            }
        }
    };
}

metrics! {
    totals {
        events,
        errors,
        /// Sum of priced costs, nano-dollars.
        cost_nanos,
        unpriced_events,
        input_tokens,
        output_tokens,
    }
    others {
        cached_input_tokens,
        cache_write_tokens,
        reasoning_tokens,
        unpriced_tokens,
        duration_count,
        duration_sum_ms,
        /// Turns whose first stored event this is.
        turns_started,
        /// Conversations whose first stored event this is.
        chats_started,
    }
}

impl Metrics {
    /// One event's contribution; `first_in_turn`/`first_in_chat` say whether
    /// it opened its turn or conversation.
    pub fn of_event(e: &Event, first_in_turn: bool, first_in_chat: bool) -> Metrics {
        Metrics::of(&e.usage, e.status == Status::Error, e.cost(), e.duration_ms, first_in_turn, first_in_chat)
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

    pub fn tokens(&self) -> i64 {
        self.input_tokens + self.output_tokens
    }

    pub fn is_zero(&self) -> bool {
        *self == Metrics::default()
    }
}

/// A bucket key: grain, bucket start and dimensions.
pub type Key = (Grain, i64, Dims);

/// Folds events into per-bucket deltas for every grain. The flags say which
/// events opened their turn or conversation.
pub fn fold<'a>(events: impl IntoIterator<Item = (&'a Event, bool, bool)>) -> BTreeMap<Key, Metrics> {
    // Summed per minute and borrowed dimensions first: an event costs one
    // hash lookup, where a tree keyed by owned dimensions cost seven
    // copies and a dozen string comparisons per grain (7 % of the writer's
    // time under batches). Then the few sums go to every grain: an hour or
    // a day holds whole minutes.
    let mut minutes: HashMap<(i64, [&'a str; 7]), Metrics> = HashMap::new();
    for (e, first_in_turn, first_in_chat) in events {
        let key = (Grain::Minute.floor(e.ts), Dims::of_ref(e));
        minutes.entry(key).or_default().add(&Metrics::of_event(e, first_in_turn, first_in_chat));
    }
    let mut out: BTreeMap<Key, Metrics> = BTreeMap::new();
    for ((minute, dims), m) in minutes {
        let dims = Dims::from_ref(dims);
        for g in Grain::ALL {
            out.entry((g, g.floor(minute), dims.clone())).or_default().add(&m);
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
    let new_turns: HashSet<(&str, &str)> = new_turns.iter().map(|(c, t)| (c.as_str(), t.as_str())).collect();
    let mut seen_turns = HashSet::new();
    let mut seen_chats = HashSet::new();
    events
        .iter()
        .map(|e| {
            let key = e.turn_key();
            let first_turn = new_turns.contains(&key) && seen_turns.insert(key);
            let first_chat = new_chats.contains(key.0) && seen_chats.insert(key.0);
            (first_turn, first_chat)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::testing::ev;
    use domain::visibility::Cost;

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
        a.cost_nanos = Cost::Shown(Some(100));
        a.usage.input_tokens = 10;
        let mut b = ev(2, "c", "t", "intent", Status::Error);
        b.ts = 119_000;
        b.cost_nanos = Cost::Shown(None);
        b.usage.input_tokens = 7;
        let folded = fold([(&a, true, true), (&b, false, false)]);
        let minute = &folded[&(Grain::Minute, 60_000, Dims::of(&a))];
        assert_eq!((minute.events, minute.errors, minute.cost_nanos), (2, 2, 100));
        assert_eq!((minute.unpriced_events, minute.unpriced_tokens), (1, 7));
        assert_eq!((minute.turns_started, minute.chats_started), (1, 1));
        assert_eq!(minute.duration_count, 2);
        assert_eq!(folded.len(), 3, "one bucket per grain");
        let by_name: std::collections::HashMap<String, i64> =
            Metrics::columns().into_iter().zip(minute.values()).collect();
        assert_eq!(Metrics::read(|c| by_name.get(c).copied().ok_or(c.to_string())).unwrap(), *minute, "read by name");
        assert_eq!(Metrics::columns().len(), minute.values().len());
        let totals = Metrics::read_totals(|c| by_name.get(c).copied().ok_or(c.to_string())).unwrap();
        assert_eq!(totals.total_values(), minute.total_values());
        assert_eq!(totals.cached_input_tokens, 0, "only the totals columns");
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
