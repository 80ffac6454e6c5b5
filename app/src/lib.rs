//! Flowmeter's shared crate: compiled into the server (feature `ssr`) and
//! into the browser's WASM (feature `hydrate`).
//!
//! # Layout
//! The modules follow the data, front to back:
//!
//! - [`domain`]: the event, the flow graph and its layout, card figures —
//!   pure types and functions both sides share.
//! - `ingest` (ssr): parse and validate request bodies into events.
//! - `store` (ssr): SQLite or Postgres through sqlx, migrations, API keys.
//! - `bus` (ssr): committed events to every live subscriber.
//! - `stream` (ssr): the SSE stream's gap-free resume logic.
//! - [`api`]: server functions the views call.
//! - [`live`]: the browser's reactive store, fed by SSE.
//! - [`views`]: pages and components.
//!
//! Server-only modules are compiled out of the WASM build entirely.

// Leptos views are deeply nested types; release builds (no type erasure)
// need more room than the default 128.
#![recursion_limit = "256"]

#[cfg(feature = "ssr")]
pub mod alerts;
pub mod api;
#[cfg(feature = "ssr")]
pub mod auth;
pub mod domain;
pub mod live;
pub mod views;

#[cfg(feature = "ssr")]
pub mod bus;
#[cfg(feature = "ssr")]
pub mod ingest;
#[cfg(feature = "ssr")]
pub mod ops;
#[cfg(feature = "ssr")]
pub mod price;
#[cfg(feature = "ssr")]
pub mod rollup;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod stream;
#[cfg(feature = "ssr")]
pub mod summary;

pub use views::{shell, App};
