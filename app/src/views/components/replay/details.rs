//! A step's event in full: what ran, on which model, the tokens,
//! the cost (admins only), the error, and `meta` as indented JSON. All of
//! it is the agent's data, so it is rendered as text, never as markup.

use super::Player;
use crate::domain::money::usd_display;
use crate::domain::replay::pretty_meta;
use crate::domain::visibility::Cost;
use crate::domain::{time, Event};
use crate::views::components::info_cards::format_ms;
use leptos::prelude::*;

#[component]
pub fn StepDetails(player: Player, admin: bool) -> impl IntoView {
    view! {
        <section class="panel details-panel" aria-label="Details of the current step" data-details>
            {move || player.current().map(|e| view! { <EventDetails e admin/> })}
        </section>
    }
    .into_any()
}

#[component]
pub fn EventDetails(e: Event, admin: bool) -> impl IntoView {
    let u = &e.usage;
    let tokens = if u.is_empty() {
        "—".to_string()
    } else {
        let mut t = format!("{} in · {} out", u.input_tokens, u.output_tokens);
        if u.cached_input_tokens > 0 {
            t.push_str(&format!(" · {} cached", u.cached_input_tokens));
        }
        if u.reasoning_tokens > 0 {
            t.push_str(&format!(" · {} reasoning", u.reasoning_tokens));
        }
        t
    };
    let cost = match e.cost_nanos {
        Cost::Shown(Some(n)) => usd_display(n),
        Cost::Shown(None) => "unpriced".to_string(),
        Cost::Hidden => "—".to_string(),
    };
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let meta = pretty_meta(&e);
    view! {
        <header class="panel-head">
            <h2>{e.stage.clone()}</h2>
            <span class=format!("status-pill status-{}", e.status.as_str()) data-detail="status">{e.status.as_str()}</span>
        </header>
        <dl class="facts">
            <dt>"Started"</dt>
            <dd data-detail="ts">{time::to_rfc3339(e.ts)}</dd>
            <dt>"Duration"</dt>
            <dd data-detail="duration">{e.duration_ms.map(format_ms).unwrap_or_else(|| "—".into())}</dd>
            <dt>"Turn"</dt>
            <dd>{or_dash(&e.turn_id)}</dd>
            <dt>"Persona"</dt>
            <dd>{or_dash(&e.persona)}</dd>
            <dt>"Model"</dt>
            <dd data-detail="model">{or_dash(&e.model)}{e.provider.clone().map(|p| format!(" ({p})"))}</dd>
            <dt>"Tokens"</dt>
            <dd data-detail="tokens">{tokens}</dd>
            {admin.then(|| view! {
                <dt>"Cost"</dt>
                <dd data-detail="cost">{cost}</dd>
            })}
            <dt>"Event"</dt>
            <dd class="muted" data-detail="id">{format!("#{}", e.id)}</dd>
        </dl>
        {e.error.clone().map(|err| view! { <p class="error-text" role="note" data-detail="error">{err}</p> })}
        {meta.map(|m| view! {
            <h3 class="sub-title">"meta"</h3>
            <pre class="code meta" data-detail="meta">{m}</pre>
        })}
    }
}
