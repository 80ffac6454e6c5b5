//! The browser entry point: hydrate the server-rendered page, nothing else.
//! `hydrate_lazy`, not `hydrate_body`: a page that is a lazy route hydrates
//! once its WASM chunk has loaded (see `app::views`).

// Leptos views are deeply nested types; release builds (no type erasure)
// need more room than the default 128.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
