//! Flowmeter's screens: compiled into the server (feature `ssr`, which
//! renders pages and runs server functions) and into the browser's WASM
//! (feature `hydrate`).
//!
//! # Layout
//! - [`domain`]: the shared data of the `domain` crate, plus what only the
//!   screen computes (flow graph, layout, replay steps, live cost figures).
//! - [`api`]: server functions — thin: check the caller, ask the
//!   pipeline's service, answer.
//! - [`live`]: the browser's reactive store, fed by SSE.
//! - [`views`]: pages and components.
//!
//! The server-side stages (ingest, store, summaries, …) are the `pipeline`
//! crate, a dependency of the `ssr` build only: the browser never links it.

// Leptos views are deeply nested types; release builds (no type erasure)
// need more room than the default 128.
#![recursion_limit = "256"]

pub mod api;
#[cfg(feature = "ssr")]
pub mod auth;
pub mod domain;
pub mod live;
#[cfg(feature = "ssr")]
pub mod state;
pub mod views;

pub use views::{shell, App};
