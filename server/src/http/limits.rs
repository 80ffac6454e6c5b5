//! How much one caller may take: live streams (a cap per session or key
//! and one in total, since each holds a connection and a bus subscription;
//! and a cap on gzipped ones, since each holds an encoder)
//! and ingest requests per key per second (a token bucket, off unless
//! configured). Past either, the answer is 429 with `Retry-After`, and
//! nothing was parsed or stored.

use super::error::ApiError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The caps on concurrent live streams.
#[derive(Debug)]
pub struct StreamGate {
    per_caller: usize,
    total: usize,
    open: Mutex<Open>,
}

/// Gzipped live streams one server holds open; more are sent as they
/// are. Each holds its encoder's tables and buffers: 100 of them added
/// 18–20 MiB to the server's RSS (`bench/footprint --gzip`).
pub const GZIPPED_STREAMS: usize = 100;

#[derive(Debug, Default)]
struct Open {
    total: usize,
    gzipped: usize,
    by_caller: HashMap<String, usize>,
}

/// One open stream; closing it (dropping the permit) frees its place.
#[derive(Debug)]
pub struct StreamPermit {
    gate: Arc<StreamGate>,
    caller: String,
    gzipped: bool,
}

impl StreamPermit {
    /// Whether this stream may be gzipped ([`GZIPPED_STREAMS`]); if so,
    /// it holds one of their places until it closes.
    pub fn gzip(&mut self) -> bool {
        let mut open = self.gate.open.lock().unwrap_or_else(|e| e.into_inner());
        if !self.gzipped && open.gzipped < GZIPPED_STREAMS {
            open.gzipped += 1;
            self.gzipped = true;
        }
        self.gzipped
    }
}

impl StreamGate {
    pub fn new(per_caller: usize, total: usize) -> StreamGate {
        StreamGate { per_caller, total, open: Mutex::default() }
    }

    /// A place for one more stream of `caller` (a session's or a key's
    /// hash), or the cap it would pass.
    pub fn admit(self: &Arc<Self>, caller: &str) -> Result<StreamPermit, ApiError> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let mine = open.by_caller.get(caller).copied().unwrap_or(0);
        if mine >= self.per_caller {
            return Err(ApiError::TooManyStreams { limit: self.per_caller, scope: "for this session or key" });
        }
        if open.total >= self.total {
            return Err(ApiError::TooManyStreams { limit: self.total, scope: "on this server" });
        }
        open.total += 1;
        *open.by_caller.entry(caller.to_string()).or_default() += 1;
        Ok(StreamPermit { gate: self.clone(), caller: caller.to_string(), gzipped: false })
    }

    /// Streams open now.
    pub fn open(&self) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).total
    }
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut open = self.gate.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total -= 1;
        open.gzipped -= usize::from(self.gzipped);
        if let Some(n) = open.by_caller.get_mut(&self.caller) {
            *n -= 1;
            if *n == 0 {
                open.by_caller.remove(&self.caller);
            }
        }
    }
}

/// Ingest requests per key per second; `None` is no limit.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: Option<u32>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets kept before idle ones are swept (each is a few dozen bytes).
const SWEEP_AT: usize = 10_000;

impl RateLimiter {
    pub fn new(per_second: Option<u32>) -> RateLimiter {
        RateLimiter { per_second: per_second.filter(|&n| n > 0), buckets: Mutex::default() }
    }

    /// Takes one request from the bucket of `api_key` (kept by its hash,
    /// and hashed only when a limit is set), which holds a second's worth
    /// and refills continuously; refuses when it is empty.
    pub fn take(&self, api_key: &str, now: Instant) -> Result<(), ApiError> {
        let Some(rate) = self.per_second else { return Ok(()) };
        let key = pipeline::store::hash_key(api_key);
        let rate = f64::from(rate);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= SWEEP_AT {
            // A bucket idle for a second is full again: forgetting it is exact.
            buckets.retain(|_, b| now.duration_since(b.at).as_secs_f64() < 1.0);
        }
        let bucket = buckets.entry(key).or_insert(Bucket { tokens: rate, at: now });
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * rate).min(rate);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait = ((1.0 - bucket.tokens) / rate).ceil().max(1.0) as u64;
        Err(ApiError::RateLimited { per_second: rate as u32, retry_after_secs: wait })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn streams_are_capped_per_caller_and_in_total_and_freed_on_close() {
        let gate = Arc::new(StreamGate::new(2, 3));
        let a1 = gate.admit("a").unwrap();
        let _a2 = gate.admit("a").unwrap();
        let e = gate.admit("a").unwrap_err();
        assert!(e.to_string().contains("at most 2 for this session"), "{e}");
        let _b1 = gate.admit("b").unwrap();
        let e = gate.admit("c").unwrap_err();
        assert!(e.to_string().contains("at most 3 on this server"), "{e}");
        assert_eq!(e.status(), 429);
        drop(a1);
        assert_eq!(gate.open(), 2);
        gate.admit("c").unwrap();
    }

    #[test]
    fn gzipped_streams_are_capped_and_freed_on_close() {
        let gate = Arc::new(StreamGate::new(usize::MAX, GZIPPED_STREAMS + 1));
        let mut permits: Vec<_> = (0..=GZIPPED_STREAMS).map(|i| gate.admit(&i.to_string()).unwrap()).collect();
        for p in &mut permits[..GZIPPED_STREAMS] {
            assert!(p.gzip() && p.gzip(), "a place, held once");
        }
        let mut last = permits.pop().unwrap();
        assert!(!last.gzip(), "past the cap the stream is sent as it is");
        permits.pop();
        assert!(last.gzip(), "a closed stream's place is free again");
    }

    #[test]
    fn a_key_gets_its_rate_and_refills_with_time() {
        let limiter = RateLimiter::new(Some(5));
        let t0 = Instant::now();
        for _ in 0..5 {
            limiter.take("k", t0).unwrap();
        }
        let e = limiter.take("k", t0).unwrap_err();
        assert_eq!(e.status(), 429);
        assert_eq!(e.retry_after(), Some(1));
        // Another key has its own bucket.
        limiter.take("other", t0).unwrap();
        // A fifth of a second refills one request.
        limiter.take("k", t0 + Duration::from_millis(200)).unwrap();
        assert!(limiter.take("k", t0 + Duration::from_millis(200)).is_err());
        // Off by default.
        let off = RateLimiter::new(None);
        for _ in 0..1000 {
            off.take("k", t0).unwrap();
        }
    }
}
