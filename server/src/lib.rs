//! The Flowmeter server: configuration, the HTTP surface and the commands.
//!
//! # Layout
//! - [`cli`]: `serve` (the default), `simulate`, `create-admin`, `create-user`.
//! - [`config`]: `Leptos.toml` plus environment overrides.
//! - [`startup`]: opens the store, bootstraps an ingest key, builds state.
//! - [`http`]: the router — REST, SSE and the Leptos pages — one module
//!   per resource, with one JSON error type.
//! - [`simulate`]: realistic agent traffic, over HTTP or in-process.
//! - [`tasks`]: background work (retention).
//!
//! The pipeline itself (ingest → store → bus → stream) lives in the `app`
//! crate, so server functions and handlers share it.

// Leptos views are deeply nested types; release builds (no type erasure)
// need more room than the default 128.
#![recursion_limit = "256"]

pub mod cli;
pub mod config;
pub mod http;
pub mod simulate;
pub mod startup;
pub mod tasks;

pub use startup::{serve, Server};
