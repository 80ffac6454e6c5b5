//! Flowmeter's server-side pipeline: everything between an agent's request
//! and the answer a page or an API gives, with no HTTP and no Leptos in it.
//!
//! # Layout
//! The modules follow the data, front to back:
//!
//! - [`ingest`]: parse and validate request bodies into events.
//! - [`price`]: the pricing table and the pure `price()` function.
//! - [`store`]: SQLite or Postgres through sqlx; the ingest transaction.
//! - [`rollup`]: what each event adds to minute/hour/day buckets.
//! - [`summary`]: summaries from rollups plus raw window edges.
//! - [`bus`]: committed events to every live subscriber.
//! - [`stream`]: the SSE stream's gap-free resume.
//! - [`alerts`]: budget periods and the fire-once / resolve-once decision.
//! - [`auth`]: password hashes and session tokens.
//! - [`ops`]: Flowmeter's own counters (ingest outcomes).
//! - [`service`]: the service layer on top — every question the REST API
//!   and the server functions ask, answered once, shaped for who asks.

pub mod alerts;
pub mod auth;
pub mod bus;
pub mod ingest;
pub mod ops;
pub mod price;
pub mod rollup;
pub mod service;
pub mod store;
pub mod stream;
pub mod summary;
