#![no_main]
//! See `server::fuzz::ingest_body`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| server::fuzz::ingest_body(data));
