//! `GET /api/telemetry/export?format=csv|json&range=…` (admins, read keys):
//! the events behind the current cost view, streamed page by page so a
//! million rows never sit in memory. `X-Total-Count` says how many rows are
//! coming, so a client can show progress.

use super::auth::CanAdmin;
use super::error::ApiError;
use super::params::Params;
use domain::money::usd_exact;
use domain::{time, Event};
use app::state::AppState;
use pipeline::store::{Filters, Store};
use pipeline::summary::window::Window;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
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
        e.cost_nanos.map(|c| c.to_string()).unwrap_or_default(),
        e.cost_nanos.map(usd_exact).unwrap_or_default(),
        opt(&e.error),
    )
}

pub async fn export(
    State(state): State<AppState>,
    _who: CanAdmin,
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
    let query = p.summary_query()?;
    let w = Window::resolve(&query, time::now_ms()).map_err(pipeline::summary::SummaryError::from)?;
    let f = Filters { model: query.model, persona: query.persona, stage: query.stage, chat_id: query.chat_id };
    let total = pipeline::summary::totals(&state.store, w.from, w.to, &f).await?.events;

    let store = state.store.clone();
    let (from, to) = (w.from, w.to);
    // State: the id to continue after, or `None` when done.
    let pages = futures::stream::unfold(Some(0i64), move |cursor| {
        let (store, f) = (store.clone(), f.clone());
        async move {
            let after = cursor?;
            match page(&store, from, to, &f, after, format).await {
                Ok((bytes, next)) => Some((Ok::<_, std::io::Error>(bytes), next)),
                Err(e) => {
                    tracing::error!(error = %e, "Export stopped by a store error.");
                    Some((Err(std::io::Error::other("the store failed during the export")), None))
                }
            }
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

/// One page rendered, and the id to continue after (`None`: last page).
async fn page(
    store: &Store,
    from: i64,
    to: i64,
    f: &Filters,
    after: i64,
    format: Format,
) -> Result<(Vec<u8>, Option<i64>), pipeline::store::StoreError> {
    let events = store.export_page(from, to, f, after, PAGE).await?;
    let next = if events.len() as i64 == PAGE { events.last().map(|e| e.id) } else { None };
    let mut out = String::new();
    for e in &events {
        match format {
            Format::Csv => out.push_str(&csv_row(e)),
            Format::Json => {
                // Every row but the very first one starts with a comma.
                out.push_str(if after == 0 && out.is_empty() { "\n" } else { ",\n" });
                out.push_str(&serde_json::to_string(e).unwrap_or_default());
            }
        }
    }
    Ok((out.into_bytes(), next))
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
