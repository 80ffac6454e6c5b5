//! `GET /api/telemetry/export?format=csv|json&range=…` (admins, read keys):
//! the events behind the current cost view, streamed page by page so a
//! million rows never sit in memory. `X-Total-Count` says how many rows are
//! coming, so a client can show progress.

use super::access::Reader;
use super::error::ApiError;
use super::params::Params;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use domain::money::usd_exact;
use domain::{time, Event};
use futures::StreamExt;
use std::collections::HashMap;

const PAGE: i64 = 2_000;

pub const CSV_HEADER: &str = "id,ts,chat_id,turn_id,stage,status,persona,model,provider,duration_ms,input_tokens,\
output_tokens,cached_input_tokens,cache_write_tokens,reasoning_tokens,cost_nanos,cost_usd,error\n";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Json,
}

/// One CSV field: quoted when needed, and never read as a formula by a
/// spreadsheet (a leading `=`, `+`, `-` or `@` gets a `'`).
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn csv_row(e: &Event) -> String {
    let opt = |v: &Option<String>| v.as_deref().map(field).unwrap_or_default();
    let u = &e.usage;
    format!(
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
        e.id,
        time::to_rfc3339(e.ts),
        field(&e.chat_id),
        opt(&e.turn_id),
        field(&e.stage),
        e.status.as_str(),
        opt(&e.persona),
        opt(&e.model),
        opt(&e.provider),
        e.duration_ms.map(|d| d.to_string()).unwrap_or_default(),
        u.input_tokens,
        u.output_tokens,
        u.cached_input_tokens,
        u.cache_write_tokens,
        u.reasoning_tokens,
        e.cost().map(|c| c.to_string()).unwrap_or_default(),
        e.cost().map(usd_exact).unwrap_or_default(),
        opt(&e.error),
    )
}

pub async fn export(
    State(state): State<AppState>,
    Reader(viewer): Reader,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let p = Params(&params);
    let format = match p.text("format").as_deref() {
        None | Some("csv") => Format::Csv,
        Some("json") => Format::Json,
        Some(other) => {
            return Err(ApiError::BadParam { field: "format", message: format!("`{other}` must be csv or json") })
        }
    };
    let export = state.service.export(&viewer, &p.summary_query()?, time::now_ms()).await?;
    let (from, to, total) = (export.from, export.to, export.total);
    let mut first = true;
    let pages = export.pages(PAGE).map(move |page| match page {
        Ok(events) => Ok(render(&events, format, std::mem::take(&mut first))),
        Err(e) => {
            tracing::error!(error = %e, "Export stopped by a store error.");
            Err(std::io::Error::other("the store failed during the export"))
        }
    });
    let (open, close, ctype, ext) = match format {
        Format::Csv => (CSV_HEADER, "", "text/csv; charset=utf-8", "csv"),
        Format::Json => ("[", "\n]\n", "application/json", "json"),
    };
    let body = futures::stream::once(async move { Ok(open.as_bytes().to_vec()) })
        .chain(pages)
        .chain(futures::stream::once(async move { Ok(close.as_bytes().to_vec()) }));
    let name = format!(
        "flowmeter-{}-{}.{ext}",
        time::to_rfc3339(from).replace(':', ""),
        time::to_rfc3339(to).replace(':', "")
    );
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::HeaderName::from_static("x-total-count"), total.to_string()),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// One page rendered; `first` says whether it is the export's first page.
fn render(events: &[Event], format: Format, first: bool) -> Vec<u8> {
    let mut out = String::new();
    for e in events {
        match format {
            Format::Csv => out.push_str(&csv_row(e)),
            Format::Json => {
                // Every row but the very first one starts with a comma.
                out.push_str(if first && out.is_empty() { "\n" } else { ",\n" });
                match serde_json::to_string(e) {
                    Ok(json) => out.push_str(&json),
                    Err(err) => tracing::error!(error = %err, id = e.id, "An event could not be encoded; left out."),
                }
            }
        }
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_fields_are_quoted_and_defused() {
        use super::field;
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=SUM(A1)"), "'=SUM(A1)");
    }
}
