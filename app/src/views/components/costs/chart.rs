//! ECharts through `charming`: the options are plain Rust data, built on
//! both sides; in the browser the first render creates the chart and every
//! later change is a `setOption` merge — the chart updates in place, no
//! flicker, no re-create. The server renders an empty, sized box.

use crate::domain::costs::ModelTrend;
use crate::domain::money::NANOS_PER_USD;
use crate::domain::summary::Summary;
use charming::component::{Axis, Grid, Legend, LegendType};
use charming::element::{AxisType, Tooltip, Trigger};
use charming::series::{Bar, Line, Pie};
use charming::Chart;
use leptos::prelude::*;

/// Dollars for display (charts only; sums stay integer nano-dollars).
fn usd(nanos: i64) -> f64 {
    nanos as f64 / NANOS_PER_USD as f64
}

const PALETTE: [&str; 8] = ["#3b82f6", "#22c55e", "#f59e0b", "#ef4444", "#a855f7", "#14b8a6", "#f97316", "#64748b"];

/// The colour of chart text (axis labels and names, legends, pie labels):
/// the page's own muted text colour for its scheme, read when the chart is
/// drawn, so it meets 4.5:1 on the light and the dark surface alike.
fn text_color() -> String {
    #[cfg(feature = "hydrate")]
    {
        let muted = web_sys::window()
            .and_then(|w| {
                let root = w.document()?.document_element()?;
                w.get_computed_style(&root).ok().flatten()?.get_property_value("--muted").ok()
            })
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        if let Some(muted) = muted {
            return muted;
        }
    }
    "#8b98a8".to_string()
}

/// An axis whose labels and name use [`text_color`].
fn axis() -> Axis {
    let color = text_color();
    Axis::new()
        .axis_label(charming::element::AxisLabel::new().color(color.as_str()))
        .name_text_style(charming::element::TextStyle::new().color(color.as_str()))
}

fn base() -> Chart {
    Chart::new()
        .animation(false)
        .background_color("transparent")
        .color(PALETTE.to_vec())
        .grid(Grid::new().left(56).right(16).top(52).bottom(32))
        // One scrolling row: a legend that wraps on a phone would cover
        // the axis name and the plot below it.
        .legend(
            Legend::new()
                .type_(LegendType::Scroll)
                .top(0)
                .left(8)
                .right(8)
                .text_style(charming::element::TextStyle::new().color(text_color())),
        )
}

fn label(t: i64, bucket: &str) -> String {
    let full = crate::domain::time::to_rfc3339(t);
    match bucket {
        "day" => full[5..10].to_string(),
        _ => full[11..16].to_string(),
    }
}

/// Cost over time, stacked by model (USD per bucket).
pub fn cost_over_time(t: &ModelTrend, bucket: &str) -> Chart {
    let labels: Vec<String> = t.buckets.iter().map(|b| label(*b, bucket)).collect();
    let mut c = base()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .x_axis(axis().type_(AxisType::Category).data(labels))
        .y_axis(axis().type_(AxisType::Value).name("USD"));
    for s in &t.series {
        c = c.series(
            Line::new()
                .name(s.model.clone())
                .stack("cost")
                .show_symbol(false)
                .area_style(charming::element::AreaStyle::new())
                .data(s.cost_nanos.iter().map(|n| usd(*n)).collect::<Vec<f64>>()),
        );
    }
    c
}

/// Cost per model (bar).
pub fn cost_per_model(s: &Summary) -> Chart {
    let models: Vec<String> = s.model_usage.iter().map(|m| m.model.clone()).collect();
    base()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .x_axis(axis().type_(AxisType::Category).data(models))
        .y_axis(axis().type_(AxisType::Value).name("USD"))
        .series(Bar::new().name("cost").data(s.model_usage.iter().map(|m| usd(m.cost_nanos)).collect::<Vec<f64>>()))
}

