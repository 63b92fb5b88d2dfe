//! `cargo xtask hil` as a user meets it: exit codes, `--dry-run` lists,
//! a closed stdout, selection by path and `--only-failed`. Runs the built
//! `xtask` binary; the scenario runs here are tiny memory scenarios on the
//! simulator, written to a temporary `--out`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;
use common::assert_contains_all;

fn xtask(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xtask"));
    c.args(args).env("CI", "true").env("INSTA_UPDATE", "no");
    c
}

fn run(args: &[&str]) -> Output {
    xtask(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `contents` written as `dir/name` (a scenario file, say).
fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// `cargo xtask hil ARGS --out OUT_DIR --scenario SCENARIO`.
fn hil_run(args: &[&str], out_dir: &Path, scenario: &Path) -> Command {
    let mut c = xtask(&[&["hil"], args, &["--out"]].concat());
    c.arg(out_dir).arg("--scenario").arg(scenario);
    c
}

const TINY: &str = include_str!("../../crates/hil/tests/fixtures/tiny.toml");

#[test]
fn dry_run_into_a_closed_pipe_exits_quietly() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader); // every write to stdout now fails with EPIPE
    let out = xtask(&["hil", "--dry-run"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn an_unknown_board_is_a_usage_error_before_anything_runs() {
    let out = run(&["hil", "--board", "qmeu"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_contains_all(&err, ["unknown board \"qmeu\"; did you mean \"qemu\"?"]);
    assert!(text(&out.stdout).is_empty(), "nothing ran");
}

#[test]
fn an_unavailable_board_is_exit_3_and_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let elf = write(dir.path(), "agent.elf", b"");
    // No qemu-system-arm on this PATH.
    let out = xtask(&["hil", "--board", "qemu", "--elf", elf.to_str().unwrap()])
        .arg("--out")
        .arg(dir.path().join("out"))
        .env("PATH", dir.path())
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(err.matches("was not found").count(), 1, "{err}");
    assert_eq!(err.matches("board qemu is unavailable").count(), 1, "{err}");
    // Nothing ran: no run directory is left, and no `latest`.
    let out_dir = dir.path().join("out");
    assert!(!out_dir.exists() || dirs_in(&out_dir).is_empty());
    assert!(!out_dir.join("latest").exists());
    assert!(
        !text(&out.stdout).contains("ERROR"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn dry_run_lists_what_would_run_what_is_skipped_and_what_is_broken() {
    let dir = tempfile::tempdir().unwrap();
    let only_h7 = write(
        dir.path(),
        "only-h7.toml",
        format!("boards = [\"h7\"]\n{TINY}"),
    );
    let broken = write(
        dir.path(),
        "broken.toml",
        TINY.replace("frames = 2", "frames = \"two\""),
    );
    let args = ["hil", "--dry-run", "--scenario", "seed-*"];
    let out = xtask(&args).arg(&only_h7).arg(&broken).output().unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}{}", text(&out.stderr));
    let would = stdout
        .split("scenarios that would run on sim (3):\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        would.starts_with("  seed-memory\n  seed-record\n  seed-replay\nskipped on sim (1):\n  only-h7  runs only on h7"),
        "{stdout}"
    );
    assert_contains_all(
        &stdout,
        ["not runnable: the file does not parse (1):\n  broken  "],
    );
}

#[test]
fn a_broken_file_does_not_stop_the_others_and_only_failed_reruns_failures() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let good = write(dir.path(), "tiny.toml", TINY);
    let failing = write(
        dir.path(),
        "tiny-wrong.toml",
        TINY.replace("expect = 2", "expect = 3"),
    );
    let broken = write(
        dir.path(),
        "tiny-broken.toml",
        TINY.replace("frames = 2", "frams = 2"),
    );
    let hil = |extra: &[&Path]| {
        let mut c = xtask(&["hil", "--out"]);
        c.arg(&out_dir);
        for a in extra {
            c.arg(a);
        }
        c.output().unwrap()
    };
    let scen = Path::new("--scenario");
    let out = hil(&[scen, &good, &failing, &broken]);
    let stdout = text(&out.stdout);
    // The broken file is a definition error (2) and the others still ran.
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert_contains_all(
        &stdout,
        ["3 scenarios: 1 passed, 1 failed, 0 snapshot changed, 0 snapshot missing, 1 errors"],
    );
    assert!(text(&out.stderr).contains("did you mean `frames`?"));
    let recorded = std::fs::read_to_string(out_dir.join("latest/last-failed")).unwrap();
    assert_eq!(
        recorded,
        format!("{}\n{}\n", broken.display(), failing.display())
    );
    // Fix the broken file: only the two recorded run, one still fails (1).
    std::fs::write(&broken, TINY).unwrap();
    let out = hil(&[Path::new("--only-failed")]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_contains_all(&stdout, ["2 scenarios: 1 passed, 1 failed"]);
    assert!(
        !stdout.contains("tiny \n") && !stdout.contains(" tiny "),
        "{stdout}"
    );
    // Fix the last one: the list empties and --only-failed has nothing to do.
    std::fs::write(&failing, TINY).unwrap();
    assert_eq!(hil(&[Path::new("--only-failed")]).status.code(), Some(0));
    assert!(!out_dir.join("latest/last-failed").exists());
    let out = hil(&[Path::new("--only-failed")]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("no failures recorded"));
}

/// A scenario that writes a card file whose content depends on the seed.
const TINY_FILE: &str = include_str!("../../crates/hil/tests/fixtures/tiny-file.toml");

/// The directories in `dir` (not following links: `latest` is left out).
fn dirs_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(Result::unwrap)
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn two_runs_at_once_keep_their_captures_apart() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let scen = write(dir.path(), "tiny-file.toml", TINY_FILE);
    let start = |seed: &str| {
        hil_run(&["--seed", seed], &out_dir, &scen)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Both started before either is waited for.
    let (one, seven) = (start("1"), start("7"));
    let mut runs = Vec::new();
    for (seed, child) in [(1, one), (7, seven)] {
        let out = child.wait_with_output().unwrap();
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
        let run = stdout
            .rsplit_once("captures in ")
            .and_then(|(_, p)| p.lines().next())
            .map(|p| Path::new(p.trim()).to_owned())
            .unwrap_or_else(|| panic!("{stdout}"));
        assert_eq!(run.parent(), Some(out_dir.as_path()), "{stdout}");
        // The run's directory holds this run's scenario only, with its seed.
        let mut names = dirs_in(&run);
        names.sort();
        assert_eq!(names, ["tiny-file"], "{}", run.display());
        let summary = std::fs::read_to_string(run.join("tiny-file/summary.txt")).unwrap();
        assert!(summary.contains(&format!("\nseed: {seed}\n")), "{summary}");
        let bytes = std::fs::read(run.join("tiny-file/s.bin")).unwrap();
        runs.push((run, bytes));
    }
    assert_ne!(runs[0].0, runs[1].0, "each run has its own directory");
    assert_ne!(
        runs[0].1, runs[1].1,
        "seeds 1 and 7 record different frames"
    );
    // `latest` names the newer of the two.
    let latest = std::fs::read_link(out_dir.join("latest")).unwrap();
    let newest = runs.iter().map(|(r, _)| r.file_name().unwrap()).max();
    assert_eq!(Some(latest.as_os_str()), newest);
}

#[test]
fn only_the_last_five_runs_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let scen = write(dir.path(), "tiny.toml", TINY);
    let mut seen = Vec::new();
    for _ in 0..7 {
        let out = hil_run(&[], &out_dir, &scen).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
        let target = std::fs::read_link(out_dir.join("latest")).unwrap();
        seen.push(target.to_string_lossy().into_owned());
    }
    let mut left = dirs_in(&out_dir);
    left.sort();
    assert_eq!(left, seen[2..], "the newest five runs, oldest pruned");
}
