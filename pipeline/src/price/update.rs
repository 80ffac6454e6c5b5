//! A change from the pricing editor, checked (errors name the field) and
//! turned into the effective-dated override entry it describes. Pure: the
//! service stores the entry and swaps the live table.

use super::table::{compile, PriceTable};
use domain::money::parse_decimal_nanos;
use domain::pricing::{Origin, PriceEntry, PriceUpdate, Rates};

/// A field of the change that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid `{field}`: {message}")]
pub struct InvalidPrice {
    pub field: &'static str,
    pub message: String,
}

fn invalid(field: &'static str, message: impl Into<String>) -> InvalidPrice {
    InvalidPrice { field, message: message.into() }
}

fn rate(field: &'static str, text: &str) -> Result<i64, InvalidPrice> {
    let nanos = parse_decimal_nanos(text).map_err(|m| invalid(field, m))?;
    if nanos > 10_000 * 1_000_000_000 {
        return Err(invalid(field, "at most 10000 USD per 1M tokens"));
    }
    Ok(nanos)
}

fn optional_rate(field: &'static str, text: &Option<String>) -> Result<Option<i64>, InvalidPrice> {
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => rate(field, t).map(Some),
    }
}

/// Builds the override entry a change describes, on top of `table`.
pub fn entry_for(table: &PriceTable, u: &PriceUpdate, now_ms: i64) -> Result<PriceEntry, InvalidPrice> {
    let id = u.id.trim();
    if id.is_empty() || id.len() > 200 {
        return Err(invalid("id", "must be 1 to 200 characters"));
    }
    let existing = table.fixed_entries().iter().chain(table.admin_entries()).find(|e| e.id == id).cloned();
    let pattern = match (u.pattern.trim(), &existing) {
        ("", Some(e)) => e.pattern.clone(),
        ("", None) => return Err(invalid("pattern", "is required for a new model")),
        (p, _) => p.to_string(),
    };
    compile(&pattern).map_err(|m| invalid("pattern", m))?;
    let rates = Rates {
        input: rate("input", &u.input)?,
        output: rate("output", &u.output)?,
        cached_input: optional_rate("cachedInput", &u.cached_input)?,
        cache_write: optional_rate("cacheWrite", &u.cache_write)?,
        reasoning: optional_rate("reasoning", &u.reasoning)?,
    };
    Ok(PriceEntry {
        id: id.to_string(),
        provider: u
            .provider
            .clone()
            .filter(|p| !p.trim().is_empty())
            .or(existing.as_ref().and_then(|e| e.provider.clone())),
        pattern,
        rates,
        // Long-context tiers are the provider's; an edit of the base rates
        // leaves them out rather than guess how they should scale.
        tiers: Vec::new(),
        source: Some("admin pricing editor".into()),
        as_of: None,
        note: None,
        origin: Origin::Admin { effective_from: u.effective_from, created_at: now_ms },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(id: &str, pattern: &str, input: &str) -> PriceUpdate {
        PriceUpdate {
            id: id.into(),
            pattern: pattern.into(),
            input: input.into(),
            output: "2".into(),
            effective_from: 10,
            ..PriceUpdate::default()
        }
    }

    #[test]
    fn edits_keep_the_pattern_and_new_models_need_one() {
        let table = PriceTable::load(None).unwrap();
        let e = entry_for(&table, &update("gpt-4o", "", "3.5"), 0).unwrap();
        assert_eq!(e.rates.input, 3_500_000_000);
        assert!(e.pattern.contains("gpt-4o"));
        assert_eq!(e.provider.as_deref(), Some("openai"));
        assert!(matches!(e.origin, Origin::Admin { effective_from: 10, .. }));
        let field = |u| match entry_for(&table, &u, 0) {
            Err(InvalidPrice { field, .. }) => field,
            other => panic!("expected invalid, got {other:?}"),
        };
        assert_eq!(field(update("house-llm", "", "1")), "pattern");
        assert_eq!(field(update("house-llm", "(", "1")), "pattern");
        assert_eq!(field(update("gpt-4o", "", "cheap")), "input");
        assert_eq!(field(update("gpt-4o", "", "-1")), "input");
        assert_eq!(field(update("", "x", "1")), "id");
        let mut u = update("gpt-4o", "", "1");
        u.cached_input = Some("0.0000000001".into());
        assert_eq!(field(u), "cachedInput");
    }
}
