//! What a batch adds to the derived rows besides the rollups: each
//! conversation's and each turn's running totals, how many conversations
//! end in each hour, and the signed corrections a reprice makes. Pure
//! folding; the store adds the results with upserts, so a batch never
//! reads what it is about to change (but for the hour a conversation
//! ended in, which its new events may move).

use super::{Dims, Grain, Key, Metrics};
use domain::{Event, Status};
use std::collections::{BTreeMap, HashMap};

/// What a batch adds to one conversation's totals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatDelta {
    pub first_ts: i64,
    /// End of the latest stage (its start plus its duration).
    pub last_ts: i64,
    pub last_event_id: i64,
    pub events: i64,
    /// Turns the batch opened.
    pub turns: i64,
    pub errors: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: CostDelta,
    pub duration_ms: i64,
    pub last_persona: Option<String>,
    pub last_model: Option<String>,
    pub last_status: Option<String>,
    pub last_stage: Option<String>,
    pub last_turn_id: Option<String>,
    /// The first tenant seen (a conversation belongs to one tenant).
    pub tenant: Option<String>,
    /// The first pipeline seen (a conversation runs in one pipeline).
    pub pipeline: Option<String>,
}

/// What a batch adds to one turn's totals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TurnDelta {
    pub first_ts: i64,
    pub last_ts: i64,
    pub last_event_id: i64,
    pub events: i64,
    pub errors: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: CostDelta,
    pub persona: Option<String>,
    pub model: Option<String>,
    /// `error` once any stage failed, else the latest stage's status.
    pub status: String,
    pub tenant: Option<String>,
}

/// A change to priced cost and the count of unpriced events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CostDelta {
    pub cost_nanos: i64,
    pub unpriced_events: i64,
}

impl CostDelta {
    /// Adds (`sign` = 1) or removes (`sign` = -1) one event's cost outcome.
    fn add(&mut self, cost: Option<i64>, sign: i64) {
        match cost {
            Some(c) => self.cost_nanos += sign * c,
            None => self.unpriced_events += sign,
        }
    }
}

/// Each conversation's share of `events` (stored, so with ids), given which
/// events opened their turn (`first_in_turn`, aligned with `events`).
pub fn chats<'a>(events: &'a [Event], first_in_turn: &[bool]) -> BTreeMap<&'a str, ChatDelta> {
    let mut out: BTreeMap<&str, ChatDelta> = BTreeMap::new();
    for (e, &opened) in events.iter().zip(first_in_turn) {
        let d = out.entry(e.chat_id.as_str()).or_insert_with(|| ChatDelta {
            first_ts: e.ts,
            last_ts: e.ts,
            last_event_id: 0,
            events: 0,
            turns: 0,
            errors: 0,
            input_tokens: 0,
            output_tokens: 0,
            cost: CostDelta::default(),
            duration_ms: 0,
            last_persona: None,
            last_model: None,
            last_status: None,
            last_stage: None,
            last_turn_id: None,
            tenant: None,
            pipeline: None,
        });
        d.first_ts = d.first_ts.min(e.ts);
        d.last_ts = d.last_ts.max(e.ts + e.duration_ms.unwrap_or(0));
        d.last_event_id = d.last_event_id.max(e.id);
        d.events += 1;
        d.turns += i64::from(opened);
        d.errors += i64::from(e.status == Status::Error);
        d.input_tokens += e.usage.input_tokens;
        d.output_tokens += e.usage.output_tokens;
        d.cost.add(e.cost(), 1);
        d.duration_ms += e.duration_ms.unwrap_or(0);
        d.last_persona = e.persona.clone().or(d.last_persona.take());
        d.last_model = e.model.clone().or(d.last_model.take());
        d.last_status = Some(e.status.as_str().to_string());
        d.last_stage = Some(e.stage.clone());
        d.last_turn_id = e.turn_id.clone();
        d.tenant = d.tenant.take().or_else(|| e.tenant.clone());
        d.pipeline = d.pipeline.take().or_else(|| e.pipeline.clone());
    }
    out
}

