//! How the service refuses. Each variant is one HTTP status, mapped once by
//! the REST layer and once by the server functions; a store failure keeps
//! its cause for the log and tells the caller only `message`.

use crate::store::StoreError;
use crate::summary::SummaryError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// 400: a field's value is not acceptable; the message names the field.
    #[error("invalid `{field}`: {message}")]
    Invalid { field: &'static str, message: String },
    /// 403: the caller may not have what `field` asks for.
    #[error("forbidden `{field}`: {message}")]
    Forbidden { field: &'static str, message: String },
    /// 404: the thing `field` names does not exist.
    #[error("invalid `{field}`: no such {what}")]
    NotFound { field: &'static str, what: &'static str },
    /// 409: valid, but refused in the current state.
    #[error("refused: {0}")]
    Conflict(String),
    /// 503: the store failed; `source` is logged, `message` is shown.
    #[error("{message}")]
    Unavailable { message: &'static str, source: StoreError },
}

impl ServiceError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> ServiceError {
        ServiceError::Invalid { field, message: message.into() }
    }

    /// The HTTP status this refusal stands for.
    pub fn status(&self) -> u16 {
        match self {
            ServiceError::Invalid { .. } => 400,
            ServiceError::Forbidden { .. } => 403,
            ServiceError::NotFound { .. } => 404,
            ServiceError::Conflict(_) => 409,
            ServiceError::Unavailable { .. } => 503,
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(source: StoreError) -> Self {
        ServiceError::Unavailable { message: "the event store is unavailable", source }
    }
}

impl From<SummaryError> for ServiceError {
    fn from(e: SummaryError) -> Self {
        match e {
            SummaryError::BadParam(p) => ServiceError::Invalid { field: p.field, message: p.message },
            SummaryError::Store(source) => source.into(),
        }
    }
}

/// Adds what failed to a store error, for the caller's message.
pub(super) trait Context<T> {
    fn or_unavailable(self, message: &'static str) -> Result<T, ServiceError>;
}

impl<T> Context<T> for Result<T, StoreError> {
    fn or_unavailable(self, message: &'static str) -> Result<T, ServiceError> {
        self.map_err(|source| ServiceError::Unavailable { message, source })
    }
}
