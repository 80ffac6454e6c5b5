//! How an export is written, page by page, for the streaming download and
//! the background job alike: CSV (fields quoted when needed, and never run
//! as a spreadsheet formula) or a JSON array of events.

use domain::exports::ExportFormat;
use domain::money::usd_exact;
use domain::{time, Event};

pub const CSV_HEADER: &str = "id,ts,chat_id,turn_id,stage,status,persona,model,provider,duration_ms,input_tokens,\
output_tokens,cached_input_tokens,cache_write_tokens,reasoning_tokens,cost_nanos,cost_usd,error\n";

/// What comes before the first page and after the last.
pub fn frame(format: ExportFormat) -> (&'static str, &'static str) {
    match format {
        ExportFormat::Csv => (CSV_HEADER, ""),
        ExportFormat::Json => ("[", "\n]\n"),
    }
}

pub fn content_type(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Csv => "text/csv; charset=utf-8",
        ExportFormat::Json => "application/json",
    }
}

/// `flowmeter-<from>-<to>.csv`: the name a download is saved under.
pub fn file_name(from: i64, to: i64, format: ExportFormat) -> String {
    format!(
        "flowmeter-{}-{}.{}",
        time::to_rfc3339(from).replace(':', ""),
        time::to_rfc3339(to).replace(':', ""),
        format.as_str()
    )
}

/// One CSV field: quoted when needed, and never read as a formula by a
/// spreadsheet (a leading `=`, `+`, `-` or `@` gets a `'`).
pub fn field(s: &str) -> String {
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

/// One page rendered; `first` says whether it is the export's first page.
pub fn render(events: &[Event], format: ExportFormat, first: bool) -> Vec<u8> {
    let mut out = String::new();
    for e in events {
        match format {
            ExportFormat::Csv => out.push_str(&csv_row(e)),
            ExportFormat::Json => {
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
        // Every character a spreadsheet starts a formula with.
        assert_eq!(field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(field("+1+cmd|' /C calc'!A0"), "'+1+cmd|' /C calc'!A0");
        assert_eq!(field("-2+3"), "'-2+3");
        assert_eq!(field("@SUM(1)"), "'@SUM(1)");
        assert_eq!(field("=1,2"), "\"'=1,2\"", "defused, then quoted");
        assert_eq!(field("a=b"), "a=b", "only a leading one");
    }
}