/// Input vs output vs cached tokens per model (grouped bars).
pub fn tokens_per_model(s: &Summary) -> Chart {
    let models: Vec<String> = s.model_usage.iter().map(|m| m.model.clone()).collect();
    let col = |f: fn(&crate::domain::summary::ModelUsage) -> i64| {
        s.model_usage.iter().map(|m| f(m) as f64).collect::<Vec<f64>>()
    };
    base()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .x_axis(axis().type_(AxisType::Category).data(models))
        .y_axis(axis().type_(AxisType::Value).name("tokens"))
        .series(Bar::new().name("input (uncached)").data(col(|m| m.input_tokens - m.cached_input_tokens)))
        .series(Bar::new().name("cached input").data(col(|m| m.cached_input_tokens)))
        .series(Bar::new().name("output").data(col(|m| m.output_tokens)))
}

/// Cost by persona (doughnut).
pub fn cost_by_persona(s: &Summary) -> Chart {
    let data: Vec<(f64, String)> = s
        .personas
        .iter()
        .filter(|p| p.cost_nanos > 0)
        .map(|p| (usd(p.cost_nanos), if p.name.is_empty() { "(no persona)".to_string() } else { p.name.clone() }))
        .collect();
    base().tooltip(Tooltip::new().trigger(Trigger::Item)).series(
        Pie::new()
            .name("cost")
            .radius(vec!["40%", "70%"])
            .center(vec!["50%", "58%"])
            .label(charming::element::Label::new().color(text_color()))
            .data(data),
    )
}

/// Spend by tenant (horizontal bars, costliest on top).
pub fn cost_by_tenant(s: &Summary) -> Chart {
    let rows: Vec<_> = s.tenants.iter().take(12).rev().collect();
    let names: Vec<String> = rows.iter().map(|r| super::tenants::label(&r.tenant)).collect();
    base()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .y_axis(axis().type_(AxisType::Category).data(names))
        .x_axis(axis().type_(AxisType::Value).name("USD"))
        .series(Bar::new().name("spend").data(rows.iter().map(|r| usd(r.cost_nanos)).collect::<Vec<f64>>()))
}

/// Cost by stage (bar).
pub fn cost_by_stage(s: &Summary) -> Chart {
    let stages: Vec<String> = s.stages.iter().map(|b| b.name.clone()).collect();
    base()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .x_axis(axis().type_(AxisType::Category).data(stages))
        .y_axis(axis().type_(AxisType::Value).name("USD"))
        .series(Bar::new().name("cost").data(s.stages.iter().map(|b| usd(b.cost_nanos)).collect::<Vec<f64>>()))
}

/// A chart box; in the browser it draws `options` and redraws on change.
#[component]
pub fn EChart(id: &'static str, title: &'static str, options: Signal<Option<Chart>>) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    draw(id, options);
    #[cfg(not(feature = "hydrate"))]
    let _ = options;
    view! {
        <figure class="chart-card">
            <figcaption>{title}</figcaption>
            <div class="chart" id=id data-chart=id role="img" aria-label=title></div>
        </figure>
    }
}

/// Live events can change a chart's options many times a second. ECharts
/// draws (and animates) at most once per this gap, with the latest
/// options: on a phone, redrawing six charts for every event kept the
/// page's only thread busy until it stopped answering.
#[cfg(feature = "hydrate")]
const REDRAW_GAP_MS: f64 = 1000.0;

