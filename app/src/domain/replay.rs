//! Replay as pure data: a conversation's stage events as steps in the order
//! they happened, the pause before each step at a given speed and timing,
//! the flow graph of the steps seen so far, and the waterfall's geometry.
//! The replay page only keeps a position and a clock; everything it draws
//! is computed here, so it is tested without a browser.

use super::conversation::ConversationDetail;
use super::flow::FlowGraph;
use super::Event;

/// Playback speeds offered.
pub const SPEEDS: [u32; 3] = [1, 2, 5];

/// Compressed timing keeps the order and the rhythm but clamps each pause
/// into this range (ms at 1×): long idle gaps shrink, bursts spread out.
pub const COMPRESSED_MIN_MS: i64 = 250;
pub const COMPRESSED_MAX_MS: i64 = 1_000;
/// Even real time never waits longer than this for one step.
pub const REAL_MAX_MS: i64 = 60_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Timing {
    /// Pauses clamped to 250 ms–1 s.
    #[default]
    Compressed,
    /// The gaps the pipeline really had (up to a minute).
    Real,
}

impl Timing {
    pub fn as_str(self) -> &'static str {
        match self {
            Timing::Compressed => "compressed",
            Timing::Real => "real",
        }
    }

    pub fn parse(s: &str) -> Option<Timing> {
        match s {
            "compressed" => Some(Timing::Compressed),
            "real" => Some(Timing::Real),
            _ => None,
        }
    }
}

/// The steps of a conversation: every stage event, ordered by time with
/// ties broken by id (the order the conversation endpoint returns).
pub fn steps(detail: &ConversationDetail) -> Vec<Event> {
    let mut all: Vec<Event> = detail.turns.iter().flat_map(|t| t.stages.iter().cloned()).collect();
    super::conversation::sort_for_replay(&mut all);
    all
}

/// Adds live events that belong to this conversation and are not yet known,
/// keeping replay order. Returns how many were added.
pub fn merge(steps: &mut Vec<Event>, chat_id: &str, incoming: &[Event]) -> usize {
    let mut added = 0;
    for e in incoming.iter().filter(|e| e.chat_id == chat_id) {
        if steps.iter().any(|s| s.id == e.id) {
            continue;
        }
        let at = steps.partition_point(|s| (s.ts, s.id) < (e.ts, e.id));
        steps.insert(at, e.clone());
        added += 1;
    }
    added
}

/// How long to wait, in ms, before moving from `from` to the next step `to`.
pub fn delay_ms(from: &Event, to: &Event, speed: u32, timing: Timing) -> i64 {
    let gap = (to.ts - from.ts).max(0);
    let at_1x = match timing {
        Timing::Compressed => gap.clamp(COMPRESSED_MIN_MS, COMPRESSED_MAX_MS),
        Timing::Real => gap.min(REAL_MAX_MS),
    };
    at_1x / i64::from(speed.max(1))
}

/// The flow graph of the steps up to and including `pos`.
pub fn graph_until(steps: &[Event], pos: usize) -> FlowGraph {
    let end = (pos + 1).min(steps.len());
    let mut g = FlowGraph::default();
    for e in &steps[..end] {
        g.apply(e);
    }
    g
}

/// One waterfall bar, in percent of the conversation's span.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    pub left_pct: f64,
    pub width_pct: f64,
    /// Start relative to the conversation's first event, ms.
    pub offset_ms: i64,
}

/// Narrowest bar drawn, so instant stages stay visible and clickable.
pub const MIN_BAR_PCT: f64 = 0.4;

/// The conversation's time axis: its first start, and its span in ms from
/// there to the end of its latest stage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Axis {
    pub t0: i64,
    pub span_ms: i64,
}

pub fn axis(steps: &[Event]) -> Axis {
    let Some(t0) = steps.iter().map(|e| e.ts).min() else { return Axis::default() };
    let end = steps.iter().map(|e| e.ts + e.duration_ms.unwrap_or(0)).max().unwrap_or(t0);
    Axis { t0, span_ms: end - t0 }
}

impl Axis {
    /// Where a stage's bar sits on this axis (start and duration).
    pub fn bar(&self, ts: i64, duration_ms: i64) -> Bar {
        let span = self.span_ms.max(1) as f64;
        let left = ((ts - self.t0) as f64 / span * 100.0).min(100.0 - MIN_BAR_PCT);
        let width = (duration_ms as f64 / span * 100.0).max(MIN_BAR_PCT).min(100.0 - left).max(MIN_BAR_PCT);
        Bar { left_pct: left, width_pct: width, offset_ms: ts - self.t0 }
    }
}

/// For each step, its turn's number (1-based, in order of first appearance)
/// and whether it opens that turn.
pub fn turn_marks(steps: &[Event]) -> Vec<(usize, bool)> {
    let mut turns: Vec<&str> = Vec::new();
    steps
        .iter()
        .map(|e| {
            let key = e.turn_id.as_deref().unwrap_or("");
            match turns.iter().position(|t| *t == key) {
                Some(i) => (i + 1, false),
                None => {
                    turns.push(key);
                    (turns.len(), true)
                }
            }
        })
        .collect()
}

