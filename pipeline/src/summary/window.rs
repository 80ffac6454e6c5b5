//! The window a summary covers, and how to read it cheaply and exactly: the
//! window is cut into whole days, hours and minutes of rollups, plus raw
//! events for the partial minutes at its edges. A preset range ("the last
//! hour") ends with the current minute, so it has no partial minutes: under
//! heavy live traffic the current minute alone can hold a hundred thousand
//! events, too many to read one by one on every refresh. Minutes are read
//! in blocks of ten aligned ones, so that the whole blocks of a window's
//! edges are the same from one call to the next (and can be kept, see
//! `memo`).

use crate::rollup::Grain;
use domain::summary::{range_ms, SummaryQuery, RANGES};

/// Where a piece of the window is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Raw,
    Rollup(Grain),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub source: Source,
    pub from: i64,
    pub to: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub to: i64,
    pub range: String,
    /// The trend's bucket size.
    pub series: Grain,
}

/// A query parameter the client got wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid `{field}`: {message}")]
pub struct BadParam {
    pub field: &'static str,
    pub message: String,
}

/// Where a window "until now" ends: with the current minute, whole (as
/// Grafana's `now/m`), so that it is read from rollups alone. Presets,
/// custom windows without `to`, budgets' spend and alert rules all end
/// here.
pub fn open_end(now_ms: i64) -> i64 {
    Grain::Minute.floor(now_ms) + Grain::Minute.ms()
}

/// Longest custom window: a year.
const MAX_SPAN_MS: i64 = 366 * 86_400_000;

impl Window {
    pub fn resolve(q: &SummaryQuery, now_ms: i64) -> Result<Window, BadParam> {
        let bad = |field, message: String| BadParam { field, message };
        let (from, to, range) = match (q.from, q.to) {
            (None, None) => {
                let range = q.range.clone().unwrap_or_else(|| "24h".to_string());
                let span = range_ms(&range)
                    .ok_or_else(|| bad("range", format!("`{range}` is not one of {}", RANGES.join(", "))))?;
                let to = open_end(now_ms);
                (to - span, to, range)
            }
            (Some(from), to) => (from, to.unwrap_or_else(|| open_end(now_ms)), "custom".to_string()),
            (None, Some(_)) => return Err(bad("from", "is required with `to`".into())),
        };
        if to <= from {
            return Err(bad("to", "must be after `from`".into()));
        }
        if to - from > MAX_SPAN_MS {
            return Err(bad("from", "the window may span at most 366 days".into()));
        }
        let span = to - from;
        let series = if span <= 3 * 3_600_000 {
            Grain::Minute
        } else if span <= 8 * 86_400_000 {
            Grain::Hour
        } else {
            Grain::Day
        };
        Ok(Window { from, to, range, series })
    }

    /// The same-length window just before this one (for the trend).
    pub fn previous(&self) -> Window {
        let span = self.to - self.from;
        Window { from: self.from - span, to: self.from, ..self.clone() }
    }
}

/// Minute segments are cut where a block of this many aligned minutes
/// starts.
pub const MINUTE_BLOCK_MS: i64 = 10 * 60_000;

/// Cuts `[from, to)` into the coarsest whole buckets (no coarser than
/// `coarsest`), with raw pieces only for the partial minutes at the edges,
/// and minutes cut at block boundaries ([`MINUTE_BLOCK_MS`]).
pub fn plan(from: i64, to: i64, coarsest: Grain) -> Vec<Segment> {
    let mut out = Vec::new();
    cut(from, to, coarsest, &mut out);
    out.sort_by_key(|s| s.from);
    out.into_iter().flat_map(blocks).collect()
}

impl Segment {
    /// Whether this is a whole block of its grain: any run of hours or
    /// days, or exactly one aligned block of minutes.
    pub fn whole_block(&self) -> bool {
        match self.source {
            Source::Raw => false,
            Source::Rollup(Grain::Minute) => {
                self.from.rem_euclid(MINUTE_BLOCK_MS) == 0 && self.to - self.from == MINUTE_BLOCK_MS
            }
            Source::Rollup(_) => true,
        }
    }
}

/// A minute segment cut at block boundaries; any other segment whole.
fn blocks(s: Segment) -> Vec<Segment> {
    if s.source != Source::Rollup(Grain::Minute) {
        return vec![s];
    }
    let mut out = Vec::new();
    let mut at = s.from;
    while at < s.to {
        let end = ((at.div_euclid(MINUTE_BLOCK_MS) + 1) * MINUTE_BLOCK_MS).min(s.to);
        out.push(Segment { from: at, to: end, ..s });
        at = end;
    }
    out
}

fn finer(g: Grain) -> Option<Grain> {
    match g {
        Grain::Day => Some(Grain::Hour),
        Grain::Hour => Some(Grain::Minute),
        Grain::Minute => None,
    }
}

fn cut(from: i64, to: i64, grain: Grain, out: &mut Vec<Segment>) {
    if from >= to {
        return;
    }
    let (a, b) = (grain.ceil(from), grain.floor(to));
    if a < b {
        out.push(Segment { source: Source::Rollup(grain), from: a, to: b });
        match finer(grain) {
            Some(f) => {
                cut(from, a, f, out);
                cut(b, to, f, out);
            }
            None => {
                raw(from, a, out);
                raw(b, to, out);
            }
        }
    } else {
        match finer(grain) {
            Some(f) => cut(from, to, f, out),
            None => raw(from, to, out),
        }
    }
}

