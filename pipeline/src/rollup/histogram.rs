//! A fixed latency histogram: 20 bins with roughly 1.5× steps from 5 ms to
//! 40 s. Fixed bins merge by addition, so percentiles come from rollups of
//! any size; within a bin the value is interpolated linearly.

/// Upper bounds (exclusive, ms) of every bin but the last (≥ 40 s).
pub const BOUNDS_MS: [i64; 19] =
    [5, 10, 20, 35, 50, 75, 100, 150, 250, 400, 600, 1000, 1500, 2500, 4000, 6000, 10_000, 20_000, 40_000];
pub const BINS: usize = BOUNDS_MS.len() + 1;

/// The rollup column that counts bin `i`.
pub fn column(i: usize) -> String {
    format!("h{i:02}")
}

pub fn bin_of(ms: i64) -> usize {
    BOUNDS_MS.iter().position(|&b| ms < b).unwrap_or(BOUNDS_MS.len())
}

/// The `q` quantile (0 < q ≤ 1) in ms, or `None` for an empty histogram.
pub fn percentile(hist: &[i64; BINS], q: f64) -> Option<i64> {
    let total: i64 = hist.iter().sum();
    if total <= 0 {
        return None;
    }
    let rank = ((q * total as f64).ceil() as i64).clamp(1, total);
    let mut below = 0;
    for (i, &n) in hist.iter().enumerate() {
        if n > 0 && below + n >= rank {
            let lo = if i == 0 { 0 } else { BOUNDS_MS[i - 1] };
            let hi = BOUNDS_MS.get(i).copied().unwrap_or(lo * 2);
            let within = (rank - below) as f64 / n as f64;
            return Some(lo + ((hi - lo) as f64 * within).round() as i64);
        }
        below += n;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_and_percentiles() {
        assert_eq!(bin_of(0), 0);
        assert_eq!(bin_of(5), 1);
        assert_eq!(bin_of(999), 11);
        assert_eq!(bin_of(1_000_000), BINS - 1);
        let mut h = [0; BINS];
        assert_eq!(percentile(&h, 0.95), None);
        // 100 events in [100, 150): the 95th is 95 % of the way through it.
        h[bin_of(120)] = 100;
        assert_eq!(percentile(&h, 0.95), Some(148));
        assert_eq!(percentile(&h, 0.5), Some(125));
        // One slow outlier sets the p100, not the p95.
        h[bin_of(30_000)] = 1;
        assert_eq!(percentile(&h, 0.95), Some(148));
        assert!(percentile(&h, 1.0).unwrap() >= 20_000);
    }
}
