#![no_main]
//! See `server::fuzz::usage`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| server::fuzz::usage(data));
