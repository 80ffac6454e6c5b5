//! Why an ingest request was refused. Every variant is the client's to fix
//! (4xx) except `Store`, `Busy` and `Unavailable`, which the HTTP layer
//! reports as 503 without details (`Busy` with `Retry-After`).

use crate::store::StoreError;
use serde::Serialize;

/// One problem with one event of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemError {
    /// Position of the event in the request (array index or NDJSON line).
    pub index: usize,
    /// Dotted path of the offending field; empty for the item as a whole.
    pub field: String,
    pub message: String,
}

impl ItemError {
    pub fn new(index: usize, field: impl Into<String>, message: impl Into<String>) -> ItemError {
        ItemError { index, field: field.into(), message: message.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Nothing was stored; `items` says what to fix.
    #[error("{message}")]
    Invalid { message: String, items: Vec<ItemError> },
    #[error("unsupported content type `{got}`: send {accepted}")]
    UnsupportedMediaType { got: String, accepted: &'static str },
    #[error("a request may hold at most {limit} events; this one holds {count}")]
    TooManyEvents { limit: usize, count: usize },
    #[error("storing the events failed")]
    Store(#[from] StoreError),
    /// The writer's queue is full: nothing was stored; retry after a while.
    #[error("ingest is busy; nothing was stored, retry in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    /// The group this request was in could not be stored (the cause is
    /// logged once for the group), or the writer has stopped.
    #[error("the event store is unavailable; nothing was stored, retry later")]
    Unavailable,
}

impl IngestError {
    pub fn malformed(message: String, items: Vec<ItemError>) -> IngestError {
        IngestError::Invalid { message, items }
    }

    pub fn invalid(items: Vec<ItemError>, total: usize) -> IngestError {
        let bad = {
            let mut idx: Vec<usize> = items.iter().map(|i| i.index).collect();
            idx.dedup();
            idx.len()
        };
        let message = if total == 1 {
            "the event is invalid; nothing was stored".to_string()
        } else {
            format!("{bad} of {total} events are invalid; nothing was stored")
        };
        IngestError::Invalid { message, items }
    }
}
