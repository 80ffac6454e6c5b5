//! `/replay`: the latest conversations, to pick one to replay. The search
//! and filters are a plain GET form, so the URL holds them (shareable, and
//! it works before the page has hydrated).

use crate::api::codec::resource;
use crate::api::conversations::get_conversations;
use crate::domain::conversation::{
    ConversationQuery, ConversationStatus, ConversationSummary, DEFAULT_LIST_SIZE, LIST_SIZES, MAX_LIST_SIZE,
};
use crate::domain::money::usd_display;
use crate::domain::time;
use crate::views::components::info_cards::format_ms;
use crate::views::components::pipeline_picker::PipelinePicker;
use crate::views::links;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use leptos_router::{lazy_route, LazyRoute};

fn list_query(p: &ParamsMap) -> ConversationQuery {
    let text = |k: &str| p.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    ConversationQuery {
        limit: p.get("n").and_then(|n| n.parse().ok()).map_or(DEFAULT_LIST_SIZE, |n: i64| n.clamp(1, MAX_LIST_SIZE)),
        search: text("q"),
        persona: text("persona"),
        model: text("model"),
        status: p.get("status").and_then(|s| ConversationStatus::parse(&s)),
        tenant: text("tenant"),
        pipeline: text("pipeline"),
    }
}

/// The route: its page's code is loaded from a WASM chunk of its own when
/// the route is first visited (see [`crate::views`]).
#[derive(Debug)]
pub struct ReplayListRoute;

#[lazy_route]
impl LazyRoute for ReplayListRoute {
    fn data() -> Self {
        Self
    }

    fn view(_route: Self) -> AnyView {
        view! { <ReplayListPage/> }.into_any()
    }
}

#[component]
pub fn ReplayListPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(list_query));
    let list = resource(move || query.get(), get_conversations);
    let live = expect_context::<crate::live::LiveStore>();
    live.start();

    view! {
        <Title text="Replay"/>
        <div class="page-head">
            <h1 class="page-title">"Replay"</h1>
            <PipelinePicker/>
        </div>
        <section class="panel" aria-labelledby="conversations-title">
            <header class="panel-head">
                <h2 id="conversations-title">"Conversations"</h2>
                <p class="hint">"Open one to step through its turns and stages."</p>
            </header>
            <ListFilters query/>
            <Transition fallback=|| view! { <div class="skeleton rows" aria-label="Loading"></div> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <p class="form-error" role="alert">{crate::views::messages::server_message(&e)}</p> }.into_any(),
                        Ok(rows) if rows.is_empty() => view! {
                            <p class="empty" data-empty>"No conversations match. Clear the filters, or send events with a chatId."</p>
                        }
                        .into_any(),
                        Ok(rows) => {
                            // Cost shown means an admin: the server shaped the rows.
                            let admin = rows.iter().any(|c| c.cost_nanos.shown().is_some());
                            view! { <ConversationTable rows admin/> }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ListFilters(query: Memo<ConversationQuery>) -> impl IntoView {
    let q = query.get_untracked();
    let status = q.status.map(ConversationStatus::as_str).unwrap_or("");
    // A changed choice applies at once (the form's own submit, so the
    // router navigates as it does for the button).
    let submit_on_change = |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let form = event_target::<web_sys::HtmlElement>(&ev).closest("form").ok().flatten();
            if let Some(Ok(form)) = form.map(|f| f.dyn_into::<web_sys::HtmlFormElement>()) {
                let _ = form.request_submit();
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    view! {
        <Form method="GET" action="/replay" attr:class="filters replay-filters" attr:role="search">
            // The picked pipeline stays picked through a search (the picker
            // changes it without rendering this form again).
            {move || query.with(|q| q.pipeline.clone()).map(|p| view! { <input type="hidden" name="pipeline" value=p/> })}
            <input type="search" name="q" value=q.search.clone().unwrap_or_default() placeholder="chat id" aria-label="Search chat id"/>
            <input name="persona" value=q.persona.clone().unwrap_or_default() placeholder="persona" aria-label="Persona"/>
            <input name="model" value=q.model.clone().unwrap_or_default() placeholder="model" aria-label="Model"/>
            <select name="status" aria-label="Status" on:change=submit_on_change>
                {[("", "any status"), ("error", "with errors"), ("running", "running"), ("success", "successful")]
                    .into_iter()
                    .map(|(v, label)| view! { <option value=v selected=status == v>{label}</option> })
                    .collect_view()}
            </select>
            <select name="n" aria-label="How many" on:change=submit_on_change>
                {LIST_SIZES
                    .into_iter()
                    .map(|n| view! { <option value=n selected=q.limit == n>{format!("latest {n}")}</option> })
                    .collect_view()}
            </select>
            <button type="submit" class="button">"Search"</button>
        </Form>
    }
}

#[component]
fn ConversationTable(rows: Vec<ConversationSummary>, admin: bool) -> impl IntoView {
    view! {
        <div class="table-scroll" role="region" aria-label="Conversations" tabindex="0">
            <table class="grid conversations">
                <thead>
                    <tr>
                        <th>"Chat"</th>
                        <th>"Started"</th>
                        <th class="num">"Turns"</th>
                        <th class="num">"Stages"</th>
                        <th>"Status"</th>
                        <th class="num">"Duration"</th>
                        <th>"Persona · model"</th>
                        {admin.then(|| view! { <th class="num">"Cost"</th> })}
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|c| view! { <ConversationRow c admin/> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn ConversationRow(c: ConversationSummary, admin: bool) -> impl IntoView {
    let href = links::replay(&c.chat_id);
    let status = c.status().as_str();
    let who = [c.last_persona.clone(), c.last_model.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ");
    view! {
        <tr class=format!("conversation status-{status}") data-chat=c.chat_id.clone()>
            <td class="cv-chat"><a href=href>{c.chat_id.clone()}</a></td>
            <td class="cv-time" title=time::to_rfc3339(c.first_ts)>{time::clock(c.first_ts)}</td>
            <td class="num cv-turns">{c.turns}<span class="cell-unit">{plural(c.turns, " turn", " turns")}</span></td>
            <td class="num cv-stages">{c.events}<span class="cell-unit">{plural(c.events, " stage", " stages")}</span></td>
            <td class="cv-status"><span class="status-pill">{status}</span></td>
            <td class="num cv-dur" data-label="duration">{format_ms(c.duration_ms())}</td>
            <td class="muted cv-who">{if who.is_empty() { "—".to_string() } else { who }}</td>
            {admin.then(|| {
                let cost = c.cost_nanos.shown().copied();
                let unpriced = c.unpriced_events.shown().is_some_and(|n| *n > 0).then(|| view! { <span class="unpriced">" +unpriced"</span> });
                view! { <td class="num cv-cost" data-cost=cost>{cost.map(usd_display)}{unpriced}</td> }
            })}
        </tr>
    }
}

/// The unit a phone's card shows after a count (the table's header says it
/// on wider screens).
fn plural(n: i64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}
