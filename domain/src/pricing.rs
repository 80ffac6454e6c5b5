//! The shape of a price, shared with the browser (the pricing editor shows
//! bundled and overridden values side by side). Rates are integer
//! nano-dollars per million tokens; see the pipeline's `price` stage for how they apply.

use serde::{Deserialize, Serialize};

/// Nano-dollars per 1M tokens for each kind of token. Absent rates fall back:
/// cached input and cache writes to the input rate, reasoning to the output
/// rate (a provider that does not price them apart charges them that way).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rates {
    pub input: i64,
    pub output: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<i64>,
}

/// Rates that replace the base ones when a request's input is larger than
/// `above_input_tokens` (long-context pricing).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tier {
    pub above_input_tokens: i64,
    pub rates: Rates,
}

/// Where an entry's prices came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Origin {
    /// The table shipped with Flowmeter.
    Bundled,
    /// `MODEL_PRICING_OVERRIDES`.
    Environment,
    /// The admin pricing editor; prices events at or after `effective_from`.
    Admin { effective_from: i64, created_at: i64 },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceEntry {
    /// Stable name of the entry (`gpt-4o`, `groq/llama-3.3-70b-versatile`).
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Anchored, case-insensitive regular expression over model ids.
    pub pattern: String,
    pub rates: Rates,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<Tier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub origin: Origin,
}

impl PriceEntry {
    /// The rates for a request with `input_tokens` of input: the highest
    /// tier it is above, or the base rates.
    pub fn rates_for(&self, input_tokens: i64) -> &Rates {
        self.tiers
            .iter()
            .filter(|t| input_tokens > t.above_input_tokens)
            .max_by_key(|t| t.above_input_tokens)
            .map_or(&self.rates, |t| &t.rates)
    }
}

/// What a reprice did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepriceReport {
    /// Events in the range.
    pub scanned: i64,
    /// Events whose cost (or priced/unpriced state) changed.
    pub changed: i64,
    /// New total minus old total, nano-dollars.
    pub delta_nanos: i64,
    pub unpriced_before: i64,
    pub unpriced_after: i64,
}

/// The price table as the admin editor shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PricingView {
    /// Bundled entries as the environment leaves them, in precedence order.
    pub entries: Vec<PriceEntry>,
    /// Admin overrides, newest effective time first.
    pub overrides: Vec<PriceEntry>,
}

/// A change from the pricing editor: the prices (decimal USD per 1M tokens,
/// as typed) of an existing entry or a new model, from a time on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceUpdate {
    /// An existing entry's id, or a new one.
    pub id: String,
    /// Required for a new model; for an existing entry, empty keeps its pattern.
    #[serde(default)]
    pub pattern: String,
    #[serde(default)]
    pub provider: Option<String>,
    pub input: String,
    pub output: String,
    #[serde(default)]
    pub cached_input: Option<String>,
    #[serde(default)]
    pub cache_write: Option<String>,
    #[serde(default)]
    pub reasoning: Option<String>,
    /// Epoch ms; events at or after it use these prices.
    pub effective_from: i64,
}
