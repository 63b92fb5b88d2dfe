#![allow(clippy::unwrap_used)]

use std::path::Path;

use super::*;
use crate::golden::snapshot_file;
use crate::runner::ScenarioResult;

const TINY: &str = "description = \"a tiny memory stream\"
[sensor]
width = 8
height = 8
pixformat = \"GRAYSCALE\"
fps = 0

[[step]]
op = \"open\"
shape = [8, 8, \"GRAYSCALE\"]
count = 2

[[step]]
op = \"record\"
frames = 2

[[step]]
op = \"count\"
expect = 2
";

/// A checkout at a new root: `hil/scenarios/tiny.toml`, the shipped sim
/// board file, no goldens.
fn checkout() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let scenarios = root.path().join("hil/scenarios");
    let boards = root.path().join("hil/boards");
    std::fs::create_dir_all(&scenarios).unwrap();
    std::fs::create_dir_all(&boards).unwrap();
    std::fs::write(scenarios.join("tiny.toml"), TINY).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hil/boards/sim.toml");
    std::fs::copy(shipped, boards.join("sim.toml")).unwrap();
    root
}

/// Panics unless a line of `lines` starts with `start`.
fn assert_said(lines: &[String], start: &str) {
    assert!(
        lines.iter().any(|l| l.starts_with(start)),
        "no line starts with {start:?}: {lines:#?}"
    );
}

/// Counts what the run told its progress.
#[derive(Default)]
struct Counted {
    total: Option<usize>,
    done: Vec<String>,
    finished: bool,
}

impl Progress for Counted {
    fn begin(&mut self, total: usize) {
        self.total = Some(total);
    }
    fn done(&mut self, result: &ScenarioResult) {
        self.done.push(result.name.clone());
    }
    fn finish(&mut self) {
        self.finished = true;
    }
}

fn session(root: &Path, f: impl FnOnce(&mut SessionOptions)) -> (RunExit, Transcript, Counted) {
    let mut opts = SessionOptions::new(root, "sim");
    f(&mut opts);
    let mut t = Transcript::default();
    let mut p = Counted::default();
    let exit = run(&opts, &mut t, &mut p);
    (exit, t, p)
}

#[test]
fn an_unknown_board_is_a_definition_error_with_a_suggestion() {
    let root = checkout();
    let (exit, t, p) = session(root.path(), |o| o.board = "smi".into());
    assert_eq!(exit, RunExit::Definition);
    assert_eq!(
        t.err,
        ["error: unknown board \"smi\"; did you mean \"sim\"? (the boards: sim, qemu, h7; hil/boards/<BOARD>.toml)"]
    );
    assert!(t.out.is_empty() && p.total.is_none());
}

#[test]
fn list_and_dry_run_show_and_run_nothing() {
    let root = checkout();
    let (exit, t, _) = session(root.path(), |o| o.list = true);
    assert_eq!(exit, RunExit::Passed);
    assert_eq!(t.out[0], "scenarios (hil/scenarios/):");
    assert_eq!(t.out[1], "  tiny  a tiny memory stream");
    assert_eq!(t.out[2], "boards (hil/boards/):");
    assert!(
        t.out[3].starts_with("  sim    In-process simulator"),
        "{:?}",
        t.out
    );
    std::fs::write(root.path().join("hil/scenarios/broken.toml"), "nope").unwrap();
    let (exit, t, p) = session(root.path(), |o| o.flash.dry_run = true);
    assert_eq!(exit, RunExit::Definition);
    assert!(
        t.out
            .contains(&"scenarios that would run on sim (1):".to_owned()),
        "{:?}",
        t.out
    );
    assert!(t.out.contains(&"  tiny".to_owned()));
    assert!(t
        .out
        .contains(&"not runnable: the file does not parse (1):".to_owned()));
    assert!(t.err[0].starts_with("error: "), "{:?}", t.err);
    assert!(p.total.is_none());
    assert!(
        !root.path().join("target/hil/sim").exists(),
        "a dry run makes no run"
    );
}

/// The board file is read once, before the board starts: one that does not
/// check stops the run (and the dry run) with its file and line, and no
/// run directory is left.
#[test]
fn a_board_file_that_does_not_check_stops_the_run_naming_it() {
    let root = checkout();
    let file = root.path().join("hil/boards/sim.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{text}scenario_timeout_s = 0\n")).unwrap();
    let (exit, t, p) = session(root.path(), |_| {});
    assert_eq!(exit, RunExit::Unavailable, "{t:?}");
    assert_eq!(t.err.len(), 1, "{t:?}");
    let e = &t.err[0];
    assert!(e.starts_with("error: board sim is unavailable: "), "{e}");
    assert!(e.contains("hil/boards/sim.toml:"), "{e}");
    assert!(e.contains("scenario_timeout_s must be at least 1"), "{e}");
    assert!(p.total.is_none(), "nothing ran");
    // (The board directory keeps only the review lock's file.)
    let runs = std::fs::read_dir(root.path().join("target/hil/sim")).map_or(0, |d| {
        d.filter(|e| e.as_ref().unwrap().path().is_dir()).count()
    });
    assert_eq!(runs, 0, "an unavailable board leaves no run directory");
    let (exit, t, _) = session(root.path(), |o| o.flash.dry_run = true);
    assert_eq!(exit, RunExit::Definition, "{t:?}");
    assert!(
        t.err[0].contains("scenario_timeout_s must be at least 1"),
        "{t:?}"
    );
}