/// How a group moves conversations between the hours their latest event
/// ends in (the `conversation_ends` counts, which answer "active in a
/// window" without counting the conversations one by one): +1 for the hour
/// a conversation now ends in, −1 for the hour it ended in before, when
/// they differ. `before` holds when each conversation that existed before
/// the group ended; the others are new.
pub fn end_moves(chats: &BTreeMap<&str, ChatDelta>, before: &HashMap<String, i64>) -> BTreeMap<i64, i64> {
    let hour = |ts| Grain::Hour.floor(ts);
    let mut moves: BTreeMap<i64, i64> = BTreeMap::new();
    for (chat, d) in chats {
        match before.get(*chat) {
            None => *moves.entry(hour(d.last_ts)).or_default() += 1,
            Some(&ended) => {
                let (was, now) = (hour(ended), hour(ended.max(d.last_ts)));
                if was != now {
                    *moves.entry(was).or_default() -= 1;
                    *moves.entry(now).or_default() += 1;
                }
            }
        }
    }
    moves.retain(|_, n| *n != 0);
    moves
}

/// Each turn's share of `events`, keyed by (chat id, turn id).
pub fn turns(events: &[Event]) -> BTreeMap<(&str, &str), TurnDelta> {
    let mut out: BTreeMap<(&str, &str), TurnDelta> = BTreeMap::new();
    for e in events {
        let d = out.entry(e.turn_key()).or_insert_with(|| TurnDelta {
            first_ts: e.ts,
            last_ts: e.ts,
            last_event_id: 0,
            events: 0,
            errors: 0,
            input_tokens: 0,
            output_tokens: 0,
            cost: CostDelta::default(),
            persona: None,
            model: None,
            status: String::new(),
            tenant: None,
        });
        d.first_ts = d.first_ts.min(e.ts);
        d.last_ts = d.last_ts.max(e.ts + e.duration_ms.unwrap_or(0));
        d.last_event_id = d.last_event_id.max(e.id);
        d.events += 1;
        d.errors += i64::from(e.status == Status::Error);
        d.input_tokens += e.usage.input_tokens;
        d.output_tokens += e.usage.output_tokens;
        d.cost.add(e.cost(), 1);
        d.persona = e.persona.clone().or(d.persona.take());
        d.model = e.model.clone().or(d.model.take());
        d.status = if d.errors > 0 { Status::Error.as_str() } else { e.status.as_str() }.to_string();
        d.tenant = d.tenant.take().or_else(|| e.tenant.clone());
    }
    out
}

/// What repricing changes: each event's new price, and the signed
/// corrections to the rollups and the conversation and turn totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Corrections {
    /// (event id, new cost, new pricing entry).
    pub events: Vec<(i64, Option<i64>, Option<String>)>,
    pub rollups: BTreeMap<Key, Metrics>,
    pub chats: BTreeMap<String, CostDelta>,
    pub turns: BTreeMap<(String, String), CostDelta>,
}

