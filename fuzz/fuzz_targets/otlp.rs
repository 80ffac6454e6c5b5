#![no_main]
//! See `server::fuzz::otlp`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| server::fuzz::otlp(data));
