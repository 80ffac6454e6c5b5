//! Sign-in throttling: at most `max` failed attempts per key (an account, or
//! a client address) in a sliding window. In memory: a restart forgives,
//! which is fine for slowing down guessing.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

#[derive(Debug)]
pub struct Limiter {
    max: usize,
    window_ms: i64,
    failures: Mutex<HashMap<String, VecDeque<i64>>>,
}

impl Limiter {
    pub fn new(max: usize, window_ms: i64) -> Limiter {
        Limiter { max, window_ms, failures: Mutex::new(HashMap::new()) }
    }

    /// `Some(ms)` to wait when `key` has used up its attempts.
    pub fn blocked_for(&self, key: &str, now_ms: i64) -> Option<i64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let q = map.get_mut(key)?;
        while q.front().is_some_and(|&t| t <= now_ms - self.window_ms) {
            q.pop_front();
        }
        (q.len() >= self.max).then(|| q.front().map_or(0, |&t| t + self.window_ms - now_ms))
    }

    pub fn fail(&self, key: &str, now_ms: i64) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            // Bound memory under a flood of distinct keys: forget the idle.
            let cutoff = now_ms - self.window_ms;
            map.retain(|_, q| q.back().is_some_and(|&t| t > cutoff));
        }
        map.entry(key.to_string()).or_default().push_back(now_ms);
    }

    pub fn reset(&self, key: &str) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_until_the_window_passes() {
        let l = Limiter::new(3, 1000);
        for t in 0..3 {
            assert_eq!(l.blocked_for("a", t), None);
            l.fail("a", t);
        }
        assert_eq!(l.blocked_for("a", 10), Some(990));
        assert_eq!(l.blocked_for("b", 10), None, "per key");
        assert_eq!(l.blocked_for("a", 1001), None, "the oldest failure expired");
        l.fail("a", 1001);
        l.reset("a");
        assert_eq!(l.blocked_for("a", 1002), None);
    }
}
