//! `cargo xtask hil` and `cargo xtask golden review`: a thin CLI over `omv-hil`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use omv_hil::boards::{self, BoardInfo, BoardOptions};
use omv_hil::runner::{self, Progress, RunOptions, ScenarioResult, Verdict};
use omv_hil::{golden, junit, scenario, ProbeArgs, Scenario};

/// `cargo xtask hil`.
#[derive(Debug, clap::Args)]
pub struct HilArgs {
    /// The board to run on (`hil/boards/<BOARD>.toml`): sim, qemu or h7.
    #[arg(long, default_value = "sim")]
    board: String,
    /// Run only these scenarios (names of `hil/scenarios/<NAME>.toml`).
    #[arg(long = "scenario", value_name = "NAME", num_args = 1..)]
    scenarios: Vec<String>,
    /// Content seed for every scenario, instead of each scenario's own.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Write a JUnit XML report to this file.
    #[arg(long, value_name = "PATH")]
    junit: Option<PathBuf>,
    /// List the scenarios and boards, run nothing.
    #[arg(long)]
    list: bool,
    /// Where captures go [default: target/hil/<BOARD>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    #[command(flatten)]
    probe: ProbeArgs,
}

/// `cargo xtask golden`.
#[derive(Debug, clap::Args)]
pub struct GoldenArgs {
    #[command(subcommand)]
    action: GoldenAction,
}

#[derive(Debug, clap::Subcommand)]
enum GoldenAction {
    /// Accept or reject changed snapshots (`golden/<board>/*.snap.new`):
    /// runs `cargo insta review`, or a built-in review if cargo-insta is
    /// not installed.
    Review,
    /// List the snapshots waiting for review, with their diffs.
    Pending,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Run `cargo xtask hil`; returns the exit code.
pub fn run(args: HilArgs) -> i32 {
    let root = root();
    let scenarios = match scenario::load_dir(&root.join("hil/scenarios")) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    if args.list {
        return list(&root, &scenarios);
    }
    let selected = match runner::select(&scenarios, &args.scenarios) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("target/hil").join(&args.board));
    let opts = BoardOptions {
        root: root.clone(),
        board_file: root.join("hil/boards").join(format!("{}.toml", args.board)),
        out_dir: out_dir.clone(),
        probe: args.probe.clone(),
    };
    if args.probe.dry_run {
        return match boards::dry_run(&args.board, &opts) {
            Ok(plan) => {
                println!("{plan}");
                println!("scenarios that would run on {}:", args.board);
                for s in &selected {
                    println!("  {}", s.name);
                }
                0
            }
            Err(e) => {
                eprintln!("error: {e}");
                1
            }
        };
    }
    let started = Instant::now();
    let run_opts = RunOptions {
        root: root.clone(),
        out_dir: out_dir.clone(),
        seed: args.seed,
        write_new: golden::may_write_new(),
    };
    let results = match boards::open(&args.board, &opts) {
        Ok(mut board) => {
            let mut bar = Bar::new(selected.len());
            let results = runner::run_all(board.as_mut(), &selected, &run_opts, &mut bar);
            bar.finish();
            results
        }
        Err(e) => {
            eprintln!("error: {e}");
            runner::board_unavailable(&args.board, &selected, &e)
        }
    };
    report(&results, started.elapsed(), &out_dir);
    if let Some(path) = &args.junit {
        if let Err(e) = write_junit(path, &args.board, &results) {
            eprintln!(
                "error: cannot write the JUnit report {}: {e}",
                path.display()
            );
            return 1;
        }
        println!("JUnit report: {}", path.display());
    }
    i32::from(results.iter().any(|r| r.verdict.is_failure()))
}

fn write_junit(path: &Path, board: &str, results: &[ScenarioResult]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, junit::report(board, results))
}

