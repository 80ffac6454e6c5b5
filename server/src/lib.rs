//! The Flowmeter server: configuration, the HTTP surface and the commands.
//!
//! # Layout
//! - [`cli`]: `serve` (the default), `simulate`, `create-admin`, `create-user`.
//! - [`config`]: `Leptos.toml` plus environment overrides.
//! - [`startup`]: opens the store, bootstraps an ingest key, builds state.
//! - [`state`]: what every handler can reach: the pipeline's service and
//!   the HTTP layer's own settings and sign-in limits.
//! - [`http`]: the router — the access layer first, then REST, SSE and the
//!   Leptos pages — one module per resource, with one JSON error type.
//! - [`simulate`]: realistic agent traffic, over HTTP or in-process.
//! - [`tasks`]: background work (retention, alerts).
//! - [`fuzz`]: the fuzz targets' bodies (`fuzz/`, and the corpus replay test).
//! - [`allocator`]: the memory allocator every build of the server uses.
//!
//! The stages themselves (ingest → price → store → bus → stream, summaries)
//! and the service layer both REST handlers and server functions call are
//! the `pipeline` crate; who may call what is `app::access`.

// Leptos views are deeply nested types; release builds (no type erasure)
// need more room than the default 128.
#![recursion_limit = "256"]

pub mod allocator;
pub mod cli;
pub mod config;
pub mod fuzz;
pub mod http;
pub mod simulate;
pub mod startup;
pub mod state;
pub mod tasks;

pub use startup::{serve, Server};
