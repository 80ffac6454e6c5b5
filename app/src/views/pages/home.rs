//! `/`: the live flow page — info cards, the flow canvas, the live sessions
//! and the log of the latest events. Rendered complete on the server, then kept live by SSE.

use crate::api::dashboard::get_dashboard;
use crate::live::LiveStore;
use crate::views::components::event_log::EventLog;
use crate::views::components::flow_canvas::{CanvasFeed, FlowCanvas};
use crate::views::components::info_cards::InfoCards;
use crate::views::components::sessions::LiveSessionsPanel;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    let live = expect_context::<LiveStore>();
    let dashboard = Resource::new(|| (), |_| get_dashboard());
    // The stage picked on the canvas filters the log.
    let selected = RwSignal::new(None::<String>);

    view! {
        <Title text="Flow"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading the flow…"</p> }>
            {move || Suspend::new(async move {
                match dashboard.await {
                    Ok(d) => {
                        live.seed(d);
                        Effect::new(move |_| live.start());
                        Either::Left(view! {
                            <InfoCards/>
                            <FlowCanvas
                                feed=CanvasFeed::live(live)
                                selected
                                hint=Signal::derive(move || format!("{} recent events · click a stage to filter the log", live.window.get()))
                            />
                            <EventLog selected/>
                        })
                    }
                    Err(e) => Either::Right(view! {
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
    }
}
