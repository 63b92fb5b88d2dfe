//! Of two runs at once in one checkout, only the one holding the board's
//! review lock writes or removes `golden/<board>/*.snap.new` (issue 10.5):
//! the other neither overwrites the first's review file with its own
//! summary nor deletes it when its own summary matches the golden.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use omv_hil::boards::sim::SimHarnessBoard;
use omv_hil::golden::{self, ReviewLock};
use omv_hil::runner::{run_scenario, Verdict};
use omv_hil::Scenario;

const TINY: &str = include_str!("fixtures/tiny.toml");

/// `tiny` recording `frames` frames, in its own scenario directory under `root`.
fn tiny(root: &Path, run: &str, frames: u32) -> Scenario {
    let dir = root.join(run).join("hil/scenarios");
    std::fs::create_dir_all(&dir).unwrap();
    let text = TINY
        .replace("count = 2", &format!("count = {frames}"))
        .replace("frames = 2", &format!("frames = {frames}"))
        .replace("expect = 2", &format!("expect = {frames}"));
    let path = dir.join("tiny.toml");
    std::fs::write(&path, text).unwrap();
    Scenario::load(&path).unwrap()
}

/// Run `s` as a run that writes review files only if it holds `lock`.
fn run(root: &Path, s: &Scenario, lock: Option<&ReviewLock>) -> Verdict {
    let dir = s.path.parent().unwrap();
    let opts = common::run_options(root, dir, lock.is_some());
    let r = run_scenario(&mut SimHarnessBoard::new().unwrap(), s, &opts);
    assert!(r.verdict != Verdict::Fail, "{:?}", r.failures);
    r.verdict
}

#[test]
fn a_second_run_at_once_neither_overwrites_nor_removes_the_first_runs_review_file() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let (two, three, four) = (tiny(root, "a", 2), tiny(root, "b", 3), tiny(root, "c", 4));
    // The accepted golden is the 3-frame summary.
    let opts = common::run_options(root, three.path.parent().unwrap(), false);
    let summary = run_scenario(&mut SimHarnessBoard::new().unwrap(), &three, &opts)
        .summary
        .unwrap();
    let golden_path = golden::golden_path(root, "sim", "tiny");
    std::fs::create_dir_all(golden_path.parent().unwrap()).unwrap();
    std::fs::write(
        &golden_path,
        golden::snapshot_file("test", "tiny", &summary),
    )
    .unwrap();
    let new = golden_path.with_extension("snap.new");
    let review_text = || golden::snapshot_contents(&std::fs::read_to_string(&new).unwrap());

    // Run A holds the lock: its 2-frame summary is written for review.
    let a = ReviewLock::try_acquire(root, "sim", "run-a")
        .unwrap()
        .unwrap();
    assert_eq!(run(root, &two, Some(&a)), Verdict::SnapshotChanged);
    let a_text = review_text();
    let accepted = golden::snapshot_contents(&std::fs::read_to_string(&golden_path).unwrap());
    assert_ne!(a_text, accepted);

    // Run B, meanwhile, cannot take it; its summary matches the golden,
    // and A's review file stays. Run C's differs, and A's file stays too.
    let owner = ReviewLock::try_acquire(root, "sim", "run-b")
        .unwrap()
        .unwrap_err();
    assert!(owner.contains("run-a"), "{owner}");
    assert_eq!(run(root, &three, None), Verdict::Pass);
    assert_eq!(run(root, &four, None), Verdict::SnapshotChanged);
    assert_eq!(review_text(), a_text);

    // Once A is done, the next owner's matching run clears the stale file.
    drop(a);
    let b = ReviewLock::try_acquire(root, "sim", "run-b")
        .unwrap()
        .unwrap();
    assert_eq!(run(root, &three, Some(&b)), Verdict::Pass);
    assert!(!new.exists());
    // No temporary files are left beside the goldens.
    let left: Vec<_> = std::fs::read_dir(golden_path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["tiny.snap"]);
}
