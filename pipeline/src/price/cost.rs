//! The cost of one event: a pure function of the price table and the event.
//!
//! Token counts arrive normalised (see `ingest::usage`): cached and
//! cache-write tokens are *parts of* the input, reasoning tokens *part of*
//! the output. So each token is priced exactly once:
//!
//! ```text
//! cost = (input − cached − cache_write) × input rate
//!      + cached                          × cached-input rate (else input rate)
//!      + cache_write                     × cache-write rate  (else input rate)
//!      + (output − reasoning)            × output rate
//!      + reasoning                       × reasoning rate    (else output rate)
//! ```
//!
//! Rates are nano-dollars per 1M tokens; the sum is taken in `i128` and
//! divided by 10⁶ once, rounding half up, so an event's cost is exact to the
//! nano-dollar and sums of costs are plain integer sums.

use super::table::PriceTable;
use domain::visibility::Cost;
use domain::Event;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Priced {
    /// No tokens were used: nothing to pay, whatever the model.
    Free,
    /// Priced by the entry `entry_id`.
    Cost { nanos: i64, entry_id: String },
    /// Tokens were used but no entry prices the model (or no model was
    /// named). Counted apart, never shown as $0.
    Unpriced,
}

impl Priced {
    pub fn nanos(&self) -> Option<i64> {
        match self {
            Priced::Free => Some(0),
            Priced::Cost { nanos, .. } => Some(*nanos),
            Priced::Unpriced => None,
        }
    }
}

pub fn price(table: &PriceTable, e: &Event) -> Priced {
    let u = &e.usage;
    if u.is_empty() {
        return Priced::Free;
    }
    let Some(entry) = e.model.as_deref().and_then(|m| table.lookup(m, e.ts)) else {
        return Priced::Unpriced;
    };
    let r = entry.rates_for(u.input_tokens);
    let t = |n: i64| i128::from(n.max(0));
    let units = t(u.input_tokens - u.cached_input_tokens - u.cache_write_tokens) * i128::from(r.input)
        + t(u.cached_input_tokens) * i128::from(r.cached_input.unwrap_or(r.input))
        + t(u.cache_write_tokens) * i128::from(r.cache_write.unwrap_or(r.input))
        + t(u.output_tokens - u.reasoning_tokens) * i128::from(r.output)
        + t(u.reasoning_tokens) * i128::from(r.reasoning.unwrap_or(r.output));
    let nanos = (units + 500_000) / 1_000_000;
    Priced::Cost { nanos: i64::try_from(nanos).unwrap_or(i64::MAX), entry_id: entry.id.clone() }
}

/// Writes the price onto the event (`cost_nanos`, `pricing_id`).
pub fn apply(table: &PriceTable, e: &mut Event) {
    let priced = price(table, e);
    e.cost_nanos = Cost::Shown(priced.nanos());
    e.pricing_id = match priced {
        Priced::Cost { entry_id, .. } => Some(entry_id),
        _ => None,
    };
}

