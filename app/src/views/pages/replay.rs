//! `/replay/{chatId}`: one conversation, step by step. The canvas shows its
//! path as far as the replay has got (the current stage highlighted, the
//! edges taken marked, failures red), the waterfall its stages on a time
//! axis, the details panel the current event. A conversation still running
//! keeps growing from the live stream. `?step=N` opens at step N.

use crate::api::codec::resource;
use crate::api::conversations::get_conversation;
use crate::domain::conversation::outcome;
use crate::domain::conversation::ConversationDetail;
use crate::domain::flow::FlowGraph;
use crate::domain::money::usd_display;
use crate::domain::replay::{axis, graph_until, merge, steps as replay_steps, turn_marks};
use crate::domain::{time, Event};
use crate::live::LiveStore;
use crate::views::components::flow_canvas::{CanvasFeed, FlowCanvas};
use crate::views::components::info_cards::format_ms;
use crate::views::components::replay::controls::Controls;
use crate::views::components::replay::details::StepDetails;
use crate::views::components::replay::waterfall::Waterfall;
use crate::views::components::replay::Player;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::{lazy_route, LazyRoute};

/// The route: its page's code is loaded from a WASM chunk of its own when
/// the route is first visited (see [`crate::views`]).
#[derive(Debug)]
pub struct ReplayRoute;

#[lazy_route]
impl LazyRoute for ReplayRoute {
    fn data() -> Self {
        Self
    }

    fn view(_route: Self) -> AnyView {
        view! { <ReplayPage/> }.into_any()
    }
}