fn raw(from: i64, to: i64, out: &mut Vec<Segment>) {
    if from < to {
        out.push(Segment { source: Source::Raw, from, to });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000;
    const H: i64 = 3_600_000;
    const D: i64 = 86_400_000;

    fn covers_exactly(from: i64, to: i64, segs: &[Segment]) {
        let mut at = from;
        for s in segs {
            assert_eq!(s.from, at, "contiguous: {segs:?}");
            assert!(s.to > s.from);
            if let Source::Rollup(g) = s.source {
                assert_eq!((s.from % g.ms(), s.to % g.ms()), (0, 0), "aligned: {s:?}");
            }
            at = s.to;
        }
        assert_eq!(at, to);
    }

    #[test]
    fn a_day_ending_mid_minute_uses_hours_minutes_and_two_raw_edges() {
        let (from, to) = (10 * D + 5 * H + 7 * M + 1234, 11 * D + 5 * H + 7 * M + 1234);
        let segs = plan(from, to, Grain::Day);
        covers_exactly(from, to, &segs);
        let raw: Vec<_> = segs.iter().filter(|s| s.source == Source::Raw).collect();
        assert_eq!(raw.len(), 2);
        assert!(raw.iter().all(|s| s.to - s.from < M));
        assert!(
            segs.iter().any(|s| s.source == Source::Rollup(Grain::Day))
                || segs.iter().any(|s| s.source == Source::Rollup(Grain::Hour))
        );
    }

    #[test]
    fn plans_cover_any_window_exactly() {
        let mut x: i64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let from = (x.rem_euclid(40 * D)) + 1_700_000_000_000;
            let span = (x >> 20).rem_euclid(35 * D) + 1;
            for coarsest in Grain::ALL {
                covers_exactly(from, from + span, &plan(from, from + span, coarsest));
            }
        }
        // The trend never reads buckets coarser than its own.
        assert!(plan(0, 3 * D, Grain::Hour).iter().all(|s| s.source != Source::Rollup(Grain::Day)));
        assert_eq!(
            plan(0, 2 * D, Grain::Day),
            vec![Segment { source: Source::Rollup(Grain::Day), from: 0, to: 2 * D }]
        );
    }

    #[test]
    fn minutes_are_read_in_aligned_blocks_that_recur_as_the_window_moves() {
        let whole = |segs: &[Segment]| -> Vec<(i64, i64)> {
            segs.iter()
                .filter(|s| s.whole_block() && s.source == Source::Rollup(Grain::Minute))
                .map(|s| (s.from, s.to))
                .collect()
        };
        // An hour ending at 10:48:30: minutes 09:49–10:47, raw edges.
        let (from, to) = (10 * H - 12 * M + 30_000, 11 * H - 12 * M + 30_000);
        let segs = plan(from, to, Grain::Day);
        covers_exactly(from, to, &segs);
        let minutes: Vec<(i64, i64)> =
            segs.iter().filter(|s| s.source == Source::Rollup(Grain::Minute)).map(|s| (s.from, s.to)).collect();
        assert_eq!(minutes.first(), Some(&(9 * H + 49 * M, 9 * H + 50 * M)));
        assert_eq!(minutes.last(), Some(&(10 * H + 40 * M, 10 * H + 48 * M)));
        assert!(segs.iter().all(|s| s.source != Source::Rollup(Grain::Minute) || s.to - s.from <= MINUTE_BLOCK_MS));
        assert_eq!(
            whole(&segs),
            vec![
                (9 * H + 50 * M, 10 * H),
                (10 * H, 10 * H + 10 * M),
                (10 * H + 10 * M, 10 * H + 20 * M),
                (10 * H + 20 * M, 10 * H + 30 * M),
                (10 * H + 30 * M, 10 * H + 40 * M)
            ]
        );
        // A minute later the whole blocks are the same but for the edges.
        let later = plan(from + M, to + M, Grain::Day);
        assert_eq!(whole(&later), whole(&segs));
        assert!(!Segment { source: Source::Raw, from: 0, to: MINUTE_BLOCK_MS }.whole_block());
        assert!(Segment { source: Source::Rollup(Grain::Hour), from: 0, to: 3 * H }.whole_block());
    }

    #[test]
    fn windows_resolve_presets_and_custom_ranges() {
        let now = 100 * D + 90_500;
        let w = Window::resolve(&SummaryQuery::default(), now).unwrap();
        // Presets end with the current minute: no partial minutes to read raw.
        let end = 100 * D + 2 * M;
        assert_eq!((w.from, w.to, w.range.as_str(), w.series), (end - D, end, "24h", Grain::Hour));
        assert!(plan(w.from, w.to, Grain::Day).iter().all(|s| s.source != Source::Raw));
        let w = Window::resolve(&SummaryQuery { range: Some("1h".into()), ..Default::default() }, now).unwrap();
        assert_eq!(w.series, Grain::Minute);
        let w = Window::resolve(&SummaryQuery { range: Some("30d".into()), ..Default::default() }, now).unwrap();
        assert_eq!(w.series, Grain::Day);
        let w = Window::resolve(&SummaryQuery { from: Some(5), to: Some(10), ..Default::default() }, now).unwrap();
        assert_eq!((w.from, w.to, w.range.as_str()), (5, 10, "custom"));
        assert_eq!(w.previous().from, 0);
        let w = Window::resolve(&SummaryQuery { from: Some(5), ..Default::default() }, now).unwrap();
        assert_eq!((w.from, w.to), (5, end), "open custom windows end with the current minute too");
        for (q, field) in [
            (SummaryQuery { range: Some("2h".into()), ..Default::default() }, "range"),
            (SummaryQuery { from: Some(10), to: Some(5), ..Default::default() }, "to"),
            (SummaryQuery { to: Some(5), ..Default::default() }, "from"),
            (SummaryQuery { from: Some(0), to: Some(400 * D), ..Default::default() }, "from"),
        ] {
            assert_eq!(Window::resolve(&q, now).unwrap_err().field, field);
        }
    }
}
