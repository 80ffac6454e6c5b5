//! The log table of the latest events, newest first, coloured by status.
//! On a phone each row folds into a two-line card (see `style/main.css`).

use crate::domain::{time, Event};
use crate::live::LiveStore;
use crate::views::components::info_cards::format_ms;
use crate::views::erased::{keyed_rows, Row, RowKey};
use leptos::prelude::*;

#[component]
pub fn EventLog(selected: RwSignal<Option<String>>) -> impl IntoView {
    let live = expect_context::<LiveStore>();
    let rows = move || {
        selected.with(|stage| {
            live.log.with(|log| {
                log.iter()
                    .filter(|e| stage.as_ref().is_none_or(|s| &e.stage == s))
                    .map(|e| {
                        let e = e.clone();
                        Row::new(RowKey::Id(e.id), move || view! { <LogRow e/> })
                    })
                    .collect()
            })
        })
    };
    let has_rows = move || live.log.with(|l| !l.is_empty());

    view! {
        <section class="panel log-panel" aria-label="Latest events">
            <header class="panel-head">
                <h2>"Latest events"</h2>
                {move || selected.get().map(|stage| view! {
                    <button class="chip" on:click=move |_| selected.set(None) title="Show all stages">
                        "stage: " {stage} " ✕"
                    </button>
                })}
            </header>
            <Show
                when=has_rows
                fallback=|| view! { <p class="empty">"No events yet. They appear here the moment they are stored."</p> }
            >
                <div class="table-scroll" role="region" aria-label="Latest events" tabindex="0">
                    <table class="log">
                        <thead>
                            <tr>
                                <th scope="col">"Time (UTC)"</th>
                                <th scope="col">"Chat"</th>
                                <th scope="col">"Stage"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Persona"</th>
                                <th scope="col">"Model"</th>
                                <th scope="col" class="num">"Duration"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {keyed_rows(rows)}
                        </tbody>
                    </table>
                </div>
            </Show>
        </section>
    }
}

#[component]
fn LogRow(e: Event) -> impl IntoView {
    let at = time::to_rfc3339(e.ts);
    let status = e.status.as_str();
    let dash = || "—".to_string();
    let (stage, chat) = (e.stage.clone(), e.chat_id.clone());
    view! {
        <tr class=format!("row status-{status}") data-id=e.id data-stage=stage>
            <td class="c-time"><time datetime=at.clone() title=at>{time::clock(e.ts)}</time></td>
            <td class="c-chat" title=chat>{e.chat_id}</td>
            <td class="c-stage">{e.stage}</td>
            <td class="c-status">
                <span class="status-pill" title=e.error.clone().unwrap_or_default()>{status}</span>
            </td>
            <td class="c-persona">{e.persona.unwrap_or_else(dash)}</td>
            <td class="c-model">{e.model.unwrap_or_else(dash)}</td>
            <td class="c-dur num">{e.duration_ms.map(format_ms).unwrap_or_else(dash)}</td>
        </tr>
    }
}
