//! What several of omv-hil's test files share: a check that a text has
//! every one of some pieces, the parse error of a broken
//! scenario text (and its check), a path in the repository, a scenario file written into a
//! temporary directory and the run options of a run into a temporary directory.
//! The scenario texts themselves are `tests/fixtures/*.toml`.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

#[cfg(feature = "qemu")]
pub mod qemu;

use omv_hil::runner::RunOptions;
use omv_hil::Scenario;

/// `rel` in the repository (the workspace's root), e.g. `hil/boards`.
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

/// Fails, naming the first of `needles` that `text` lacks and quoting the
/// whole text, unless it has every one.
pub fn assert_contains_all<S: AsRef<str>>(text: &str, needles: impl IntoIterator<Item = S>) {
    for needle in needles {
        let needle = needle.as_ref();
        assert!(text.contains(needle), "lacks {needle:?}:\n{text}");
    }
}

/// The error of parsing `text` as `hil/scenarios/bad.toml`.
pub fn parse_err(text: &str) -> String {
    Scenario::from_toml(text, Path::new("hil/scenarios/bad.toml"))
        .unwrap_err()
        .to_string()
}

/// The parse error of `base` with its first `from` replaced by `to` (the
/// case must change the text), checked to name the scenario file, to
/// contain `want` and to mark the offending place with a caret.
pub fn assert_parse_error(base: &str, from: &str, to: &str, want: &str) -> String {
    let text = base.replacen(from, to, 1);
    assert_ne!(text, base, "the case must change the text");
    let msg = parse_err(&text);
    assert!(
        msg.starts_with("hil/scenarios/") && msg.contains(want),
        "got:\n{msg}\nwant it to contain:\n{want}"
    );
    assert!(msg.contains('^'), "{msg}");
    msg
}

/// `text` written as the scenario file `dir/<name>.toml`; its path.
pub fn write_scenario(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
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
