//! The top bar: brand, navigation for the signed-in role, the live-connection
//! indicator and the account menu. Links a role may not use are not shown —
//! and the server refuses them anyway.

use crate::domain::auth::Me;
use crate::live::LiveStore;
use leptos::prelude::*;

#[component]
pub fn Header(me: Signal<Option<Me>>) -> impl IntoView {
    let live = expect_context::<LiveStore>();
    let state = move || live.connection.get().as_str();
    let is_admin = move || me.with(|m| m.as_ref().is_some_and(Me::is_admin));
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true"></span>
                <span class="brand-name">"Flowmeter"</span>
            </a>
            <Show when=move || me.with(Option::is_some) fallback=|| view! { <span class="nav"></span> }>
                <nav class="nav" aria-label="Main">
                    <a href="/">"Flow"</a>
                    <a href="/replay" data-nav="replay">"Replay"</a>
                    <Show when=is_admin>
                        <a href="/costs" data-nav="costs">"Costs"</a>
                        <a href="/admin" data-nav="admin">"Admin"</a>
                    </Show>
                </nav>
                <span class="conn" data-state=state role="status" aria-live="polite" title="Live updates">
                    <span class="conn-dot" aria-hidden="true"></span>
                    <span class="conn-label">{state}</span>
                </span>
                <form method="post" action="/api/auth/logout" class="account">
                    <span class="account-email" title=move || me.with(|m| m.as_ref().map(|m| format!("{} ({})", m.email, m.role.as_str())))>
                        {move || me.with(|m| m.as_ref().map(|m| m.email.clone()))}
                    </span>
                    <button type="submit" class="button ghost">"Sign out"</button>
                </form>
            </Show>
        </header>
    }
}
