//! Flowmeter's screens: compiled into the server (feature `ssr`, which
//! renders pages and runs server functions) and into the browser's WASM
//! (feature `hydrate`).
//!
//! # Layout
//! - [`domain`]: the shared data of the `domain` crate, plus what only the
//!   screen computes (flow graph, layout, replay steps, live cost figures).
//! - `access` (ssr): who may call what — the one rule table for every
//!   page, REST route and server function.
//! - [`api`]: server functions — thin: take the caller the rules admitted,
//!   ask the pipeline's service, answer.
//! - [`live`]: the browser's reactive store, fed by SSE.
//! - [`views`]: pages and components.
//!
//! The server-side stages (ingest, store, summaries, …) are the `pipeline`
//! crate, a dependency of the `ssr` build only: the browser never links it.

// Leptos views are deeply nested types; release builds (no type erasure)
// need more room than the default 128.
#![recursion_limit = "256"]

#[cfg(feature = "ssr")]
pub mod access;
pub mod api;
pub mod domain;
pub mod live;
pub mod views;

pub use views::{shell, App};