/// `meta` as indented JSON for the details panel.
pub fn pretty_meta(e: &Event) -> Option<String> {
    e.meta.as_ref().map(|m| serde_json::to_string_pretty(m).unwrap_or_else(|_| m.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::conversation::detail;
    use crate::domain::Status;
    use ::domain::testing::ev;

    fn at(id: i64, turn: &str, stage: &str, ts: i64, dur: i64) -> Event {
        let mut e = ev(id, "c", turn, stage, Status::Success);
        e.ts = ts;
        e.duration_ms = Some(dur);
        e
    }

    #[test]
    fn steps_follow_time_then_id_across_turns() {
        let d = detail(
            "c",
            vec![at(4, "t2", "send", 500, 10), at(2, "t1", "intent", 100, 50), at(1, "t1", "buffer", 100, 5)],
            false,
        );
        assert_eq!(steps(&d).iter().map(|e| e.id).collect::<Vec<_>>(), [1, 2, 4]);
    }

    #[test]
    fn live_events_are_merged_once_in_order_and_only_for_this_chat() {
        let mut s = vec![at(1, "t1", "buffer", 100, 5), at(3, "t1", "send", 300, 5)];
        let mut other = at(9, "t1", "send", 200, 5);
        other.chat_id = "elsewhere".into();
        let added = merge(
            &mut s,
            "c",
            &[at(2, "t1", "intent", 200, 5), at(3, "t1", "send", 300, 5), other, at(4, "t2", "buffer", 400, 5)],
        );
        assert_eq!(added, 2);
        assert_eq!(s.iter().map(|e| e.id).collect::<Vec<_>>(), [1, 2, 3, 4]);
    }

    #[test]
    fn pauses_scale_with_speed_and_clamp_when_compressed() {
        let (a, b, c) = (at(1, "t", "a", 0, 0), at(2, "t", "b", 3_000, 0), at(3, "t", "c", 3_040, 0));
        assert_eq!(delay_ms(&a, &b, 1, Timing::Real), 3_000);
        assert_eq!(delay_ms(&a, &b, 2, Timing::Real), 1_500);
        assert_eq!(delay_ms(&a, &b, 1, Timing::Compressed), COMPRESSED_MAX_MS);
        assert_eq!(delay_ms(&b, &c, 1, Timing::Compressed), COMPRESSED_MIN_MS);
        assert_eq!(delay_ms(&b, &c, 5, Timing::Compressed), COMPRESSED_MIN_MS / 5);
        assert_eq!(delay_ms(&b, &a, 1, Timing::Real), 0, "out of order never waits negative");
        assert_eq!(delay_ms(&a, &at(4, "t", "d", 3_600_000, 0), 1, Timing::Real), REAL_MAX_MS);
    }

    #[test]
    fn the_graph_grows_step_by_step() {
        let s = [at(1, "t", "buffer", 0, 0), at(2, "t", "intent", 1, 0), at(3, "t", "send", 2, 0)];
        let g = graph_until(&s, 0);
        assert_eq!((g.nodes.len(), g.edges.len()), (1, 0));
        let g = graph_until(&s, 2);
        assert_eq!((g.nodes.len(), g.edges.len()), (3, 2));
        assert_eq!(graph_until(&s, 99).nodes.len(), 3, "past the end is the whole path");
    }

    #[test]
    fn bars_place_start_and_duration_on_the_axis() {
        let s = [at(1, "t", "a", 1_000, 100), at(2, "t", "b", 1_100, 900), at(3, "t", "c", 2_000, 0)];
        let a = axis(&s);
        assert_eq!(a, Axis { t0: 1_000, span_ms: 1_000 });
        let b: Vec<Bar> = s.iter().map(|e| a.bar(e.ts, e.duration_ms.unwrap_or(0))).collect();
        assert_eq!((b[0].left_pct, b[0].width_pct, b[0].offset_ms), (0.0, 10.0, 0));
        assert_eq!((b[1].left_pct, b[1].width_pct), (10.0, 90.0));
        // An instant stage at the very end stays visible inside the axis.
        assert_eq!((b[2].left_pct, b[2].width_pct, b[2].offset_ms), (100.0 - MIN_BAR_PCT, MIN_BAR_PCT, 1_000));
        assert_eq!(axis(&[]), Axis::default());
    }

    #[test]
    fn turns_are_numbered_by_first_appearance() {
        let s = [at(1, "t1", "a", 0, 0), at(2, "t2", "b", 1, 0), at(3, "t1", "c", 2, 0), at(4, "t3", "d", 3, 0)];
        assert_eq!(turn_marks(&s), [(1, true), (2, true), (1, false), (3, true)]);
    }
}
