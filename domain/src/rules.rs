//! Validation rules that more than one door checks — the admin area, the
//! command line, the configuration file — each written once. A rule returns
//! the cleaned value or a message; the caller names the field, since a field
//! is `email` in a form and `--email` on the command line.

use std::ops::RangeInclusive;

/// Shortest accepted password, in characters.
pub const PASSWORD_MIN_CHARS: usize = 10;
/// Days of data kept: at least one, at most ten years.
pub const RETENTION_DAYS: RangeInclusive<i64> = 1..=3650;
/// Days before events are archived: 0 (never) to ten years.
pub const ARCHIVE_AFTER_DAYS: RangeInclusive<i64> = 0..=3650;
/// Names people give things (API keys, budgets, alert rules), in characters.
pub const NAME_CHARS: RangeInclusive<usize> = 1..=100;
/// Longest email address (RFC 5321's path limit).
const EMAIL_MAX_CHARS: usize = 254;

/// An account's email as stored and compared: trimmed and lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A usable email address, normalized.
pub fn email(email: &str) -> Result<String, String> {
    let e = normalize_email(email);
    let ok = match e.split_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !domain.contains('@'),
        None => false,
    };
    if ok && e.chars().count() <= EMAIL_MAX_CHARS && !e.contains(char::is_whitespace) {
        Ok(e)
    } else {
        Err("not an email address".to_string())
    }
}

/// Why a new password is refused, if it is.
pub fn password(password: &str) -> Result<(), String> {
    if password.chars().count() < PASSWORD_MIN_CHARS {
        return Err(format!("must be at least {PASSWORD_MIN_CHARS} characters"));
    }
    Ok(())
}

pub fn retention_days(days: i64) -> Result<i64, String> {
    if RETENTION_DAYS.contains(&days) {
        Ok(days)
    } else {
        Err(format!("from {} to {}", RETENTION_DAYS.start(), RETENTION_DAYS.end()))
    }
}

pub fn archive_after_days(days: i64) -> Result<i64, String> {
    if ARCHIVE_AFTER_DAYS.contains(&days) {
        Ok(days)
    } else {
        Err(format!("from {} (never) to {}", ARCHIVE_AFTER_DAYS.start(), ARCHIVE_AFTER_DAYS.end()))
    }
}

/// A name, trimmed.
pub fn name(name: &str) -> Result<String, String> {
    let n = name.trim();
    if NAME_CHARS.contains(&n.chars().count()) {
        Ok(n.to_string())
    } else {
        Err(format!("{} to {} characters", NAME_CHARS.start(), NAME_CHARS.end()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(email("  Ops@Example.COM ").as_deref(), Ok("ops@example.com"));
        for bad in ["", "@", "a@", "@b", "ab", "a@b@c", "a b@c", &format!("{}@x", "a".repeat(260))] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_names_and_retention() {
        assert!(password("short").is_err() && password("long enough!").is_ok());
        assert_eq!(password("123456789").unwrap_err(), "must be at least 10 characters");
        assert_eq!(retention_days(30), Ok(30));
        assert_eq!(retention_days(0).unwrap_err(), "from 1 to 3650");
        assert!(retention_days(3651).is_err());
        assert_eq!(archive_after_days(0), Ok(0));
        assert_eq!(archive_after_days(-1).unwrap_err(), "from 0 (never) to 3650");
        assert_eq!(name("  ci  ").as_deref(), Ok("ci"));
        assert!(name("   ").is_err() && name(&"x".repeat(101)).is_err() && name(&"é".repeat(100)).is_ok());
    }
}
