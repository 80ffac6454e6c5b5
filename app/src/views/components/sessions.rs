//! The live sessions panel: conversations going on right now (an event in
//! the last five minutes, or a stage still running), most recent first. It
//! loads once, then moves with the live stream — new stages, new turns,
//! running cost (admins) — and drops a conversation the moment it goes
//! quiet, with no polling. A row opens the conversation's replay.

use crate::api::codec::resource;
use crate::api::conversations::get_live_sessions;
use crate::domain::money::usd_display;
use crate::domain::sessions::LiveSession;
use crate::domain::{time, url};
use crate::live::LiveStore;
use crate::views::erased::{erase, keyed_rows, Row, RowKey};
use leptos::prelude::*;

/// The sessions active at the store's clock.
pub fn active(live: LiveStore) -> Memo<Vec<LiveSession>> {
    Memo::new(move |_| {
        let now = live.now.get();
        live.sessions.with(|s| s.iter().flatten().filter(|s| s.is_active(now)).cloned().collect())
    })
}

#[component]
pub fn LiveSessionsPanel() -> impl IntoView {
    let live = expect_context::<LiveStore>();
    let list = resource(|| (), |_| get_live_sessions());
    let rows = active(live);
    let shows_cost = move || rows.with(|r| r.iter().any(|s| !s.cost_nanos.is_hidden()));
    view! {
        <section class="panel sessions-panel" aria-labelledby="sessions-title">
            <header class="panel-head">
                <h2 id="sessions-title">"Live sessions"</h2>
            </header>
            // Everything drawn from the list sits inside, after it is seeded,
            // so the server and the hydrating browser draw the same rows.
            <Suspense fallback=|| view! { <div class="skeleton rows"></div> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) => live.seed_sessions(l),
                        Err(e) => return erase(view! { <p class="form-error" role="alert">{format!("Could not load the live sessions: {}", crate::views::messages::server_message(&e))}</p> }),
                    }
                    erase(view! {
                        <p class="hint" data-live-count=move || rows.with(Vec::len)>
                            {move || match rows.with(Vec::len) { 1 => "1 active now".to_string(), n => format!("{n} active now") }}
                        </p>
                        <Show when=move || rows.with(|r| !r.is_empty()) fallback=|| view! { <p class="empty">"No conversation is active right now."</p> }>
                            <div class="table-scroll" role="region" aria-label="Live sessions" tabindex="0">
                                <table class="grid sessions">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Chat"</th><th scope="col">"Tenant"</th><th scope="col">"Persona"</th>
                                            <th scope="col">"Model"</th><th scope="col">"Stage"</th><th scope="col">"Started"</th>
                                            <th scope="col" class="num">"Turns"</th>
                                            {move || shows_cost().then(|| view! { <th scope="col" class="num">"Cost"</th> })}
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {keyed_rows(move || rows.get().into_iter().map(|s| Row::new(RowKey::Tagged(s.chat_id.clone(), s.last_event_id), move || view! { <SessionRow s/> })).collect())}
                                    </tbody>
                                </table>
                            </div>
                        </Show>
                    })
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn SessionRow(s: LiveSession) -> impl IntoView {
    let dash = || "—".to_string();
    let href = format!("/replay/{}", url::encode(&s.chat_id));
    let started = time::to_rfc3339(s.started);
    let status = s.status.as_str();
    view! {
        <tr data-session=s.chat_id.clone() class=format!("status-{status}")>
            <td><a href=href>{s.chat_id.clone()}</a></td>
            <td>{s.tenant.clone().unwrap_or_else(dash)}</td>
            <td>{s.persona.clone().unwrap_or_else(dash)}</td>
            <td>{s.model.clone().unwrap_or_else(dash)}</td>
            <td data-stage=s.stage.clone()>{s.stage.clone()} " " <span class="status-pill">{status}</span></td>
            <td><time datetime=started.clone() title=started>{time::clock(s.started)}</time></td>
            <td class="num" data-turns=s.turns>{s.turns}</td>
            {s.cost_nanos.shown().map(|c| view! { <td class="num" data-cost=*c>{usd_display(*c)}</td> })}
        </tr>
    }
}
