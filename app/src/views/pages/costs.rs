//! `/costs` (admins only; the server answers 403 to anyone else): what is
//! being spent, on what, and whether it is about to go wrong. The window is
//! in the URL; data refreshes on demand or every 10/30 s, and between
//! refreshes live events move the figures and charts in place.

use crate::api::codec::resource;
use crate::api::costs::get_model_trend;
use crate::api::summary::get_summary;
use crate::domain::costs::ModelTrend;
use crate::domain::live_costs::{apply_live, apply_live_trend};
use crate::domain::summary::{Summary, SummaryQuery};
use crate::live::{Connection, LiveStore};
use crate::views::components::costs::budgets::{AlertRules, Budgets};
use crate::views::components::costs::chart::{self, EChart};
use crate::views::components::costs::export::ExportButtons;
use crate::views::components::costs::export_jobs::ExportJobs;
use crate::views::components::costs::figures::{KeyFigures, LiveTicker};
use crate::views::components::costs::models::ModelComparison;
use crate::views::components::costs::operations::RecentOperations;
use crate::views::components::costs::range::{CostView, RangePicker};
use crate::views::components::costs::tenants::{TenantCosts, TenantFilter};
use crate::views::components::costs::tools::ToolsTable;
use crate::views::components::pipeline_picker::PipelinePicker;
use crate::views::components::sessions::{self, LiveSessionsPanel};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::{lazy_route, LazyRoute};

const DAY_MS: i64 = 86_400_000;

fn today() -> SummaryQuery {
    let now = crate::domain::time::now_ms();
    SummaryQuery { from: Some(now - now.rem_euclid(DAY_MS)), ..Default::default() }
}

/// The route: its page's code is loaded from a WASM chunk of its own when
/// the route is first visited (see [`crate::views`]).
#[derive(Debug)]
pub struct CostsRoute;

#[lazy_route]
impl LazyRoute for CostsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_route: Self) -> AnyView {
        view! { <CostsPage/> }.into_any()
    }
}

