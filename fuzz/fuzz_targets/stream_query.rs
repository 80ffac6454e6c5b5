#![no_main]
//! See `server::fuzz::stream_query`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| server::fuzz::stream_query(data));
