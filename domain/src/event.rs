//! The stored event: one pipeline stage of one conversation turn, as it comes
//! back out of the store, over SSE and the history API.

use crate::visibility::{Cost, HideCost};
use serde::{Deserialize, Serialize};

/// Outcome of a stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Status {
    Success,
    Error,
    Running,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Success, Status::Error, Status::Running];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Error => "error",
            Status::Running => "running",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// Token counts, normalised from whatever shape the provider reported.
/// `cached_input_tokens` is a part of `input_tokens` (OpenAI's convention),
/// never an addition to it, so totals never count a token twice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Usage {
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cached_input_tokens: i64,
    pub cache_write_tokens: i64,
    pub reasoning_tokens: i64,
}

impl Usage {
    /// Every token counted once (cached, cache-write and reasoning tokens
    /// are parts of input and output).
    pub fn total(&self) -> i64 {
        self.input_tokens + self.output_tokens
    }

    pub fn is_empty(&self) -> bool {
        *self == Usage::default()
    }
}

/// A stored event. `id` is assigned by the store, is unique and grows with
/// commit order, so it doubles as the SSE event id and the paging cursor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    pub id: i64,
    pub chat_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
    pub stage: String,
    pub status: Status,
    /// When the stage happened (the agent's clock), epoch ms.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::time::serde_ts")]
    pub ts: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persona: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Whose traffic this is: the customer (or team, or domain) the
    /// pipeline served. Costs, budgets and API keys can be per tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Which pipeline (which agent, service) sent it, when one Flowmeter
    /// watches several: the canvas lays out one pipeline at a time, and
    /// costs and budgets can be per pipeline. OTLP fills it from the
    /// resource's `service.name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<String>,
    /// The tool a stage called, from `meta.tool` (per-tool analytics).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(default)]
    pub usage: Usage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
    /// Cost in nano-dollars; `None` (`null`) when unpriced (tokens used, but
    /// no price for the model); 0 when no tokens were used. Hidden (absent)
    /// for readers who may not see money.
    #[serde(default, skip_serializing_if = "Cost::is_hidden")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub cost_nanos: Cost<Option<i64>>,
    /// The pricing entry that priced it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing_id: Option<String>,
    /// When Flowmeter stored it (the server's clock), epoch ms.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::time::serde_ts")]
    pub received_at: i64,
}

impl Event {
    /// The key that groups the stages of one turn: `turnId` when the agent
    /// sent one, otherwise the whole conversation is treated as one turn.
    pub fn turn_key(&self) -> (&str, &str) {
        (&self.chat_id, self.turn_id.as_deref().unwrap_or(""))
    }

    /// The priced cost: `None` when unpriced (or hidden from this reader).
    pub fn cost(&self) -> Option<i64> {
        self.cost_nanos.shown().copied().flatten()
    }
}

impl HideCost for Event {
    fn hide_cost(&mut self) {
        self.cost_nanos = Cost::Hidden;
        self.pricing_id = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_camel_case_with_rfc3339_times() {
        let e = Event {
            id: 7,
            chat_id: "c1".into(),
            turn_id: None,
            stage: "intent".into(),
            status: Status::Error,
            ts: 0,
            duration_ms: Some(12),
            persona: None,
            model: Some("gpt-4o".into()),
            provider: None,
            usage: Usage { input_tokens: 3, ..Usage::default() },
            error: Some("boom".into()),
            meta: None,
            cost_nanos: Cost::Shown(Some(5)),
            pricing_id: Some("gpt-4o".into()),
            tenant: None,
            pipeline: None,
            tool: None,
            received_at: 1,
        };
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["chatId"], "c1");
        assert_eq!(json["status"], "error");
        assert_eq!(json["ts"], "1970-01-01T00:00:00.000Z");
        assert_eq!(json["usage"]["inputTokens"], 3);
        assert!(json.get("turnId").is_none());
        assert_eq!(json["costNanos"], 5);
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
    }
}
