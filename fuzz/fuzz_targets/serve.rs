//! cargo-fuzz target: omv_fuzzcheck::serve::run.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| omv_fuzzcheck::serve::run(data));