/// The corrections for events repriced from `old` to `new` (same events,
/// same order): remove the old outcome, add the new one.
pub fn corrections(changed: &[(Event, Event)]) -> Corrections {
    let mut out = Corrections::default();
    for (old, new) in changed {
        out.events.push((new.id, new.cost(), new.pricing_id.clone()));
        let mut m = Metrics::default();
        m.set_cost(old.cost(), old.usage.total(), -1);
        m.set_cost(new.cost(), new.usage.total(), 1);
        let dims = Dims::of(new);
        for g in Grain::ALL {
            out.rollups.entry((g, g.floor(new.ts), dims.clone())).or_default().add(&m);
        }
        let (chat, turn) = new.turn_key();
        for d in [
            out.chats.entry(chat.to_string()).or_default(),
            out.turns.entry((chat.to_string(), turn.to_string())).or_default(),
        ] {
            d.add(old.cost(), -1);
            d.add(new.cost(), 1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::testing::ev;
    use domain::visibility::Cost;

    fn priced(mut e: Event, cost: Option<i64>) -> Event {
        e.cost_nanos = Cost::Shown(cost);
        e
    }

    #[test]
    fn conversations_and_turns_add_up_per_key() {
        let mut a = priced(ev(1, "c", "t1", "buffer", Status::Success), Some(10));
        a.persona = Some("sage".into());
        let b = priced(ev(2, "c", "t1", "intent", Status::Error), None);
        let mut c = priced(ev(3, "c", "t2", "send", Status::Running), Some(5));
        c.duration_ms = Some(100);
        let d = priced(ev(4, "other", "t1", "send", Status::Success), Some(1));
        let events = [a, b, c, d];
        let chats = chats(&events, &[true, false, true, true]);
        let ch = &chats["c"];
        assert_eq!((ch.first_ts, ch.last_ts, ch.last_event_id), (10, 130, 3));
        assert_eq!((ch.events, ch.turns, ch.errors), (3, 2, 1));
        assert_eq!(ch.cost, CostDelta { cost_nanos: 15, unpriced_events: 1 });
        assert_eq!((ch.last_persona.as_deref(), ch.last_status.as_deref()), (Some("sage"), Some("running")));
        assert_eq!(chats["other"].turns, 1);

        let turns = turns(&events);
        let t1 = &turns[&("c", "t1")];
        assert_eq!((t1.events, t1.errors, t1.status.as_str()), (2, 1, "error"), "an error sticks");
        assert_eq!(t1.cost, CostDelta { cost_nanos: 10, unpriced_events: 1 });
        assert_eq!(turns[&("c", "t2")].status, "running");
        assert_eq!(turns.len(), 3);
    }

    #[test]
    fn conversations_move_to_the_hour_they_now_end_in() {
        const H: i64 = 3_600_000;
        let at = |ts: i64, chat: &str| Event { ts, ..ev(1, chat, "t", "send", Status::Success) };
        let mut late = at(3 * H + 5, "old");
        late.duration_ms = Some(H); // ends in hour 4
        let events = [at(2 * H + 1, "new"), at(2 * H + 9, "new"), late, at(H + 7, "same"), at(H - 1, "earlier")];
        let chats = chats(&events, &[true; 5]);
        let before: HashMap<String, i64> =
            [("old".to_string(), 10), ("same".to_string(), H + 100), ("earlier".to_string(), 2 * H)].into();
        // new: +1 in hour 2; old: hour 0 → 4; same: stays in hour 1;
        // earlier: an event before its end moves nothing.
        assert_eq!(end_moves(&chats, &before), BTreeMap::from([(0, -1), (2 * H, 1), (4 * H, 1)]));
        assert_eq!(
            end_moves(&chats, &HashMap::new()).values().sum::<i64>(),
            4,
            "four conversations, each counted once where it ends"
        );
    }

    #[test]
    fn corrections_remove_the_old_price_and_add_the_new() {
        let old = priced(ev(1, "c", "t", "response", Status::Success), None);
        let new = Event { pricing_id: Some("house".into()), ..priced(old.clone(), Some(40)) };
        let cheaper = priced(ev(2, "c", "t", "response", Status::Success), Some(100));
        let cheaper_new = priced(cheaper.clone(), Some(60));
        let c = corrections(&[(old, new), (cheaper, cheaper_new)]);
        assert_eq!(c.events, [(1, Some(40), Some("house".to_string())), (2, Some(60), None)]);
        assert_eq!(c.chats["c"], CostDelta { cost_nanos: 0, unpriced_events: -1 });
        assert_eq!(c.turns[&("c".to_string(), "t".to_string())], c.chats["c"]);
        assert_eq!(c.rollups.len(), 3, "one bucket per grain");
        let minute = c.rollups.values().next().unwrap();
        assert_eq!((minute.cost_nanos, minute.unpriced_events, minute.events), (0, -1, 0));
    }
}
