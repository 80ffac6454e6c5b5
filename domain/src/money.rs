//! Money is integer nano-dollars (1 USD = 10⁹ nanos) everywhere: stored,
//! summed and sent as `i64`, never as a float. Prices are integer nano-dollars
//! per million tokens. These helpers convert to and from decimal text exactly.

pub const NANOS_PER_USD: i64 = 1_000_000_000;

/// Exact decimal dollars: `12345` → `"0.000012345"`, `2_500_000_000` → `"2.5"`.
pub fn usd_exact(nanos: i64) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs();
    let (whole, frac) = (n / NANOS_PER_USD as u64, n % NANOS_PER_USD as u64);
    if frac == 0 {
        return format!("{sign}{whole}");
    }
    let frac = format!("{frac:09}");
    format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
}

/// For people: `$1,234.57`, `$0.42`, and for sub-cent amounts enough digits
/// to see them (`$0.0031`, `$0.000012`). Never rounds a non-zero to `$0.00`.
pub fn usd_display(nanos: i64) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs();
    if n >= 10_000_000 || n == 0 {
        // Cents, rounded half up, with thousands separators.
        let cents = (n + 5_000_000) / 10_000_000;
        let (d, c) = (cents / 100, cents % 100);
        let digits = d.to_string();
        let mut grouped = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        return format!("{sign}${grouped}.{c:02}");
    }
    // Below a cent: two significant digits.
    let digits = 9 - (n.ilog10() as usize) + 1; // decimals that show 2 significant digits
    let scale = 10u64.pow(9 - digits.min(9) as u32);
    let rounded = (n + scale / 2) / scale * scale;
    let text = format!("{:09}", rounded);
    format!("{sign}$0.{}", &text[..digits.min(9)])
}

/// Parses a non-negative decimal (`"2.5"`, `"0.01875"`, `"3"`) into integer
/// units of 10⁻⁹. More than nine decimals, signs or exponents are refused.
pub fn parse_decimal_nanos(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (!frac.is_empty() && !digits(frac)) || s.ends_with('.') {
        return Err(format!("`{s}` is not a non-negative decimal number"));
    }
    if frac.len() > 9 {
        return Err(format!("`{s}` has more than 9 decimals"));
    }
    let whole: i64 = whole.parse().map_err(|_| format!("`{s}` is too large"))?;
    let frac_nanos: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<9}").parse().unwrap_or(0) };
    whole
        .checked_mul(NANOS_PER_USD)
        .and_then(|w| w.checked_add(frac_nanos))
        .ok_or_else(|| format!("`{s}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_text_round_trips() {
        for (nanos, text) in
            [(0, "0"), (12_345, "0.000012345"), (2_500_000_000, "2.5"), (18_750_000, "0.01875"), (-1, "-0.000000001")]
        {
            assert_eq!(usd_exact(nanos), text);
            if nanos >= 0 {
                assert_eq!(parse_decimal_nanos(text), Ok(nanos));
            }
        }
        assert_eq!(parse_decimal_nanos("3"), Ok(3_000_000_000));
        for bad in ["", "-1", "1e3", "1.", ".5", "0.0000000001", "abc"] {
            assert!(parse_decimal_nanos(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn display_keeps_small_amounts_visible() {
        assert_eq!(usd_display(0), "$0.00");
        assert_eq!(usd_display(1_234_567_000_000), "$1,234.57");
        assert_eq!(usd_display(420_000_000), "$0.42");
        assert_eq!(usd_display(10_000_000), "$0.01");
        assert_eq!(usd_display(3_100_000), "$0.0031");
        assert_eq!(usd_display(12_345), "$0.000012");
        assert_eq!(usd_display(1), "$0.000000001");
        assert_eq!(usd_display(-420_000_000), "-$0.42");
    }
}
