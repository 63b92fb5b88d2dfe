//! The bodies of the fuzz targets, shared by the cargo-fuzz harness in
//! `fuzz/` (nightly, libFuzzer) and the bounded stable run in
//! `tests/bounded.rs` (proptest with a fixed seed, run by `cargo xtask test`).
//!
//! Each target takes arbitrary bytes and returns normally, or panics when an
//! invariant breaks: a panic inside the code under test is a finding, and so
//! is an assertion here (a typed error that contradicts the stream's state,
//! a file that does not read back as the model says). [`seeds`] makes the
//! starting corpora from real captures: streams written by `FileStream`, the
//! format's test vectors, encoded protocol frames, the golden scenarios.
#![allow(clippy::unwrap_used, clippy::expect_used)] // assertions are the point

pub mod proto;
pub mod reader;
#[cfg(feature = "scenario")]
pub mod scenario;
pub mod seeds;
pub mod serve;
pub mod writer;

/// A target body: arbitrary bytes in, a panic on a finding.
pub type Target = fn(&[u8]);

/// The targets by name, as cargo-fuzz and the bounded run know them.
pub const TARGETS: &[(&str, Target)] = &[
    ("reader", reader::run),
    ("writer", writer::run),
    ("proto", proto::run),
    ("serve", serve::run),
    #[cfg(feature = "scenario")]
    ("scenario", scenario::run),
];
