//! `/`: the live flow page — info cards, the flow canvas, the live sessions
//! and the log of the latest events, of every pipeline or of the one
//! `?pipeline=` picks. Rendered complete on the server, then kept live by SSE.

use crate::api::codec::resource;
use crate::api::dashboard::get_dashboard;
use crate::live::LiveStore;
use crate::views::components::event_log::EventLog;
use crate::views::components::flow_canvas::{CanvasFeed, FlowCanvas};
use crate::views::components::info_cards::InfoCards;
use crate::views::components::pipeline_picker::{use_pipeline, PipelinePicker};
use crate::views::components::sessions::LiveSessionsPanel;
use crate::views::erased::erase;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    let live = expect_context::<LiveStore>();
    let pipeline = use_pipeline();
    // The first paint's snapshot (on the server, and hydrated from it). It
    // never refetches: the view it renders stays, and another pipeline
    // picked later re-seeds the live store in place (below), so nothing
    // is torn down under the canvas while events arrive.
    let dashboard = resource(|| (), move |_| get_dashboard(pipeline.get_untracked()));
    let switch_error = RwSignal::new(None::<String>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |prev: Option<Option<String>>| {
        let picked = pipeline.get();
        if prev.is_some_and(|p| p != picked) {
            let picked = picked.clone();
            leptos::task::spawn_local(async move {
                let answer = get_dashboard(picked.clone()).await;
                // A later pick wins over a slower answer.
                if pipeline.get_untracked() != picked {
                    return;
                }
                match answer {
                    Ok(d) => {
                        switch_error.set(None);
                        live.seed(d);
                    }
                    Err(e) => switch_error.set(Some(crate::views::messages::server_message(&e))),
                }
            });
        }
        picked
    });
    // The stage picked on the canvas filters the log.
    let selected = RwSignal::new(None::<String>);
    let feed = CanvasFeed::live(live);
    let hint = Signal::derive(move || {
        let of = pipeline.get().map(|p| format!(" of {p}")).unwrap_or_default();
        format!("{} recent events{of} · click a stage to filter the log", live.window.get())
    });
    // Started once seeded (below), or, when the dashboard could not load,
    // once hydrated.
    Effect::new(move |_| live.start());

    erase(view! {
        <Title text="Flow"/>
        <div class="page-tools">
            {move || switch_error.get().map(|e| view! { <p class="form-error" role="alert">{format!("Could not switch: {e}")}</p> })}
            <PipelinePicker/>
        </div>
        <Suspense fallback=|| view! { <p class="loading">"Loading the flow…"</p> }>
            {move || Suspend::new(async move {
                match dashboard.await {
                    Ok(d) => {
                        live.seed(d);
                        live.start();
                        erase(view! {
                            <InfoCards/>
                            <FlowCanvas feed selected hint/>
                            <EventLog selected/>
                        })
                    }
                    Err(e) => erase(view! {
                        <section class="panel error-banner" role="alert">
                            <h2>"The dashboard could not load"</h2>
                            <p>{crate::views::messages::server_message(&e)}</p>
                        </section>
                    }),
                }
            })}
        </Suspense>
        // Outside the Suspense above: a resource of its own nested in it can
        // leave the server's response hanging (as in leptos#4851).
        <LiveSessionsPanel/>
    })
}