#[component]
pub fn CostsPage() -> impl IntoView {
    let live = expect_context::<LiveStore>();
    live.start();
    let query = use_query_map();
    let view = Memo::new(move |_| query.with(CostView::from_params));
    let window = Memo::new(move |_| view.with(CostView::summary_query));
    let (tick, set_tick) = signal(0u64);
    #[cfg(feature = "hydrate")]
    Effect::new(move |prev: Option<Option<IntervalHandle>>| {
        if let Some(Some(h)) = prev {
            h.clear();
        }
        let every = view.with(|v| v.refresh);
        (every > 0)
            .then(|| {
                set_interval_with_handle(
                    move || set_tick.update(|t| *t += 1),
                    std::time::Duration::from_secs(every.into()),
                )
                .ok()
            })
            .flatten()
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = set_tick;

    let summary_res = resource(move || (window.get(), tick.get()), |(q, _)| get_summary(q));
    let trend_res = resource(move || (window.get(), tick.get()), |(q, _)| get_model_trend(q));
    let today_res = resource(move || tick.get(), |_| get_summary(today()));
    // The last good answers: a failed refresh keeps them on screen. They are
    // written where the answers are awaited (inside the Transitions), so the
    // server and the hydrating browser fill them from the same data.
    let good = RwSignal::new(None::<Summary>);
    let good_trend = RwSignal::new(None::<ModelTrend>);
    let good_today = RwSignal::new(None::<Summary>);
    let error = RwSignal::new(None::<String>);
    fn keep<T: Send + Sync + 'static>(into: RwSignal<Option<T>>, answer: Result<T, ServerFnError>) -> Option<String> {
        match answer {
            Ok(v) => {
                into.set(Some(v));
                None
            }
            Err(e) => Some(crate::views::messages::server_message(&e)),
        }
    }

    // Live events count toward the page only if they are the tenant's and
    // the pipeline's it shows.
    let scope = Memo::new(move |_| view.with(|v| (v.tenant.clone(), v.pipeline.clone())));
    let mine = move |t: &&crate::domain::live_costs::Tick| {
        scope.with(|(tenant, pipeline)| {
            tenant.as_ref().is_none_or(|f| &t.tenant == f) && pipeline.as_ref().is_none_or(|p| &t.pipeline == p)
        })
    };
    let summary = Memo::new(move |_| {
        let base = good.get().unwrap_or_default();
        if view.with(CostView::is_live) {
            live.tape.with(|t| apply_live(&base, t.iter().filter(mine)))
        } else {
            base
        }
    });
    let today_live = Memo::new(move |_| good_today.get().map(|t| live.tape.with(|tape| apply_live(&t, tape.iter()))));
    let trend = Memo::new(move |_| {
        let base = good_trend.get()?;
        let (last, from) = good.with(|g| g.as_ref().map_or((i64::MAX, 0), |g| (g.last_event_id, g.from)));
        Some(if view.with(CostView::is_live) {
            live.tape.with(|t| apply_live_trend(&base, last, from, t.iter().filter(mine)))
        } else {
            base
        })
    });
    let loaded = move || good.with(Option::is_some);
    let models =
        Memo::new(move |_| summary.with(|s| s.model_usage.iter().map(|m| m.model.clone()).collect::<Vec<_>>()));
    let bucket = move || summary.with(|s| s.bucket.clone());
    let opts = move |f: fn(&Summary) -> charming::Chart| {
        Signal::derive(move || good.with(Option::is_some).then(|| summary.with(f)))
    };
    let time_chart = Signal::derive(move || trend.with(|t| t.as_ref().map(|t| chart::cost_over_time(t, &bucket()))));
    let is_live = Signal::derive(move || live.connection.get() == Connection::Live);
    let active_sessions = sessions::active(live);
    let active_count =
        Signal::derive(move || live.sessions.with(Option::is_some).then(|| active_sessions.with(Vec::len)));

    view! {
        <Title text="Costs"/>
        <h1 class="page-title">"Cost monitor"</h1>
        <RangePicker view/>
        <div class="page-tools">
            <TenantFilter view/>
            <PipelinePicker/>
        </div>
        // Everything drawn from the answers sits in this one Transition: it
        // renders once they are in (on the server too), a refresh keeps it
        // until the new ones arrive, and live events move it in place
        // meanwhile. One Transition, because Leptos 0.8 can leave an SSR
        // response hanging when one resource is awaited in two (leptos#4851).
        <Transition fallback=|| view! { <div class="skeleton figures" aria-label="Loading"></div> }>
            {move || Suspend::new(async move {
                let (s, t, m) = (summary_res.await, today_res.await, trend_res.await);
                error.set(keep(good, s));
                keep(good_today, t);
                keep(good_trend, m);
                view! {
                    <LiveTicker today=today_live live=is_live active=active_count/>
                    {move || error.get().map(|e| view! {
                        <p class="panel error-banner" role="alert">
                            {format!("Could not refresh: {e}. ")}{move || loaded().then_some("Showing the last figures that loaded.")}
                        </p>
                    })}
                    <Show when=move || summary.with(|s| s.overview.events > 0) fallback=move || view! {
                        <section class="panel empty-state" data-empty>
                            <p class="empty-title">"No traffic in this window"</p>
                            <p>"Pick a longer range, or send events with a model and token usage."</p>
                        </section>
                    }>
                        <KeyFigures summary/>
                    </Show>
                    // Charts draw in the browser only.
                    <div class="charts">
                        <EChart id="chart-cost-time" title="Cost over time by model" options=time_chart/>
                        <EChart id="chart-cost-model" title="Cost per model" options=opts(chart::cost_per_model)/>
                        <EChart id="chart-tokens-model" title="Tokens per model" options=opts(chart::tokens_per_model)/>
                        <EChart id="chart-cost-persona" title="Cost by persona" options=opts(chart::cost_by_persona)/>
                        <EChart id="chart-cost-stage" title="Cost by stage" options=opts(chart::cost_by_stage)/>
                    </div>
                    <datalist id="model-names">
                        {move || models.get().into_iter().map(|m| view! { <option value=m></option> }).collect_view()}
                    </datalist>
                    <TenantCosts summary view loaded=Signal::derive(loaded)/>
                    <ModelComparison summary/>
                    <ToolsTable summary/>
                    <section class="panel export-panel" aria-label="Export">
                        <header class="panel-head">
                            <h2>"Export"</h2>
                            <p class="hint">{move || format!("{} events in this window", summary.with(|s| s.overview.events))}</p>
                        </header>
                        <ExportButtons window expected=Signal::derive(move || summary.with(|s| s.overview.events))/>
                    </section>
                }
            })}
        </Transition>
        // Outside the Transition above: a resource of its own nested in it
        // would leave the server's response hanging (as in leptos#4851).
        <section class="panel export-panel" aria-labelledby="jobs-title">
            <header class="panel-head">
                <h2 id="jobs-title">"Background exports"</h2>
                <p class="hint">"For big windows: written to a file, kept 24 h."</p>
            </header>
            <ExportJobs window/>
        </section>
        <LiveSessionsPanel/>
        <RecentOperations window tick/>
        <Budgets tick/>
        <AlertRules tick/>
    }
}
