//! The top bar: brand, navigation and the live-connection indicator.

use crate::live::LiveStore;
use leptos::prelude::*;

#[component]
pub fn Header() -> impl IntoView {
    let live = expect_context::<LiveStore>();
    let state = move || live.connection.get().as_str();
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true"></span>
                "Flowmeter"
            </a>
            <nav class="nav" aria-label="Main">
                <a href="/">"Flow"</a>
            </nav>
            <span class="conn" data-state=state role="status" aria-live="polite" title="Live updates">
                <span class="conn-dot" aria-hidden="true"></span>
                <span class="conn-label">{state}</span>
            </span>
        </header>
    }
}
