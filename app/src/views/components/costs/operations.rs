//! Recent operations: the window's turns with their cost, sortable,
//! filterable and paged; a row opens the conversation in the replay view.

use crate::api::codec::resource;
use crate::api::costs::list_turns;
use crate::domain::costs::{TurnQuery, TurnRow, TurnSort};
use crate::domain::money::usd_display;
use crate::domain::summary::SummaryQuery;
use crate::domain::time;
use crate::views::components::info_cards::format_ms;
use leptos::prelude::*;

const PAGE: i64 = 20;

#[component]
pub fn RecentOperations(window: Memo<SummaryQuery>, tick: ReadSignal<u64>) -> impl IntoView {
    let sort = RwSignal::new(TurnSort::Recent);
    let ascending = RwSignal::new(false);
    let status = RwSignal::new(String::new());
    let model = RwSignal::new(String::new());
    let persona = RwSignal::new(String::new());
    let page = RwSignal::new(0i64);
    let query = Memo::new(move |_| {
        let mut w = window.get();
        w.model = Some(model.get()).filter(|m| !m.is_empty());
        w.persona = Some(persona.get()).filter(|p| !p.is_empty());
        TurnQuery {
            window: w,
            status: Some(status.get()).filter(|s| !s.is_empty()),
            sort: sort.get(),
            ascending: ascending.get(),
            offset: page.get() * PAGE,
            limit: PAGE,
        }
    });
    let turns = resource(move || (query.get(), tick.get()), |(q, _)| list_turns(q));
    let header = move |label: &'static str, key: TurnSort| {
        view! {
            <th
                class="num sortable"
                aria-sort=move || if sort.get() == key { if ascending.get() { "ascending" } else { "descending" } } else { "none" }
            >
                <button
                    class="sort"
                    data-sort=format!("{key:?}").to_lowercase()
                    on:click=move |_| {
                        if sort.get_untracked() == key {
                            ascending.update(|a| *a = !*a);
                        } else {
                            sort.set(key);
                            ascending.set(false);
                        }
                        page.set(0);
                    }
                >
                    {label}
                    {move || (sort.get() == key).then(|| if ascending.get() { " ▲" } else { " ▼" })}
                </button>
            </th>
        }
    };

    view! {
        <section class="panel" aria-labelledby="ops-title">
            <header class="panel-head">
                <h2 id="ops-title">"Recent operations"</h2>
                <div class="filters">
                    // Suggestions come from the model comparison's list.
                    <input placeholder="model" list="model-names" aria-label="Filter by model" on:change:target=move |ev| { model.set(ev.target().value()); page.set(0); }/>
                    <input placeholder="persona" aria-label="Filter by persona" on:change:target=move |ev| { persona.set(ev.target().value()); page.set(0); }/>
                    <select aria-label="Filter by status" on:change:target=move |ev| { status.set(ev.target().value()); page.set(0); }>
                        <option value="">"any status"</option>
                        <option value="success">"success"</option>
                        <option value="error">"error"</option>
                        <option value="running">"running"</option>
                    </select>
                </div>
            </header>
            <Transition fallback=|| view! { <div class="skeleton rows"></div> }>
                {move || Suspend::new(async move {
                    match turns.await {
                        Err(e) => view! { <p class="form-error">{crate::views::messages::server_message(&e)}</p> }.into_any(),
                        Ok(p) if p.rows.is_empty() => view! { <p class="empty">"No turns in this window."</p> }.into_any(),
                        Ok(p) => {
                            let total = p.total;
                            view! {
                                <div class="table-scroll" role="region" aria-label="Recent operations" tabindex="0">
                                    <table class="grid ops">
                                        <thead>
                                            <tr>
                                                {header("Started", TurnSort::Recent)}
                                                <th>"Chat"</th><th>"Persona"</th><th>"Model"</th><th>"Status"</th>
                                                {header("Tokens", TurnSort::Tokens)}
                                                {header("Cost", TurnSort::Cost)}
                                                {header("Duration", TurnSort::Duration)}
                                            </tr>
                                        </thead>
                                        <tbody>{p.rows.into_iter().map(|r| view! { <OpRow r/> }).collect_view()}</tbody>
                                    </table>
                                </div>
                                <nav class="pager" aria-label="Pages">
                                    <button class="button ghost" disabled=move || page.get() == 0 on:click=move |_| page.update(|p| *p -= 1)>"Previous"</button>
                                    <span class="muted">
                                        {move || format!("{}–{} of {total}", page.get() * PAGE + 1, ((page.get() + 1) * PAGE).min(total))}
                                    </span>
                                    <button class="button ghost" disabled=move || { (page.get() + 1) * PAGE >= total } on:click=move |_| page.update(|p| *p += 1)>"Next"</button>
                                </nav>
                            }
                            .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn OpRow(r: TurnRow) -> impl IntoView {
    let href = crate::views::links::replay(&r.chat_id);
    let at = time::to_rfc3339(r.start_ts);
    view! {
        <tr class=format!("op status-{}", r.status) data-chat=r.chat_id.clone()>
            <td class="num"><a href=href.clone() title=at>{time::clock(r.start_ts)}</a></td>
            <td><a href=href>{r.chat_id.clone()}</a></td>
            <td>{r.persona.clone().unwrap_or_else(|| "—".into())}</td>
            <td>{r.model.clone().unwrap_or_else(|| "—".into())}</td>
            <td><span class="status-pill">{r.status.clone()}</span></td>
            <td class="num">{r.tokens}</td>
            <td class="num" data-cost=r.cost_nanos>
                {usd_display(r.cost_nanos)}
                {(r.unpriced_events > 0).then(|| view! { <span class="unpriced">" +unpriced"</span> })}
            </td>
            <td class="num">{format_ms(r.duration_ms)}</td>
        </tr>
    }
}
