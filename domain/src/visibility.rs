//! Who may see money. Viewers watch the pipeline's flow but never what it
//! cost; admins and read keys see everything. The rule itself (who sees
//! cost) is the service's `Viewer`; this module is how a record obeys it.
//!
//! Every cost figure a reader can receive is a [`Cost`]. A record that
//! carries cost figures implements [`HideCost`] by hiding each of them, and a
//! hidden figure is *absent* from the JSON: not `0` (a real amount), and not
//! `null` (which, for an event, means "unpriced").

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A cost figure as one reader may see it. Declare fields as
/// `#[serde(default, skip_serializing_if = "Cost::is_hidden")]`, so a
/// hidden figure leaves no key and a missing key reads back as hidden.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Cost<T> {
    Shown(T),
    /// Not for this reader.
    #[default]
    Hidden,
}

impl<T> Cost<T> {
    pub fn is_hidden(&self) -> bool {
        matches!(self, Cost::Hidden)
    }

    /// The figure, unless hidden.
    pub fn shown(&self) -> Option<&T> {
        match self {
            Cost::Shown(v) => Some(v),
            Cost::Hidden => None,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Cost<U> {
        match self {
            Cost::Shown(v) => Cost::Shown(f(v)),
            Cost::Hidden => Cost::Hidden,
        }
    }
}

impl<T: Serialize> Serialize for Cost<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cost::Shown(v) => v.serialize(s),
            // Only reached without `skip_serializing_if`; still never a number.
            Cost::Hidden => s.serialize_unit(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Cost<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Cost::Shown)
    }
}

/// A record that carries cost figures: `hide_cost` hides every one of them,
/// including those of the records it holds.
pub trait HideCost {
    fn hide_cost(&mut self);
}

impl<T: HideCost> HideCost for Vec<T> {
    fn hide_cost(&mut self) {
        self.iter_mut().for_each(HideCost::hide_cost);
    }
}

impl<T: HideCost> HideCost for Option<T> {
    fn hide_cost(&mut self) {
        if let Some(t) = self {
            t.hide_cost();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::{detail, ConversationSummary};
    use crate::testing::ev;
    use crate::Status;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Row {
        #[serde(default, skip_serializing_if = "Cost::is_hidden")]
        cost: Cost<Option<i64>>,
    }

    #[test]
    fn shown_hidden_and_unpriced_are_three_different_answers() {
        let json = |r: &Row| serde_json::to_string(r).unwrap();
        assert_eq!(json(&Row { cost: Cost::Shown(Some(5)) }), r#"{"cost":5}"#);
        assert_eq!(json(&Row { cost: Cost::Shown(None) }), r#"{"cost":null}"#, "unpriced");
        assert_eq!(json(&Row { cost: Cost::Hidden }), "{}", "hidden: no key at all");
        for text in [r#"{"cost":5}"#, r#"{"cost":null}"#, "{}"] {
            let row: Row = serde_json::from_str(text).unwrap();
            assert_eq!(json(&row), text, "round trip");
        }
    }

    /// Every record a viewer can receive, hidden: no cost key anywhere.
    #[test]
    fn hidden_records_carry_no_cost_keys() {
        let mut paid = ev(1, "c", "t", "response", Status::Success);
        paid.cost_nanos = Cost::Shown(Some(1_500));
        paid.pricing_id = Some("gpt-4o".into());
        let unpriced = Event { cost_nanos: Cost::Shown(None), ..ev(2, "c", "t", "send", Status::Error) };
        let mut shown = detail("c", vec![paid.clone(), unpriced], false);
        let mut summary = ConversationSummary {
            chat_id: "c".into(),
            first_ts: 0,
            last_ts: 1,
            last_event_id: 2,
            events: 2,
            turns: 1,
            errors: 1,
            input_tokens: 0,
            output_tokens: 0,
            cost_nanos: Cost::Shown(1_500),
            unpriced_events: Cost::Shown(1),
            last_persona: None,
            last_model: None,
            last_status: None,
        };
        let before = serde_json::to_string(&(&shown, &summary)).unwrap();
        assert!(before.contains("costNanos") && before.contains("pricingId") && before.contains("unpricedEvents"));
        shown.hide_cost();
        summary.hide_cost();
        let mut events = vec![paid];
        events.hide_cost();
        let after = serde_json::to_string(&(&shown, &summary, &events)).unwrap();
        for key in ["cost", "Cost", "pric", "unpriced"] {
            assert!(!after.contains(key), "`{key}` in {after}");
        }
    }

    use crate::Event;
}