#[test]
fn a_run_writes_its_files_and_only_failed_re_runs_what_failed() {
    let root = checkout();
    let junit = root.path().join("out/junit.xml");
    // No golden yet: the snapshot is missing, a failure to re-run.
    let (exit, t, p) = session(root.path(), |o| o.junit = Some(junit.clone()));
    assert_eq!(exit, RunExit::Failed);
    assert_eq!(
        (p.total, p.done.as_slice(), p.finished),
        (Some(1), &["tiny".to_owned()][..], true)
    );
    assert_said(&t.out, "\n--- tiny on sim: snapshot missing");
    assert_said(&t.out, "\n1 scenarios: 0 passed, 0 failed, 0 snapshot changed, 1 snapshot missing, 0 errors, 0 skipped in ");
    assert!(t.out.contains(
        &"re-run the failures with `cargo xtask hil --board sim --only-failed`".to_owned()
    ));
    assert!(t
        .out
        .contains(&format!("JUnit report: {}", junit.display())));
    assert!(std::fs::read_to_string(&junit)
        .unwrap()
        .contains("<failure type=\"snapshot missing\""));
    let board_dir = root.path().join("target/hil/sim");
    assert!(board_dir.join("report.html").is_file());
    let latest = board_dir.join(capture::LATEST);
    assert_eq!(
        select::read_last_failed(&latest.join("last-failed")),
        ["tiny"]
    );
    let summary = std::fs::read_to_string(latest.join("tiny/summary.txt")).unwrap();

    // Accept the summary as the golden (on sim, timing is exact: the
    // capture's summary.txt is the snapshot text): --only-failed re-runs
    // tiny and it passes.
    assert!(summary.starts_with("scenario: tiny\n"), "{summary}");
    let golden = crate::golden::golden_path(root.path(), "sim", "tiny");
    std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
    std::fs::write(&golden, snapshot_file("test", "tiny", &summary)).unwrap();
    let (exit, t, p) = session(root.path(), |o| o.only_failed = true);
    assert_eq!(exit, RunExit::Passed, "{:?}", t);
    assert_eq!(p.done, ["tiny"]);
    assert!(!latest.join("last-failed").exists());
    let (exit, t, p) = session(root.path(), |o| o.only_failed = true);
    assert_eq!(exit, RunExit::Passed);
    assert!(p.total.is_none());
    assert!(
        t.out[0].starts_with("no failures recorded by the last run on sim ("),
        "{:?}",
        t.out
    );
}

#[test]
fn the_old_layouts_failures_carry_over_and_its_captures_are_pruned() {
    let root = checkout();
    let board_dir = root.path().join("target/hil/sim");
    std::fs::create_dir_all(board_dir.join("tiny")).unwrap();
    std::fs::write(board_dir.join("tiny/steps.txt"), "old").unwrap();
    std::fs::write(board_dir.join("last-failed"), "tiny\ngone\n").unwrap();
    let (exit, t, p) = session(root.path(), |o| o.only_failed = true);
    assert_eq!(p.done, ["tiny"], "{t:?}");
    assert_eq!(exit, RunExit::Failed, "no golden: snapshot missing");
    assert_eq!(
        t.err[0],
        "warning: gone failed last time but is no longer a scenario"
    );
    assert!(!board_dir.join("tiny").exists() && !board_dir.join("last-failed").exists());
    let latest = board_dir.join(capture::LATEST);
    assert_eq!(
        select::read_last_failed(&latest.join("last-failed")),
        ["gone", "tiny"]
    );
}

#[test]
fn a_run_that_cannot_take_the_review_lock_names_its_owner() {
    let root = checkout();
    let board_dir = root.path().join("target/hil/sim");
    let held = ReviewLock::try_acquire(root.path(), "sim", "other")
        .unwrap()
        .unwrap();
    let opts = SessionOptions::new(root.path(), "sim");
    let run_dir = RunDir::create(&board_dir, "sim").unwrap();
    let mut t = Transcript::default();
    let (lock, owner) = review_lock(&opts, &run_dir, true, &mut t);
    assert!(lock.is_none());
    let owner = owner.unwrap();
    assert!(owner.starts_with("run other (pid "), "{owner}");
    assert!(
        t.err[0].starts_with(&format!(
            "warning: {owner} is using golden/sim/*.snap.new ("
        )),
        "{:?}",
        t.err
    );
    // In CI no lock is taken and none is needed.
    let mut t = Transcript::default();
    let (lock, owner) = review_lock(&opts, &run_dir, false, &mut t);
    assert!(lock.is_none() && owner.is_none() && t.err.is_empty());
    drop(held);
    let (lock, owner) = review_lock(&opts, &run_dir, true, &mut t);
    assert!(lock.is_some() && owner.is_none());
}

#[test]
fn the_summary_lists_failures_in_full_then_the_totals() {
    let mut fail = ScenarioResult::new("b", "sim", crate::runner::Verdict::Fail);
    fail.failures = vec![
        "step 1 (line 3): expected 2, got 1".into(),
        "agent log".into(),
    ];
    fail.capture_dir = Some("out/run/b".into());
    let pass = ScenarioResult::new("a", "sim", crate::runner::Verdict::Pass);
    let lines = summary_lines(
        &[pass, fail],
        Duration::from_millis(1250),
        Path::new("out/run"),
    );
    assert_eq!(
        lines,
        [
            "\n--- b on sim: FAIL",
            "step 1 (line 3): expected 2, got 1",
            "agent log",
            "capture: out/run/b",
            "\n2 scenarios: 1 passed, 1 failed, 0 snapshot changed, 0 snapshot missing, 0 errors, 0 skipped in 1.2 s; captures in out/run"
        ]
    );
}