fn list(root: &Path, scenarios: &[Scenario]) -> i32 {
    // Written with errors ignored: `cargo xtask hil --list | head` must not panic.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "scenarios (hil/scenarios/):");
    let width = scenarios.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in scenarios {
        let mut only = String::new();
        if !s.boards.is_empty() {
            only.push_str(&format!(" [only {}]", s.boards.join(", ")));
        }
        if !s.needs.is_empty() {
            let needs: Vec<&str> = s.needs.iter().map(|c| c.name()).collect();
            only.push_str(&format!(" [needs {}]", needs.join(", ")));
        }
        let _ = writeln!(out, "  {:<width$}  {}{only}", s.name, s.description);
    }
    let _ = writeln!(out, "boards (hil/boards/):");
    match BoardInfo::load_dir(&root.join("hil/boards")) {
        Ok(bs) => {
            for b in bs {
                let _ = writeln!(out, "  {:<6} {}", b.name, b.description);
            }
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

/// The summary after the run: details of every failure, then totals.
fn report(results: &[ScenarioResult], took: Duration, out_dir: &Path) {
    for r in results.iter().filter(|r| r.verdict.is_failure()) {
        println!("\n--- {} on {}: {}", r.name, r.board, r.verdict.label());
        for f in &r.failures {
            println!("{f}");
        }
        if let Some(dir) = &r.capture_dir {
            println!("capture: {}", dir.display());
        }
    }
    let count = |v: Verdict| results.iter().filter(|r| r.verdict == v).count();
    println!(
        "\n{} scenarios: {} passed, {} failed, {} snapshot changed, {} snapshot missing, {} errors, {} skipped in {:.1} s; captures in {}",
        results.len(),
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::SnapshotChanged),
        count(Verdict::SnapshotMissing),
        count(Verdict::Error),
        count(Verdict::Skipped),
        took.as_secs_f64(),
        out_dir.display()
    );
}

/// A progress bar with one printed line per finished scenario.
struct Bar {
    bar: ProgressBar,
}

impl Bar {
    fn new(n: usize) -> Self {
        let bar = ProgressBar::new(n as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {elapsed} {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        Bar { bar }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn start(&mut self, scenario: &Scenario) {
        self.bar.set_message(scenario.name.clone());
    }

    fn done(&mut self, result: &ScenarioResult) {
        if self.bar.is_hidden() {
            println!("{}", result.line());
        } else {
            self.bar.println(result.line());
        }
        self.bar.inc(1);
    }
}

/// Run `cargo xtask golden ...`; returns the exit code.
pub fn golden(args: GoldenArgs) -> i32 {
    let root = root();
    match args.action {
        GoldenAction::Pending => {
            let pending = pending(&root);
            for p in &pending {
                show(p);
            }
            println!("{} snapshot(s) waiting for review", pending.len());
            0
        }
        GoldenAction::Review => {
            if !has_cargo_insta(&root) {
                return builtin_review(&root);
            }
            match Command::new("cargo")
                .args(["insta", "review"])
                .current_dir(&root)
                .status()
            {
                Ok(st) => st.code().unwrap_or(1),
                Err(e) => {
                    eprintln!("error: cannot run cargo insta review: {e}");
                    1
                }
            }
        }
    }
}

fn has_cargo_insta(root: &Path) -> bool {
    Command::new("cargo")
        .args(["insta", "--version"])
        .current_dir(root)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Every `golden/**/*.snap.new`, sorted.
fn pending(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(boards) = std::fs::read_dir(root.join("golden")) else {
        return out;
    };
    for b in boards.flatten() {
        if let Ok(files) = std::fs::read_dir(b.path()) {
            out.extend(
                files
                    .flatten()
                    .map(|f| f.path())
                    .filter(|p| p.to_string_lossy().ends_with(".snap.new")),
            );
        }
    }
    out.sort();
    out
}

/// The golden file a `.snap.new` would replace.
fn accepted_path(new: &Path) -> PathBuf {
    new.with_extension("")
}

fn show(new: &Path) {
    let golden_path = accepted_path(new);
    let old = std::fs::read_to_string(&golden_path)
        .map(|t| golden::snapshot_contents(&t))
        .unwrap_or_default();
    let captured = std::fs::read_to_string(new)
        .map(|t| golden::snapshot_contents(&t))
        .unwrap_or_default();
    println!("=== {}", golden_path.display());
    if old.is_empty() {
        println!("(new snapshot)\n{captured}");
    } else {
        print!("{}", golden::diff(&old, &captured));
    }
}

fn builtin_review(root: &Path) -> i32 {
    println!("cargo-insta is not installed (cargo install cargo-insta --version 1.49.0); using the built-in review");
    let pending = pending(root);
    if pending.is_empty() {
        println!("no snapshots waiting for review");
        return 0;
    }
    if !std::io::stdin().is_terminal() {
        for p in &pending {
            show(p);
        }
        eprintln!("stdin is not a terminal: review interactively");
        return 1;
    }
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    for p in &pending {
        show(p);
        print!("accept (a), reject (r), skip (s)? ");
        let _ = std::io::stdout().flush();
        let answer = lines.next().and_then(Result::ok).unwrap_or_default();
        let done = match answer.trim() {
            "a" => std::fs::rename(p, accepted_path(p)).map(|_| "accepted"),
            "r" => std::fs::remove_file(p).map(|_| "rejected"),
            _ => Ok("skipped"),
        };
        match done {
            Ok(what) => println!("{what}"),
            Err(e) => {
                eprintln!("error: {}: {e}", p.display());
                return 1;
            }
        }
    }
    0
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        hil: HilArgs,
    }

    fn parse(args: &[&str]) -> Result<HilArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("hil").chain(args.iter().copied())).map(|c| c.hil)
    }

    #[test]
    fn defaults_run_every_scenario_on_sim() {
        let a = parse(&[]).unwrap();
        assert_eq!(a.board, "sim");
        assert!(a.scenarios.is_empty());
        assert_eq!((a.seed, a.list, a.probe.dry_run), (None, false, false));
    }

    #[test]
    fn every_flag_the_ci_workflows_use_parses() {
        let a = parse(&[
            "--board",
            "h7",
            "--scenario",
            "seed-record",
            "seed-memory",
            "--seed",
            "3",
            "--junit",
            "target/hil/h7/junit.xml",
            "--probe",
            "0483:374f",
            "--port",
            "/dev/ttyACM0",
            "--dry-run",
        ])
        .unwrap();
        assert_eq!(a.board, "h7");
        assert_eq!(a.scenarios, ["seed-record", "seed-memory"]);
        assert_eq!(a.seed, Some(3));
        assert_eq!(a.junit, Some(PathBuf::from("target/hil/h7/junit.xml")));
        assert_eq!(a.probe.port.as_deref(), Some("/dev/ttyACM0"));
        assert!(a.probe.dry_run && a.probe.probe.is_some());
        assert!(parse(&["--list"]).unwrap().list);
    }

    #[test]
    fn a_bad_seed_is_a_usage_error() {
        let e = parse(&["--seed", "x"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::ValueValidation);
    }

    #[test]
    fn pending_snapshots_are_the_snap_new_files_under_golden() {
        let dir = tempfile::tempdir().unwrap();
        let sim = dir.path().join("golden/sim");
        std::fs::create_dir_all(&sim).unwrap();
        for f in ["b.snap.new", "a.snap.new", "a.snap", "c.snap"] {
            std::fs::write(sim.join(f), "---\n---\nx\n").unwrap();
        }
        let p = pending(dir.path());
        assert_eq!(p, [sim.join("a.snap.new"), sim.join("b.snap.new")]);
        assert_eq!(accepted_path(&p[0]), sim.join("a.snap"));
        assert!(pending(&dir.path().join("nothing")).is_empty());
    }

    #[test]
    fn the_shipped_scenarios_and_boards_load() {
        let root = root();
        let s = scenario::load_dir(&root.join("hil/scenarios")).unwrap();
        assert!(s.iter().any(|s| s.name == "seed-record"));
        let b = BoardInfo::load_dir(&root.join("hil/boards")).unwrap();
        assert!(b.iter().any(|b| b.name == "sim"));
    }
}
