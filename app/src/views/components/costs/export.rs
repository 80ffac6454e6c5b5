//! Export the window's events as CSV or JSON. The links work as plain
//! downloads; with JavaScript the download is streamed through `fetch` with
//! a progress line (rows received of the expected total).

use crate::domain::summary::SummaryQuery;
use leptos::prelude::*;

fn href(q: &SummaryQuery, format: &str) -> String {
    let mut window = match (q.from, q.to) {
        (Some(f), Some(t)) => format!("from={f}&to={t}"),
        _ => format!("range={}", q.range.as_deref().unwrap_or("24h")),
    };
    if let Some(t) = &q.tenant {
        window.push_str(&format!("&tenant={}", crate::domain::url::encode(t)));
    }
    format!("/api/telemetry/export?format={format}&{window}")
}

#[component]
pub fn ExportButtons(window: Memo<SummaryQuery>, expected: Signal<i64>) -> impl IntoView {
    let progress = RwSignal::new(None::<String>);
    #[cfg(not(feature = "hydrate"))]
    let _ = expected;
    let button = move |format: &'static str, label: &'static str| {
        view! {
            <a
                class="button"
                data-export=format
                href=move || href(&window.get(), format)
                download
                on:click=move |ev| {
                    #[cfg(feature = "hydrate")]
                    {
                        ev.prevent_default();
                        let url = href(&window.get_untracked(), format);
                        leptos::task::spawn_local(stream_download(url, format, expected.get_untracked(), progress));
                    }
                    #[cfg(not(feature = "hydrate"))]
                    let _ = ev;
                }
            >
                {label}
            </a>
        }
    };
    view! {
        <div class="export">
            {button("csv", "Export CSV")}
            {button("json", "Export JSON")}
            {move || progress.get().map(|p| view! { <span class="muted" role="status" data-export-progress>{p}</span> })}
        </div>
    }
}

#[cfg(feature = "hydrate")]
async fn stream_download(url: String, format: &'static str, expected: i64, progress: RwSignal<Option<String>>) {
    match fetch_with_progress(&url, format, expected, progress).await {
        Ok(rows) => progress.set(Some(format!("Exported {rows} rows."))),
        Err(e) => progress.set(Some(format!("Export failed: {e}"))),
    }
}

#[cfg(feature = "hydrate")]
async fn fetch_with_progress(
    url: &str,
    format: &str,
    expected: i64,
    progress: RwSignal<Option<String>>,
) -> Result<i64, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let err = |e: wasm_bindgen::JsValue| e.as_string().unwrap_or_else(|| "network error".into());
    let window = web_sys::window().ok_or("no window")?;
    let resp: web_sys::Response =
        JsFuture::from(window.fetch_with_str(url)).await.map_err(err)?.dyn_into().map_err(err)?;
    if !resp.ok() {
        return Err(format!("HTTP {}", resp.status()));
    }
    let total =
        resp.headers().get("x-total-count").ok().flatten().and_then(|v| v.parse::<i64>().ok()).unwrap_or(expected);
    let reader: web_sys::ReadableStreamDefaultReader =
        resp.body().ok_or("empty body")?.get_reader().dyn_into().map_err(|_| "no stream reader".to_string())?;
    let parts = js_sys::Array::new();
    let mut rows: i64 = 0;
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(err)?;
        if js_sys::Reflect::get(&chunk, &"done".into()).map_err(err)?.as_bool().unwrap_or(true) {
            break;
        }
        let bytes: js_sys::Uint8Array =
            js_sys::Reflect::get(&chunk, &"value".into()).map_err(err)?.dyn_into().map_err(err)?;
        rows += bytes.to_vec().iter().filter(|b| **b == b'\n').count() as i64;
        parts.push(&bytes);
        // CSV: a header line; JSON: the closing bracket line.
        progress.set(Some(format!("Exporting… {} of {total} rows", (rows - 1).clamp(0, total))));
    }
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(if format == "csv" { "text/csv" } else { "application/json" });
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts).map_err(err)?;
    let href = web_sys::Url::create_object_url_with_blob(&blob).map_err(err)?;
    let a: web_sys::HtmlAnchorElement = window
        .document()
        .ok_or("no document")?
        .create_element("a")
        .map_err(err)?
        .dyn_into()
        .map_err(|_| "no anchor element".to_string())?;
    a.set_href(&href);
    a.set_download(&format!("flowmeter-export.{format}"));
    a.click();
    let _ = web_sys::Url::revoke_object_url(&href);
    Ok((rows - 1).clamp(0, total))
}
