//! The figures on the info cards, derived from the recent events so the
//! server-rendered page and the live one compute them the same way.

use super::{Event, Status};

/// Events per minute counts what the server received in the last 60 s.
pub const RATE_WINDOW_MS: i64 = 60_000;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct InfoFigures {
    pub persona: Option<String>,
    pub model: Option<String>,
    /// The most recent stage that reported a duration: (stage, ms).
    pub last_duration: Option<(String, i64)>,
    pub events_per_minute: usize,
    /// Errors among `log` (the latest events), as (errors, total).
    pub errors: (usize, usize),
}

impl InfoFigures {
    /// `log` is newest first; `recent_received` holds the receive times of
    /// the recent events (any order).
    pub fn compute(log: &[Event], recent_received: impl IntoIterator<Item = i64>, now_ms: i64) -> InfoFigures {
        InfoFigures {
            persona: log.iter().find_map(|e| e.persona.clone()),
            model: log.iter().find_map(|e| e.model.clone()),
            last_duration: log.iter().find_map(|e| e.duration_ms.map(|d| (e.stage.clone(), d))),
            events_per_minute: recent_received
                .into_iter()
                .filter(|&t| t > now_ms - RATE_WINDOW_MS && t <= now_ms)
                .count(),
            errors: (log.iter().filter(|e| e.status == Status::Error).count(), log.len()),
        }
    }

    /// Error rate as a percentage with one decimal, or `None` with no events.
    pub fn error_rate_pct(&self) -> Option<f64> {
        let (errors, total) = self.errors;
        (total > 0).then(|| (errors as f64 * 1000.0 / total as f64).round() / 10.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::domain::testing::ev;

    #[test]
    fn takes_the_newest_values_and_counts_the_last_minute() {
        let mut a = ev(3, "c", "1", "response", Status::Error);
        a.model = Some("gpt-4o".into());
        a.duration_ms = None;
        let mut b = ev(2, "c", "1", "persona", Status::Success);
        b.persona = Some("sage".into());
        b.model = Some("llama".into());
        let log = vec![a, b];
        let f = InfoFigures::compute(&log, [100_000, 50_000, 39_999], 100_000);
        assert_eq!(f.model.as_deref(), Some("gpt-4o"));
        assert_eq!(f.persona.as_deref(), Some("sage"));
        assert_eq!(f.last_duration, Some(("persona".into(), 10)));
        assert_eq!(f.events_per_minute, 2);
        assert_eq!(f.error_rate_pct(), Some(50.0));
        assert_eq!(InfoFigures::default().error_rate_pct(), None);
    }
}
