//! Pages and components. The tree mirrors the screen: `App` holds the
//! header and the routes; each page is one file under `pages/`; shared
//! pieces live under `components/`; `erased` has the flow page's one keyed
//! list and its views' erasure, so their code is compiled once. Every view
//! reads the tab's [`LiveStore`].
//!
//! The flow page is in the WASM every visit loads. The other pages are
//! lazy routes: `cargo leptos build --split` puts the
//! code only they reach (the cost monitor's charts, the admin forms, the
//! replay player) in chunks of their own, fetched when a page first needs
//! them; the server names the current page's chunks in its `<head>` so a
//! direct visit loads them beside the main WASM. Without `--split` (debug
//! builds) the same routes are plain, in one WASM.

pub mod components;
pub mod erased;
pub mod links;
pub mod messages;
pub mod pages;

use crate::api::account::get_me;
use crate::api::codec::Json;
use crate::live::LiveStore;
use components::header::Header;
use components::toasts::AlertToasts;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{Lazy, ParamSegment, SsrMode, StaticSegment};
use pages::{admin::AdminRoute, costs::CostsRoute, home::HomePage, login::LoginRoute, not_found::NotFound};
use pages::{replay::ReplayRoute, replay_list::ReplayListRoute};

/// False until the page has hydrated. Forms handled in the browser keep
/// their fields in a `<fieldset>` disabled until then: text typed earlier
/// would reach the page but not the signals the submit reads, and an early
/// click would fall back to a plain GET of the page with the fields (passwords
/// too) in the URL.
pub fn use_hydrated() -> ReadSignal<bool> {
    let (ready, set_ready) = signal(false);
    Effect::new(move |_| set_ready.set(true));
    ready
}

/// The HTML document around the app (server only renders this).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The page's live store, made here so that the early stream after the
    // page sees what the page started (`live::early`); the browser, which
    // renders `App` alone, makes its own.
    provide_context(LiveStore::new());
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // The same on every page, so here, not in `App`: the
                // browser never renders the shell, and tags of the app's
                // own are code and hydration work in the main module.
                <meta name="description" content="Live flow and cost telemetry for LLM agent pipelines"/>
                <meta name="color-scheme" content="dark light"/>
                <link id="leptos" rel="stylesheet" href="/pkg/flowmeter.css"/>
                <link rel="icon" href="/favicon.ico"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
                <crate::live::early::EarlyStream/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // On the server the shell has made it.
    if use_context::<LiveStore>().is_none() {
        provide_context(LiveStore::new());
    }
    // Who is signed in decides the navigation; the server decides access.
    // Awaited in this one Suspense only: Leptos 0.8 can leave an SSR
    // response hanging when one resource is awaited in two (leptos#4851).
    // Pages tell an admin by the cost figures the server left in their data.
    let me = Resource::<_, Json>::new_with_options(|| (), |_| get_me(), true);
    // Marks the page hydrated (`<html data-hydrated>`), for tests and
    // scripts that must not act on the server-rendered page alone.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Title formatter=|page: String| if page.is_empty() { "Flowmeter".to_string() } else { format!("{page} · Flowmeter") }/>
        <Router>
            // The first stop for a keyboard: past the header, to the page.
            <a class="skip-link" href="#main" on:click=skip_to_main>"Skip to content"</a>
            <Suspense fallback=|| view! { <header class="topbar"><span class="brand">"Flowmeter"</span></header> }>
                {move || Suspend::new(async move {
                    let me = me.await.ok().flatten();
                    let admin = me.as_ref().is_some_and(|m| m.is_admin());
                    erased::erase(view! {
                        <Header me=Signal::stored(me)/>
                        {admin.then(|| view! { <AlertToasts/> })}
                    })
                })}
            </Suspense>
            <main class="main" id="main" tabindex="-1">
                // Async: pages arrive complete, readable without JavaScript,
                // with every resource they await serialized into them, which
                // the flow page's synchronous hydration (`erased::erase`) relies on.
                <Routes fallback=NotFound>
                    <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("login") view={Lazy::<LoginRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("admin") view={Lazy::<AdminRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("costs") view={Lazy::<CostsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("replay") view={Lazy::<ReplayListRoute>::new()} ssr=SsrMode::Async/>
                    <Route
                        path=(StaticSegment("replay"), ParamSegment("chat"))
                        view={Lazy::<ReplayRoute>::new()}
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
        </Router>
    }
}

/// The skip link moves the keyboard's focus to the page (the router would
/// only scroll to `#main`; without JavaScript the browser does both).
fn skip_to_main(ev: leptos::ev::MouseEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let main = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("main"));
        if let Some(main) = main.and_then(|m| m.dyn_into::<web_sys::HtmlElement>().ok()) {
            ev.prevent_default();
            let _ = main.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ev;
}