/// Golden cases, computed by hand from the bundled rates (USD per 1M):
/// gpt-4o 2.50 / 10.00 / cached 1.25; claude-sonnet-4 3 / 15 / read 0.30 /
/// write 3.75; o4-mini 1.10 / 4.40; gemini-2.5-pro 1.25 / 10, above 200k
/// input 2.50 / 15; gemini-1.5-flash cached 0.01875, output 0.30.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::usage::normalise;
    use domain::pricing::{Origin, PriceEntry, Rates};
    use domain::testing::ev;
    use domain::{Status, Usage};
    use serde_json::json;

    fn event(model: Option<&str>, usage: Usage, ts: i64) -> Event {
        let mut e = ev(1, "c", "t", "response", Status::Success);
        e.model = model.map(String::from);
        e.usage = usage;
        e.ts = ts;
        e
    }

    fn raw(v: serde_json::Value) -> Usage {
        let mut errors = vec![];
        let u = normalise(&v, 0, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        u
    }

    fn native(input: i64, output: i64, cached: i64, write: i64, reasoning: i64) -> Usage {
        Usage {
            input_tokens: input,
            output_tokens: output,
            cached_input_tokens: cached,
            cache_write_tokens: write,
            reasoning_tokens: reasoning,
        }
    }

    fn bundled() -> PriceTable {
        PriceTable::load(None).unwrap()
    }

    fn nanos(t: &PriceTable, model: &str, usage: Usage) -> Option<i64> {
        price(t, &event(Some(model), usage, 0)).nanos()
    }

    #[test]
    fn plain_input_and_output() {
        // 1000 × 2.50 + 500 × 10.00 per 1M = $0.0025 + $0.005
        assert_eq!(nanos(&bundled(), "gpt-4o", native(1000, 500, 0, 0, 0)), Some(7_500_000));
    }

    #[test]
    fn openai_cached_tokens_are_priced_once_at_the_cached_rate() {
        let u = raw(
            json!({"prompt_tokens": 1000, "completion_tokens": 200, "prompt_tokens_details": {"cached_tokens": 600}}),
        );
        // 400 × 2.50 + 600 × 1.25 + 200 × 10 = 1_000_000 + 750_000 + 2_000_000
        assert_eq!(nanos(&bundled(), "gpt-4o-2024-08-06", u), Some(3_750_000));
        // Everything cached: 1000 × 1.25, not 1000 × 2.50 + 1000 × 1.25.
        assert_eq!(nanos(&bundled(), "gpt-4o", native(1000, 0, 1000, 0, 0)), Some(1_250_000));
    }

    #[test]
    fn anthropic_cache_reads_and_writes() {
        let u = raw(
            json!({"input_tokens": 50, "output_tokens": 300, "cache_read_input_tokens": 1000, "cache_creation_input_tokens": 200}),
        );
        // 50 × 3 + 1000 × 0.30 + 200 × 3.75 + 300 × 15 = 150_000 + 300_000 + 750_000 + 4_500_000
        assert_eq!(nanos(&bundled(), "claude-sonnet-4-20250514", u), Some(5_700_000));
    }

    #[test]
    fn reasoning_at_the_output_rate_when_not_priced_apart() {
        let u = raw(
            json!({"prompt_tokens": 2000, "completion_tokens": 1500, "completion_tokens_details": {"reasoning_tokens": 1000}}),
        );
        // 2000 × 1.10 + 1500 × 4.40 = 2_200_000 + 6_600_000
        assert_eq!(nanos(&bundled(), "o4-mini", u), Some(8_800_000));
    }

    #[test]
    fn reasoning_at_its_own_rate() {
        let t = PriceTable::load(Some(
            r#"[{"id": "thinker", "match": "thinker", "input": 1, "output": 2, "reasoning": 3}]"#,
        ))
        .unwrap();
        // 10 × 1 + 60 × 2 + 40 × 3 = 10_000 + 120_000 + 120_000
        assert_eq!(nanos(&t, "thinker", native(10, 100, 0, 0, 40)), Some(250_000));
    }

    #[test]
    fn context_tier_applies_above_the_threshold_only() {
        // Above 200k: 250_000 × 2.50 + 1000 × 15 = 625_000_000 + 15_000_000
        assert_eq!(nanos(&bundled(), "gemini-2.5-pro", native(250_000, 1000, 0, 0, 0)), Some(640_000_000));
        // At the threshold the base rates hold: 200_000 × 1.25 + 1000 × 10
        assert_eq!(nanos(&bundled(), "gemini-2.5-pro", native(200_000, 1000, 0, 0, 0)), Some(260_000_000));
    }

    #[test]
    fn fractions_of_a_nanodollar_round_once_half_up() {
        // 1 cached token × 0.01875 = 18.75 nanos → 19
        assert_eq!(nanos(&bundled(), "gemini-1.5-flash", native(1, 0, 1, 0, 0)), Some(19));
        // + 1 output token × 0.30 = 318.75 → 319 (one rounding, not 19 + 300)
        assert_eq!(nanos(&bundled(), "gemini-1.5-flash", native(1, 1, 1, 0, 0)), Some(319));
    }

    #[test]
    fn environment_override_takes_precedence() {
        let t = PriceTable::load(Some(
            r#"[{"id": "gpt-4o", "match": "gpt-4o(-\\d{4}-\\d{2}-\\d{2})?", "input": 1, "output": 2}]"#,
        ))
        .unwrap();
        // 1000 × 1 + 500 × 2
        assert_eq!(nanos(&t, "gpt-4o-2024-08-06", native(1000, 500, 0, 0, 0)), Some(2_000_000));
    }

    #[test]
    fn admin_override_prices_from_its_effective_time_only() {
        let base = bundled();
        let mut entry = base.lookup("gpt-4o", 0).unwrap().clone();
        entry.rates = Rates {
            input: 5_000_000_000,
            output: 20_000_000_000,
            cached_input: None,
            cache_write: None,
            reasoning: None,
        };
        entry.origin = Origin::Admin { effective_from: 1_000, created_at: 0 };
        let t = base.with_admin_overrides(vec![entry]).unwrap();
        let u = native(1000, 500, 0, 0, 0);
        assert_eq!(price(&t, &event(Some("gpt-4o"), u, 999)).nanos(), Some(7_500_000), "before: bundled");
        // 1000 × 5 + 500 × 20
        assert_eq!(price(&t, &event(Some("gpt-4o"), u, 1_000)).nanos(), Some(15_000_000), "at and after: override");
        // Cached tokens fall back to the override's input rate.
        assert_eq!(price(&t, &event(Some("gpt-4o"), native(1000, 0, 1000, 0, 0), 2_000)).nanos(), Some(5_000_000));
    }

    #[test]
    fn later_admin_overrides_win_once_in_effect() {
        let base = bundled();
        let make = |from: i64, input: i64| PriceEntry {
            id: "gpt-4o".into(),
            provider: None,
            pattern: "gpt-4o".into(),
            rates: Rates { input, output: 0, cached_input: None, cache_write: None, reasoning: None },
            tiers: vec![],
            source: None,
            as_of: None,
            note: None,
            origin: Origin::Admin { effective_from: from, created_at: 0 },
        };
        let t = base.with_admin_overrides(vec![make(100, 1_000_000_000), make(200, 2_000_000_000)]).unwrap();
        let u = native(1000, 0, 0, 0, 0);
        assert_eq!(price(&t, &event(Some("gpt-4o"), u, 150)).nanos(), Some(1_000_000));
        assert_eq!(price(&t, &event(Some("gpt-4o"), u, 250)).nanos(), Some(2_000_000));
    }

    #[test]
    fn unknown_models_are_unpriced_never_zero() {
        let t = bundled();
        assert_eq!(price(&t, &event(Some("my-finetune"), native(10, 10, 0, 0, 0), 0)), Priced::Unpriced);
        assert_eq!(price(&t, &event(None, native(10, 0, 0, 0, 0), 0)), Priced::Unpriced);
        // Without tokens there is nothing to pay, model or not.
        assert_eq!(price(&t, &event(Some("my-finetune"), Usage::default(), 0)), Priced::Free);
        assert_eq!(Priced::Free.nanos(), Some(0));
        assert_eq!(Priced::Unpriced.nanos(), None);
    }

    #[test]
    fn apply_records_the_entry() {
        let mut e = event(Some("claude-3-5-haiku-20241022"), native(1_000_000, 0, 0, 0, 0), 0);
        apply(&bundled(), &mut e);
        assert_eq!((e.cost(), e.pricing_id.as_deref()), (Some(800_000_000), Some("claude-3-5-haiku")));
        e.model = Some("nope".into());
        apply(&bundled(), &mut e);
        assert_eq!((e.cost_nanos, e.pricing_id), (Cost::Shown(None), None));
    }
}
