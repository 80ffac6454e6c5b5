//! The server's integration tests, one module per promise, built as one
//! test binary: each binary links the whole server (about 200 MB in a debug
//! build), so twenty-one of them cost gigabytes of disk and as many links
//! for nothing. Run one module with `cargo test -p server --test it --
//! <module>::`.

#[macro_use]
mod common;

mod access;
mod api;
mod archive;
mod audit;
mod cluster;
mod costs;
mod crash;
mod exports;
mod fuzz_corpus;
mod group_commit;
mod hardening;
mod metrics;
mod openapi;
mod otlp;
mod outages;
mod pipelines;
mod promises;
mod replay;
mod schema;
mod sessions;
mod summary;
mod tenants;
