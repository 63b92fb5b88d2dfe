//! What several of omv-hil's test files share: the parse error of a broken
//! scenario text and the run options of a run into a temporary directory.
//! The scenario texts themselves are `tests/fixtures/*.toml`.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

#[cfg(feature = "qemu")]
pub mod qemu;

use omv_hil::runner::RunOptions;
use omv_hil::Scenario;

/// The error of parsing `text` as `hil/scenarios/bad.toml`.
pub fn parse_err(text: &str) -> String {
    Scenario::from_toml(text, Path::new("hil/scenarios/bad.toml"))
        .unwrap_err()
        .to_string()
}

/// Options for a run rooted at `root` (captures in `root/out`, no seed
/// override, no overall timeout); `write_new`: whether a `.snap.new` may
/// be written.
pub fn run_options(root: &Path, scenario_dir: impl Into<PathBuf>, write_new: bool) -> RunOptions {
    RunOptions {
        root: root.to_owned(),
        out_dir: root.join("out"),
        seed: None,
        write_new,
        scenario_dir: scenario_dir.into(),
        scenario_timeout: None,
        review_owner: None,
    }
}
