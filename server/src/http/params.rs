//! Query-string parameters with errors that name the parameter.

use super::error::ApiError;
use domain::summary::SummaryQuery;
use domain::time;
use std::collections::HashMap;

pub struct Params<'a>(pub &'a HashMap<String, String>);

/// The window and filters [`Params::summary_query`] reads, as the OpenAPI
/// description lists them.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(non_snake_case, dead_code)]
pub struct WindowParams {
    /// A preset: `15m`, `1h`, `24h`, `7d`, `30d`, `today` (default `24h`).
    range: Option<String>,
    /// Start: RFC 3339 or epoch milliseconds (with `to`, instead of `range`).
    from: Option<String>,
    /// End: RFC 3339 or epoch milliseconds.
    to: Option<String>,
    model: Option<String>,
    persona: Option<String>,
    stage: Option<String>,
    tenant: Option<String>,
    /// One pipeline.
    pipeline: Option<String>,
    chatId: Option<String>,
}

impl Params<'_> {
    /// A non-empty text parameter.
    pub fn text(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
    }

    /// An integer in `min..=max`.
    pub fn int(&self, name: &'static str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        self.text(name)
            .map(|v| match v.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(ApiError::BadParam {
                    field: name,
                    message: format!("`{v}` must be an integer from {min} to {max}"),
                }),
            })
            .transpose()
    }

    /// The window and filters of a summary (`range` or `from`/`to`,
    /// `model`, `persona`, `stage`, `tenant`, `pipeline`, `chatId`).
    pub fn summary_query(&self) -> Result<SummaryQuery, ApiError> {
        Ok(SummaryQuery {
            range: self.text("range"),
            from: self.time("from")?,
            to: self.time("to")?,
            model: self.text("model"),
            persona: self.text("persona"),
            stage: self.text("stage"),
            tenant: self.text("tenant"),
            pipeline: self.text("pipeline"),
            chat_id: self.text("chatId"),
        })
    }

    /// An event id.
    pub fn id(&self, name: &'static str) -> Result<Option<i64>, ApiError> {
        self.text(name)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| ApiError::BadParam { field: name, message: format!("`{v}` must be an event id") })
            })
            .transpose()
    }

    /// An RFC 3339 time or epoch milliseconds.
    pub fn time(&self, name: &'static str) -> Result<Option<i64>, ApiError> {
        self.text(name)
            .map(|v| {
                v.parse::<i64>().ok().or_else(|| time::parse_rfc3339(&v)).ok_or_else(|| ApiError::BadParam {
                    field: name,
                    message: format!("`{v}` is not an RFC 3339 time or epoch milliseconds"),
                })
            })
            .transpose()
    }
}
