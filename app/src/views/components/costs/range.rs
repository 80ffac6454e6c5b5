//! The window the cost monitor shows, kept in the URL (`/costs?range=7d`,
//! `?from=…&to=…`, `&refresh=30`, `&tenant=acme`, `&pipeline=rag`) so a view can be shared
//! and survives a reload; changing it navigates, which refetches without a
//! page load.

use crate::domain::summary::{SummaryQuery, RANGES};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::params::ParamsMap;
use leptos_router::NavigateOptions;

/// Auto-refresh choices, seconds (0: off).
pub const REFRESH: [u32; 3] = [0, 10, 30];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CostView {
    /// A preset, or `custom` with `from`/`to`.
    pub range: String,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub refresh: u32,
    /// One tenant's traffic only (none: everyone's).
    pub tenant: Option<String>,
    /// One pipeline's traffic only (none: every pipeline's).
    pub pipeline: Option<String>,
}

impl CostView {
    pub fn from_params(p: &ParamsMap) -> CostView {
        let from = p.get("from").and_then(|v| v.parse().ok());
        let to = p.get("to").and_then(|v| v.parse().ok());
        let range = match (from, p.get("range")) {
            (Some(_), _) => "custom".to_string(),
            (None, Some(r)) if RANGES.contains(&r.as_str()) => r.to_string(),
            _ => "24h".to_string(),
        };
        let refresh = p.get("refresh").and_then(|v| v.parse().ok()).filter(|r| REFRESH.contains(r)).unwrap_or(0);
        let text = |k: &str| p.get(k).map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        CostView { range, from, to, refresh, tenant: text("tenant"), pipeline: text("pipeline") }
    }

    pub fn to_query(&self) -> String {
        let mut q = match (self.range.as_str(), self.from, self.to) {
            ("custom", Some(f), Some(t)) => format!("from={f}&to={t}"),
            (r, ..) => format!("range={r}"),
        };
        if self.refresh > 0 {
            q.push_str(&format!("&refresh={}", self.refresh));
        }
        if let Some(t) = &self.tenant {
            q.push_str(&format!("&tenant={}", crate::domain::url::encode(t)));
        }
        if let Some(p) = &self.pipeline {
            q.push_str(&format!("&pipeline={}", crate::domain::url::encode(p)));
        }
        q
    }

    pub fn summary_query(&self) -> SummaryQuery {
        let (tenant, pipeline) = (self.tenant.clone(), self.pipeline.clone());
        match (self.range.as_str(), self.from, self.to) {
            ("custom", Some(f), Some(t)) => {
                SummaryQuery { from: Some(f), to: Some(t), tenant, pipeline, ..Default::default() }
            }
            (r, ..) => SummaryQuery { range: Some(r.to_string()), tenant, pipeline, ..Default::default() },
        }
    }

    /// The same view for another tenant (`None`: all).
    pub fn with_tenant(&self, tenant: Option<String>) -> CostView {
        CostView { tenant, ..self.clone() }
    }

    /// A preset window ends now, so live events belong in it.
    pub fn is_live(&self) -> bool {
        self.range != "custom"
    }
}

#[component]
pub fn RangePicker(view: Memo<CostView>) -> impl IntoView {
    let ready = crate::views::use_hydrated();
    let navigate = use_navigate();
    let go = move |v: CostView| {
        navigate(&format!("/costs?{}", v.to_query()), NavigateOptions { scroll: false, ..Default::default() })
    };
    let (from, to) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let custom_error = RwSignal::new(None::<&'static str>);
    let go_preset = go.clone();
    let go_custom = go.clone();
    let go_refresh = go;

    view! {
        <div class="range-bar" role="toolbar" aria-label="Time range">
            <div class="segmented">
                {RANGES
                    .into_iter()
                    .map(|r| {
                        let go = go_preset.clone();
                        view! {
                            <button
                                class="seg"
                                data-range=r
                                aria-pressed=move || (view.with(|v| v.range == r)).to_string()
                                on:click=move |_| go(CostView { range: r.to_string(), from: None, to: None, ..view.get_untracked() })
                            >
                                {r}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <form
                class="custom-range"
                on:submit=move |ev| {
                    ev.prevent_default();
                    use crate::views::components::admin::pricing::parse_utc_minute;
                    match (parse_utc_minute(&from.get()), parse_utc_minute(&to.get())) {
                        (Some(f), Some(t)) if f < t => {
                            custom_error.set(None);
                            go_custom(CostView { range: "custom".into(), from: Some(f), to: Some(t), refresh: 0, ..view.get_untracked() });
                        }
                        _ => custom_error.set(Some("pick a start before the end")),
                    }
                }
            >
                <fieldset class="plain" disabled=move || !ready.get()>
                    <input type="datetime-local" aria-label="From (UTC)" bind:value=from/>
                    <input type="datetime-local" aria-label="To (UTC)" bind:value=to/>
                    <button type="submit" class="button">"Apply"</button>
                    {move || custom_error.get().map(|e| view! { <span class="form-error">{e}</span> })}
                </fieldset>
            </form>
            <label class="refresh">
                "Auto-refresh "
                <select
                    aria-label="Auto-refresh"
                    on:change:target=move |ev| {
                        let refresh = ev.target().value().parse().unwrap_or(0);
                        go_refresh(CostView { refresh, ..view.get_untracked() });
                    }
                >
                    {REFRESH
                        .into_iter()
                        .map(|r| view! {
                            <option value=r.to_string() selected=move || view.with(|v| v.refresh == r)>
                                {if r == 0 { "off".to_string() } else { format!("{r} s") }}
                            </option>
                        })
                        .collect_view()}
                </select>
            </label>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_round_trips() {
        let mut p = ParamsMap::new();
        p.insert("range".to_string(), "7d".to_string());
        p.insert("refresh".to_string(), "30".to_string());
        let v = CostView::from_params(&p);
        assert_eq!(v.to_query(), "range=7d&refresh=30");
        assert_eq!(v.summary_query().range.as_deref(), Some("7d"));
        let mut c = ParamsMap::new();
        c.insert("from".to_string(), "5".to_string());
        c.insert("to".to_string(), "9".to_string());
        let v = CostView::from_params(&c);
        assert_eq!((v.range.as_str(), v.to_query().as_str(), v.is_live()), ("custom", "from=5&to=9", false));
        assert_eq!(CostView::from_params(&ParamsMap::new()).range, "24h");
        let mut t = ParamsMap::new();
        t.insert("range".to_string(), "1h".to_string());
        t.insert("tenant".to_string(), "acme & co".to_string());
        let v = CostView::from_params(&t);
        assert_eq!(v.to_query(), "range=1h&tenant=acme%20%26%20co");
        assert_eq!(v.summary_query().tenant.as_deref(), Some("acme & co"));
        assert_eq!(v.with_tenant(None).to_query(), "range=1h");
    }
}
