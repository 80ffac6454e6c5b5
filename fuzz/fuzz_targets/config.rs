#![no_main]
//! See `server::fuzz::config`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| server::fuzz::config(data));