#[component]
pub fn ReplayPage() -> impl IntoView {
    let live = expect_context::<LiveStore>();
    let params = use_params_map();
    let query = use_query_map();
    let chat = Memo::new(move |_| params.with(|p| p.get("chat").unwrap_or_default()));
    let detail = resource(move || chat.get(), get_conversation);
    // The server reads the title after the page's owner may be gone: a
    // disposed `chat` falls back to the chat it opened with, never panics.
    let opened = chat.get_untracked();
    let title = move || format!("Replay {}", chat.try_get().unwrap_or_else(|| opened.clone()));
    let start = query
        .with_untracked(|q| q.get("step").and_then(|s| s.parse::<usize>().ok()).map_or(0, |s| s.saturating_sub(1)));
    let steps = RwSignal::new(Vec::<Event>::new());
    let player = Player::new(steps, start);
    player.run();
    live.start();

    // Live events of this chat join the steps; "follow live" jumps to them.
    let merged_up_to = StoredValue::new(0i64);
    Effect::new(move |_| {
        let chat_id = chat.get();
        let after = merged_up_to.get_value();
        let fresh: Vec<Event> =
            live.log.with(|log| log.iter().filter(|e| e.id > after && e.chat_id == chat_id).cloned().collect());
        if steps.with_untracked(Vec::is_empty) {
            return; // not loaded yet: the load will include them
        }
        merged_up_to.set_value(live.log.with_untracked(|l| l.iter().map(|e| e.id).max().unwrap_or(0)).max(after));
        // Touch the steps only when something is new: every reader of them
        // (the rows, the graphs) recomputes on a write.
        if fresh.is_empty() {
            return;
        }
        let added = steps.try_update(|s| merge(s, &chat_id, &fresh)).unwrap_or(0);
        if added > 0 && player.follow.get_untracked() {
            player.pos.set(player.len.get_untracked().saturating_sub(1));
        }
    });

    let whole = Memo::new(move |_| steps.with(|s| FlowGraph::from_events(s.iter())));
    let so_far = Memo::new(move |_| steps.with(|s| graph_until(s, player.pos.get())));
    let stage_now = Memo::new(move |_| steps.with(|s| s.get(player.pos.get()).map(|e| e.stage.clone())));
    let feed = CanvasFeed {
        layout: whole.into(),
        graph: so_far.into(),
        now: None,
        pulse_after: None,
        current: Some(stage_now.into()),
    };
    // On a phone the canvas folds away behind a button.
    let canvas_open = RwSignal::new(false);

    view! {
        <Title text=title/>
        <p class="crumbs"><a href="/replay">"← Conversations"</a></p>
        <Suspense fallback=|| view! { <div class="skeleton figures" aria-label="Loading"></div> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! { <p class="panel error-banner" role="alert">{crate::views::messages::server_message(&e)}</p> }.into_any(),
                    Ok(None) => {
                        #[cfg(feature = "ssr")]
                        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
                            resp.set_status(http::StatusCode::NOT_FOUND);
                        }
                        view! {
                            <section class="panel empty-state" data-empty>
                                <h1>"No such conversation"</h1>
                                <p>{format!("Nothing was recorded for chat “{}”, or it is past the retention period.", chat.get_untracked())}</p>
                                <p><a href="/replay">"See the latest conversations"</a></p>
                            </section>
                        }
                        .into_any()
                    }
                    Ok(Some(d)) => {
                        // The server shaped the answer for this reader: cost
                        // shown means an admin (never await `me` here: one
                        // resource awaited in two Suspense hangs some SSR).
                        let admin = d.cost_nanos.shown().is_some();
                        let loaded = replay_steps(&d);
                        player.pos.set(start.min(loaded.len().saturating_sub(1)));
                        merged_up_to.set_value(loaded.iter().map(|e| e.id).max().unwrap_or(0));
                        steps.set(loaded);
                        view! {
                            <div class="replay" data-playing=move || player.playing.get().to_string()>
                                <ReplayHead d steps/>
                                <Controls player/>
                                <div class="replay-canvas" class:open=move || canvas_open.get()>
                                    <button class="button ghost canvas-toggle" aria-expanded=move || canvas_open.get().to_string() on:click=move |_| canvas_open.update(|o| *o = !*o)>
                                        {move || if canvas_open.get() { "Hide the flow" } else { "Show the flow" }}
                                    </button>
                                    <FlowCanvas feed selected=RwSignal::new(None) hint=Signal::derive(move || stage_now.get().map(|s| format!("now: {s}")).unwrap_or_default())/>
                                </div>
                                <div class="replay-body">
                                    <Waterfall player admin/>
                                    <StepDetails player admin/>
                                </div>
                            </div>
                        }
                        .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn ReplayHead(d: ConversationDetail, steps: RwSignal<Vec<Event>>) -> impl IntoView {
    let status = move || steps.with(|s| outcome(s).as_str());
    let started = steps.with_untracked(|s| s.first().map(|e| e.ts).unwrap_or(0));
    let cost = d.cost_nanos.shown().copied().filter(|_| d.events > 0).map(|nanos| {
        let unpriced = d.unpriced_events.shown().copied().filter(|n| *n > 0).map(|n| format!(" + {n} unpriced"));
        view! { <span data-head="cost">{usd_display(nanos)}{unpriced}</span> }
    });
    view! {
        <header class="replay-head">
            <h1 class="page-title chat-title">{d.chat_id.clone()}</h1>
            <p class="replay-facts">
                <span class=move || format!("status-pill status-{}", status()) data-head="status">{status}</span>
                <span data-head="started" title=time::to_rfc3339(started)>{time::to_rfc3339(started)}</span>
                <span data-head="turns">{move || format!("{} turns", steps.with(|s| turn_marks(s).iter().filter(|(_, opens)| *opens).count()))}</span>
                <span data-head="stages">{move || format!("{} stages", steps.with(Vec::len))}</span>
                <span data-head="span">{move || steps.with(|s| format_ms(axis(s).span_ms))}</span>
                {cost}
                {d.truncated.then(|| view! { <span class="warning">"Only the first 5,000 events are shown."</span> })}
            </p>
        </header>
    }
    .into_any()
}