#[cfg(feature = "hydrate")]
fn draw(id: &'static str, options: Signal<Option<Chart>>) {
    use charming::{Echarts, WasmRenderer};
    use send_wrapper::SendWrapper;
    use std::time::Duration;
    let instance: StoredValue<Option<SendWrapper<Echarts>>, LocalStorage> = StoredValue::new_local(None);
    // Bumped to try again while the ECharts script is still loading.
    let retry = RwSignal::new(0u32);
    // Bumped when the system switches between light and dark: the options
    // are built again with that scheme's text colour.
    let scheme = RwSignal::new(0u32);
    watch_scheme(scheme);
    // When the chart was last drawn, and whether a later draw is booked.
    let drawn_at = StoredValue::new_local(f64::NEG_INFINITY);
    let booked = StoredValue::new_local(false);
    let render = move || {
        let Some(Some(chart)) = options.try_get_untracked() else { return };
        let loaded = web_sys::window().and_then(|w| js_sys::Reflect::has(&w, &"echarts".into()).ok()).unwrap_or(false);
        if !loaded {
            request_echarts();
            set_timeout(
                move || {
                    let _ = retry.try_update(|n| *n += 1);
                },
                Duration::from_millis(200),
            );
            return;
        }
        if instance.with_value(Option::is_some) {
            instance.with_value(|i| {
                if let Some(e) = i {
                    WasmRenderer::update(e, &chart)
                }
            });
        } else if let Some(e) = existing(id) {
            // A refresh re-ran this component over the same element: keep
            // its chart rather than start a second one on it.
            WasmRenderer::update(&e, &chart);
            instance.set_value(Some(SendWrapper::new(e)));
        } else if let Ok(e) = WasmRenderer::new_opt(None, None).render(id, &chart) {
            instance.set_value(Some(SendWrapper::new(e)));
        }
        drawn_at.set_value(js_sys::Date::now());
        mark_scheme(id);
    };
    Effect::new(move |_| {
        retry.track();
        scheme.track();
        options.track();
        if booked.get_value() {
            return;
        }
        let wait = drawn_at.get_value() + REDRAW_GAP_MS - js_sys::Date::now();
        if wait <= 0.0 {
            render();
        } else {
            booked.set_value(true);
            let later = move || {
                // Gone with its page meanwhile: nothing to draw.
                if booked.try_update_value(|b| *b = false).is_some() {
                    render();
                }
            };
            set_timeout(later, Duration::from_millis(wait.ceil() as u64));
        }
    });
}

/// Says on the chart's element which scheme it was last drawn for
/// (`data-scheme`), so a test can wait for a redraw.
#[cfg(feature = "hydrate")]
fn mark_scheme(id: &str) {
    let Some(w) = web_sys::window() else { return };
    let light = w.match_media("(prefers-color-scheme: light)").ok().flatten().is_some_and(|q| q.matches());
    if let Some(el) = w.document().and_then(|d| d.get_element_by_id(id)) {
        let _ = el.set_attribute("data-scheme", if light { "light" } else { "dark" });
    }
}

/// Bumps `scheme` whenever `prefers-color-scheme` changes, until the
/// chart is dropped.
#[cfg(feature = "hydrate")]
fn watch_scheme(scheme: RwSignal<u32>) {
    use send_wrapper::SendWrapper;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    let Some(query) = web_sys::window().and_then(|w| w.match_media("(prefers-color-scheme: light)").ok().flatten())
    else {
        return;
    };
    let changed = Closure::<dyn FnMut()>::new(move || scheme.update(|n| *n += 1));
    let _ = query.add_event_listener_with_callback("change", changed.as_ref().unchecked_ref());
    let (query, changed) = (SendWrapper::new(query), SendWrapper::new(changed));
    on_cleanup(move || {
        let _ = query.remove_event_listener_with_callback("change", changed.as_ref().unchecked_ref());
    });
}

/// ECharts itself (1.1 MB, 299 KB as brotli). Fetched once the page is
/// hydrated, not beside its WASM: on a phone's link the two shared it, and
/// the page answered later, drawing its charts no sooner.
#[cfg(feature = "hydrate")]
const ECHARTS: &str = "/vendor/echarts.min.js";

/// Adds the ECharts script to the page, once.
#[cfg(feature = "hydrate")]
fn request_echarts() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    if doc.query_selector("script[data-echarts]").ok().flatten().is_some() {
        return;
    }
    let (Ok(script), Some(body)) = (doc.create_element("script"), doc.body()) else { return };
    let _ = script.set_attribute("src", ECHARTS);
    let _ = script.set_attribute("data-echarts", "");
    let _ = body.append_child(&script);
}

/// The chart ECharts already drew on element `id`, if any.
#[cfg(feature = "hydrate")]
fn existing(id: &str) -> Option<charming::Echarts> {
    use wasm_bindgen::JsCast;
    let el = web_sys::window()?.document()?.get_element_by_id(id)?;
    let echarts = js_sys::Reflect::get(&js_sys::global(), &"echarts".into()).ok()?;
    let get: js_sys::Function = js_sys::Reflect::get(&echarts, &"getInstanceByDom".into()).ok()?.dyn_into().ok()?;
    let found = get.call1(&echarts, &el).ok()?;
    (!found.is_undefined() && !found.is_null()).then(|| found.unchecked_into())
}
