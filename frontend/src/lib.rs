//! The browser entry point: hydrate the server-rendered page, nothing else.
//! `hydrate_lazy`, not `hydrate_body`: a page that is a lazy route hydrates
//! once its WASM chunk has loaded (see `app::views`).

// Leptos views are deeply nested types; release builds (no type erasure)
// need more room than the default 128.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // A debug build's panics print their message in the console; the
    // release build's are bare traps (scripts/build-site.sh) and never
    // reach the hook.
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
