//! cargo-fuzz target: omv_fuzzcheck::proto::run.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| omv_fuzzcheck::proto::run(data));
