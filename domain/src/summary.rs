//! What an admin asks ("what did the last 24 h cost, on what?") and the
//! answer, shared by the REST API, the server functions and the views.
//! Money is integer nano-dollars; rates and shares are display-only floats.

use serde::{Deserialize, Serialize};

/// The preset windows; a custom window gives `from`/`to` instead.
pub const RANGES: [&str; 4] = ["1h", "24h", "7d", "30d"];

pub fn range_ms(range: &str) -> Option<i64> {
    match range {
        "1h" => Some(3_600_000),
        "24h" => Some(86_400_000),
        "7d" => Some(7 * 86_400_000),
        "30d" => Some(30 * 86_400_000),
        _ => None,
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SummaryQuery {
    /// `1h`, `24h` (the default), `7d` or `30d`, ending with the current
    /// minute, whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<String>,
    /// A custom window, epoch ms (overrides `range`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persona: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// One pipeline's events (see [`crate::Event::pipeline`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Trend {
    Increasing,
    Decreasing,
    #[default]
    Stable,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overview {
    pub events: i64,
    /// Events that called a model.
    pub requests: i64,
    /// Turns that started in the window.
    pub turns: i64,
    /// Conversations active in the window (started before it ended, last
    /// event at or after it began).
    pub active_conversations: i64,
    pub errors: i64,
    pub success_rate: f64,
    pub error_rate: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostSummary {
    pub total_nanos: i64,
    pub average_per_turn_nanos: Option<i64>,
    pub per_hour_nanos: i64,
    pub projected_daily_nanos: i64,
    pub projected_monthly_nanos: i64,
    /// The same-length window just before this one.
    pub previous_total_nanos: i64,
    pub change_pct: Option<f64>,
    pub trend: Trend,
    /// Events whose model has no price (never counted as $0).
    pub unpriced_events: i64,
    pub unpriced_tokens: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenSummary {
    pub input: i64,
    pub output: i64,
    pub cached_input: i64,
    pub cache_write: i64,
    pub reasoning: i64,
    pub average_per_turn: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StagePerformance {
    pub stage: String,
    pub events: i64,
    pub avg_ms: Option<i64>,
    pub p50_ms: Option<i64>,
    pub p95_ms: Option<i64>,
    #[serde(default)]
    pub p99_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelUsage {
    pub model: String,
    pub requests: i64,
    pub errors: i64,
    pub cost_nanos: i64,
    pub unpriced_events: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cached_input_tokens: i64,
    pub tokens: i64,
    /// Share of all requests, percent.
    pub percentage: f64,
    /// Share of the priced cost, percent.
    pub cost_percentage: f64,
    pub avg_ms: Option<i64>,
    pub p95_ms: Option<i64>,
    #[serde(default)]
    pub p99_ms: Option<i64>,
}

/// One tenant's share of a window's spend, against the window before.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantCost {
    /// `""` for events sent without a tenant.
    pub tenant: String,
    pub cost_nanos: i64,
    /// Percent of the window's priced spend.
    pub share_pct: f64,
    pub events: i64,
    pub errors: i64,
    pub unpriced_events: i64,
    /// Turns that started in the window.
    pub turns: i64,
    pub cost_per_turn_nanos: Option<i64>,
    /// The same tenant's spend in the same-length window just before.
    pub previous_cost_nanos: i64,
    pub change_pct: Option<f64>,
    pub trend: Trend,
}

/// One tool's calls: how often, how well, how fast, and what they cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolStats {
    pub tool: String,
    pub calls: i64,
    pub errors: i64,
    /// Errors over calls, 0 to 1.
    pub error_rate: f64,
    pub p50_ms: Option<i64>,
    pub p95_ms: Option<i64>,
    pub p99_ms: Option<i64>,
    /// The priced cost of the stages that called it.
    pub cost_nanos: i64,
    pub unpriced_events: i64,
}

/// One row of the persona or stage breakdown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Breakdown {
    pub name: String,
    pub events: i64,
    pub errors: i64,
    pub cost_nanos: i64,
    pub unpriced_events: i64,
    pub tokens: i64,
}

/// One bucket of the trend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Point {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::time::serde_ts")]
    pub t: i64,
    pub events: i64,
    pub errors: i64,
    pub cost_nanos: i64,
    pub unpriced_events: i64,
    pub tokens: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::time::serde_ts")]
    pub from: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::time::serde_ts")]
    pub to: i64,
    /// The preset range, or `custom`.
    pub range: String,
    /// The trend's bucket size: `minute`, `hour` or `day`.
    pub bucket: String,
    pub overview: Overview,
    pub cost: CostSummary,
    pub tokens: TokenSummary,
    pub performance: Vec<StagePerformance>,
    pub model_usage: Vec<ModelUsage>,
    pub personas: Vec<Breakdown>,
    /// Spend per tenant, costliest first.
    #[serde(default)]
    pub tenants: Vec<TenantCost>,
    /// Per tool (stages that name one in `meta.tool`), most called first.
    #[serde(default)]
    pub tools: Vec<ToolStats>,
    pub stages: Vec<Breakdown>,
    pub trend: Vec<Point>,
    /// The newest event id when the summary was read: a live view adds
    /// only events after it.
    #[serde(default)]
    pub last_event_id: i64,
}
