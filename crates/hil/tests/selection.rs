//! Which scenarios a run takes, what it records for `--only-failed`, which
//! goldens have lost their scenario, and that a failed scenario leaves no
//! `.snap.new` to review.
#![allow(clippy::unwrap_used)]

mod common;
use common::{run_options, write_scenario};

use std::path::Path;

use omv_hil::boards::sim::SimHarnessBoard;
use omv_hil::runner::{run_scenario, RunOptions, Verdict};
use omv_hil::scenario::{load_dir_all, Loaded};
use omv_hil::select::{self, Selection};
use omv_hil::Scenario;

const TINY: &str = include_str!("fixtures/tiny.toml");

/// A scenario directory with `good` files and `broken` ones.
fn dir_with(good: &[&str], broken: &[&str]) -> (tempfile::TempDir, Loaded) {
    let dir = tempfile::tempdir().unwrap();
    for n in good {
        std::fs::write(dir.path().join(format!("{n}.toml")), TINY).unwrap();
    }
    for n in broken {
        std::fs::write(dir.path().join(format!("{n}.toml")), "description = 1\n").unwrap();
    }
    let loaded = load_dir_all(dir.path()).unwrap();
    (dir, loaded)
}

fn names(sel: &Selection) -> Vec<String> {
    sel.scenarios.iter().map(|s| s.name.clone()).collect()
}

fn pats(p: &[&str]) -> Vec<String> {
    p.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn one_broken_file_does_not_hide_the_others() {
    let (_dir, loaded) = dir_with(&["a", "c"], &["b"]);
    assert_eq!(loaded.scenarios.len(), 2);
    assert_eq!(loaded.broken.len(), 1);
    let all = select::select(&loaded, &[]).unwrap();
    assert_eq!(names(&all), ["a", "c"]);
    assert_eq!(all.broken.len(), 1);
    // Not selected: reported apart, not an error of this run.
    let only_a = select::select(&loaded, &pats(&["a"])).unwrap();
    assert!(only_a.broken.is_empty());
    assert_eq!(only_a.broken_elsewhere.len(), 1);
}

#[test]
fn names_globs_and_paths_select_in_order_each_once() {
    let (dir, loaded) = dir_with(
        &["seed-memory", "seed-record", "replay-x"],
        &["seed-broken"],
    );
    let sel = select::select(&loaded, &pats(&["replay-x", "seed-*", "seed-record"])).unwrap();
    assert_eq!(names(&sel), ["replay-x", "seed-memory", "seed-record"]);
    assert_eq!(
        sel.broken.len(),
        1,
        "the glob takes the broken seed-broken too"
    );
    let elsewhere = tempfile::tempdir().unwrap();
    let outside = elsewhere.path().join("mine.toml");
    std::fs::write(&outside, TINY).unwrap();
    let sel = select::select(&loaded, &[outside.display().to_string()]).unwrap();
    assert_eq!(names(&sel), ["mine"]);
    assert_eq!(sel.scenarios[0].path, outside);
    let e = select::select(&loaded, &pats(&["seed-recrod"])).unwrap_err();
    assert!(e.contains("did you mean \"seed-record\"?"), "{e}");
    let e = select::select(&loaded, &pats(&["nothing-*"])).unwrap_err();
    assert!(e.contains("matches no scenario"), "{e}");
    let e = select::select(
        &loaded,
        &[dir.path().join("gone.toml").display().to_string()],
    )
    .unwrap_err();
    assert!(e.starts_with("no scenario file"), "{e}");
}

#[test]
fn the_failure_list_keeps_what_did_not_run_and_replaces_what_did() {
    let (dir, loaded) = dir_with(&["a", "b", "c"], &[]);
    let sel = select::select(&loaded, &pats(&["a", "b"])).unwrap();
    let mut board = SimHarnessBoard::new().unwrap();
    let root = tempfile::tempdir().unwrap();
    let opts = opts(root.path(), dir.path());
    let mut results: Vec<_> = sel
        .scenarios
        .iter()
        .map(|s| run_scenario(&mut board, s, &opts))
        .collect();
    // As if `b` failed this time and `a` passed.
    results[0].verdict = Verdict::Pass;
    results[1].verdict = Verdict::Fail;
    let old = pats(&["a", "c", "/elsewhere/x.toml"]);
    let next = select::next_last_failed(&old, dir.path(), &sel, &results);
    assert_eq!(next, ["/elsewhere/x.toml", "b", "c"]);
    let path = select::last_failed_path(root.path());
    select::write_last_failed(&path, &next).unwrap();
    assert_eq!(select::read_last_failed(&path), next);
    select::write_last_failed(&path, &[]).unwrap();
    assert!(!path.exists());
    assert!(select::read_last_failed(&path).is_empty());
}

#[test]
fn goldens_without_a_scenario_are_found() {
    let root = tempfile::tempdir().unwrap();
    let sim = root.path().join("golden/sim");
    std::fs::create_dir_all(&sim).unwrap();
    for f in [
        "a.snap",
        "gone.snap",
        "gone2.snap.new",
        "a.snap.new",
        "notes.txt",
    ] {
        std::fs::write(sim.join(f), "").unwrap();
    }
    let stale = omv_hil::golden::review::unreferenced(root.path(), "sim", &pats(&["a"]));
    assert_eq!(stale, [sim.join("gone.snap"), sim.join("gone2.snap.new")]);
    assert!(omv_hil::golden::review::unreferenced(root.path(), "qemu", &[]).is_empty());
}

fn opts(root: &Path, scenario_dir: &Path) -> RunOptions {
    run_options(root, scenario_dir, true)
}

fn load(dir: &Path, name: &str, text: &str) -> Scenario {
    Scenario::load(&write_scenario(dir, name, text)).unwrap()
}

#[test]
fn a_failed_scenario_writes_no_snap_new_and_a_passing_one_does() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("hil/scenarios");
    std::fs::create_dir_all(&dir).unwrap();
    let mut board = SimHarnessBoard::new().unwrap();
    let opts = opts(root.path(), &dir);
    let wrong = load(&dir, "wrong", &TINY.replace("expect = 2", "expect = 3"));
    let r = run_scenario(&mut board, &wrong, &opts);
    assert_eq!(r.verdict, Verdict::Fail);
    assert!(!root.path().join("golden/sim/wrong.snap.new").exists());
    assert!(
        r.failures
            .iter()
            .any(|f| f.contains("no .snap.new written: the scenario failed")),
        "{:?}",
        r.failures
    );
    let right = load(&dir, "right", TINY);
    let r = run_scenario(&mut board, &right, &opts);
    assert_eq!(r.verdict, Verdict::SnapshotMissing);
    assert!(root.path().join("golden/sim/right.snap.new").is_file());
}

#[test]
fn a_scenario_from_elsewhere_has_no_golden_to_compare() {
    let root = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let mut board = SimHarnessBoard::new().unwrap();
    let mine = load(elsewhere.path(), "mine", TINY);
    let r = run_scenario(
        &mut board,
        &mine,
        &opts(root.path(), &root.path().join("hil/scenarios")),
    );
    assert_eq!(r.verdict, Verdict::Pass, "{:?}", r.failures);
    assert!(r.note.unwrap().contains("no golden snapshot compared"));
    assert!(!root.path().join("golden").exists());
}
