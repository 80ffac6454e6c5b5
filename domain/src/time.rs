//! Timestamps are epoch milliseconds (`i64`) everywhere inside Flowmeter; on
//! the wire they are RFC 3339 strings in UTC. Formatting is done in UTC on
//! both sides so the server-rendered page and the hydrated one agree.
//!
//! Formatting is by hand (civil-from-days arithmetic), not chrono's
//! `format`: every page formats times, so its formatter would sit in the
//! WASM every visit loads. chrono still parses, which is lenient in ways
//! that are worth its size.

use chrono::DateTime;

const DAY_MS: i64 = 86_400_000;

/// Epoch milliseconds → `2026-11-22T10:04:05.123Z` (exactly chrono's
/// `to_rfc3339_opts(Millis, true)`). Outside the years 0000–9999, which
/// no stored time reaches (ingest takes 1970–9999), the bare number.
pub fn to_rfc3339(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(DAY_MS));
    if !(0..=9999).contains(&y) {
        return ms.to_string();
    }
    let of_day = ms.rem_euclid(DAY_MS);
    format!("{y:04}-{m:02}-{d:02}T{}.{:03}Z", clock(of_day), of_day % 1000)
}

/// RFC 3339 → epoch milliseconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis())
}

/// Epoch milliseconds → `10:04:05` (UTC wall clock) for tables.
pub fn clock(ms: i64) -> String {
    let s = ms.rem_euclid(DAY_MS) / 1000;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March first
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Serde adapter: epoch ms in memory, RFC 3339 on the wire; reads either.
pub mod serde_ts {
    use serde::{de, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::to_rfc3339(*ms))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = i64;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an RFC 3339 timestamp or epoch milliseconds")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
                Ok(v)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
                i64::try_from(v).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
                super::parse_rfc3339(v).ok_or_else(|| E::custom("invalid RFC 3339 timestamp"))
            }
        }
        d.deserialize_any(V)
    }
}

/// The current time, epoch ms (the browser's clock in WASM).
pub fn now_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_milliseconds() {
        let ms = 1_795_000_000_123;
        assert_eq!(parse_rfc3339(&to_rfc3339(ms)), Some(ms));
        assert_eq!(to_rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(clock(3_723_000), "01:02:03");
    }

    /// The hand-written formatter against chrono's, over the whole range
    /// ingest accepts and a little before it (leap days, centuries, the
    /// edges of each day).
    #[test]
    fn formats_exactly_as_chrono() {
        use chrono::{SecondsFormat, Utc};
        let chrono_rfc3339 =
            |ms: i64| DateTime::<Utc>::from_timestamp_millis(ms).unwrap().to_rfc3339_opts(SecondsFormat::Millis, true);
        let chrono_clock = |ms: i64| DateTime::<Utc>::from_timestamp_millis(ms).unwrap().format("%H:%M:%S").to_string();
        let (first, last) = (-62_167_219_200_000, 253_402_300_799_999); // 0000-01-01 … 9999-12-31
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut samples = vec![first, last, 0, -1, 951_782_400_000, 4_107_456_000_000 - 1];
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            samples.push(first + (x % (last - first + 1) as u64) as i64);
        }
        // Every day from 1959 to 2106, and every 37th day of the rest.
        for day in (-4_000..=50_000i64).chain((-719_528..=2_932_896i64).step_by(37)) {
            samples.push(day * DAY_MS);
            samples.push(day * DAY_MS - 1);
        }
        for ms in samples.into_iter().filter(|ms| (first..=last).contains(ms)) {
            assert_eq!(to_rfc3339(ms), chrono_rfc3339(ms), "{ms}");
            assert_eq!(clock(ms), chrono_clock(ms), "{ms}");
        }
        assert_eq!(to_rfc3339(last + 1), (last + 1).to_string());
        assert_eq!(to_rfc3339(first - 1), (first - 1).to_string());
    }
}
