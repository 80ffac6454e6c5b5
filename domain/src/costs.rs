//! What the cost monitor shows besides the summary: cost over time per
//! model, and the recent operations (turns) table.

use crate::summary::SummaryQuery;
use serde::{Deserialize, Serialize};

/// Cost per trend bucket for the models with the most cost (the rest
/// summed as "other").
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelTrend {
    /// Bucket starts, epoch ms.
    pub buckets: Vec<i64>,
    pub series: Vec<ModelSeries>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelSeries {
    pub model: String,
    /// Cost in nano-dollars per bucket, aligned with `buckets`.
    pub cost_nanos: Vec<i64>,
}

/// Columns the operations table sorts by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TurnSort {
    /// Newest first, by when the turn started.
    #[default]
    Recent,
    Cost,
    Duration,
    Tokens,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TurnQuery {
    /// The window (its model/persona filters apply too).
    pub window: SummaryQuery,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default)]
    pub sort: TurnSort,
    /// Ascending instead of the default descending.
    #[serde(default)]
    pub ascending: bool,
    #[serde(default)]
    pub offset: i64,
    pub limit: i64,
}

/// One turn: what it cost and how it went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TurnRow {
    pub chat_id: String,
    pub turn_id: String,
    #[serde(with = "crate::time::serde_ts")]
    pub start_ts: i64,
    pub duration_ms: i64,
    pub persona: Option<String>,
    pub model: Option<String>,
    pub status: String,
    pub events: i64,
    pub tokens: i64,
    pub cost_nanos: i64,
    pub unpriced_events: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TurnPage {
    pub rows: Vec<TurnRow>,
    /// Turns matching the query (for paging).
    pub total: i64,
}
