//! `cargo xtask hil` and `cargo xtask golden review`: a thin CLI over `omv-hil`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::flash_cli::ProbeArgs;
use indicatif::{ProgressBar, ProgressStyle};
use omv_hil::boards::{self, BoardFile, BoardOptions};
use omv_hil::capture::{self, RunDir};
use omv_hil::exit::RunExit;
use omv_hil::golden::review::{self, Decision};
use omv_hil::golden::{self, ReviewLock};
use omv_hil::runner::{self, Progress, RunOptions, ScenarioResult, Verdict};
use omv_hil::scenario::Loaded;
use omv_hil::select::{self, Selection};
use omv_hil::{junit, scenario, Scenario};

use crate::out::say;

/// `cargo xtask hil`.
#[derive(Debug, clap::Args)]
pub struct HilArgs {
    /// The board to run on (`hil/boards/<BOARD>.toml`): sim, qemu or h7.
    #[arg(long, default_value = "sim")]
    board: String,
    /// Run only these scenarios: names of `hil/scenarios/<NAME>.toml`,
    /// globs over those names (`'seed-*'`), or paths to scenario files
    /// anywhere (a path holds a `/` or ends in `.toml`).
    #[arg(long = "scenario", value_name = "NAME|GLOB|PATH", num_args = 1..)]
    scenarios: Vec<String>,
    /// Run only the scenarios that failed in the last run on this board
    /// (kept in <OUT>/latest/last-failed, by default
    /// target/hil/<BOARD>/latest/last-failed).
    #[arg(long, conflicts_with = "scenarios")]
    only_failed: bool,
    /// Content seed for every scenario, instead of each scenario's own.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Write a JUnit XML report to this file.
    #[arg(long, value_name = "PATH")]
    junit: Option<PathBuf>,
    /// List the scenarios and boards, run nothing.
    #[arg(long)]
    list: bool,
    /// Where runs go: each run in <OUT>/<RUN-ID>/<SCENARIO>/, <OUT>/latest
    /// links to the newest, the last 5 are kept [default: target/hil/<BOARD>].
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
    /// List golden snapshots (`golden/<board>/*.snap`, `*.snap.new`) whose
    /// scenario no longer exists in hil/scenarios/ (insta's "unreferenced").
    Unreferenced {
        /// Delete them.
        #[arg(long)]
        delete: bool,
    },
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Run `cargo xtask hil`; returns the exit code ([`RunExit`]: 0 passed,
/// 1 a scenario failed, 2 a usage or definition error, 3 the board is
/// unavailable).
pub fn run(args: HilArgs) -> i32 {
    let root = root();
    if !boards::KNOWN.contains(&args.board.as_str()) {
        let hint = scenario::closest(&args.board, boards::KNOWN)
            .map(|b| format!("; did you mean {b:?}?"))
            .unwrap_or_default();
        eprintln!(
            "error: unknown board {:?}{hint} (the boards: {}; hil/boards/<BOARD>.toml)",
            args.board,
            boards::KNOWN.join(", ")
        );
        return RunExit::Definition.code();
    }
    let dir = root.join("hil/scenarios");
    let loaded = match scenario::load_dir_all(&dir) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return RunExit::Definition.code();
        }
    };
    if args.list {
        return list(&root, &loaded);
    }
    let board_dir = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("target/hil").join(&args.board));
    let previous = RunDir::latest(&board_dir, &args.board);
    let old_failed = previous
        .as_ref()
        .map(|r| select::read_last_failed(&r.last_failed()))
        .unwrap_or_default();
    let patterns = if args.only_failed {
        let (keep, gone) = select::still_selectable(&loaded, old_failed.clone());
        for g in &gone {
            eprintln!("warning: {g} failed last time but is no longer a scenario");
        }
        if keep.is_empty() {
            say!(
                "no failures recorded by the last run on {} ({}): nothing to re-run",
                args.board,
                select::last_failed_path(&board_dir.join(capture::LATEST)).display()
            );
            return RunExit::Passed.code();
        }
        keep
    } else {
        args.scenarios.clone()
    };
    let selection = match select::select(&loaded, &patterns) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return RunExit::Definition.code();
        }
    };
    for e in &selection.broken_elsewhere {
        eprintln!("warning: {e}\n(not selected: it does not affect this run)");
    }
    for e in &selection.broken {
        eprintln!("error: {e}");
    }
    let mut opts = BoardOptions {
        root: root.clone(),
        board_file: root.join("hil/boards").join(format!("{}.toml", args.board)),
        out_dir: board_dir.clone(),
        probe: args.probe.options(),
        flash_progress: Some(crate::flash_cli::progress()),
    };
    if args.probe.dry_run {
        return dry_run(&args.board, &opts, &selection);
    }
    let started = Instant::now();
    let mut run = match RunDir::create(&board_dir, &args.board) {
        Ok(run) => run,
        Err(e) => {
            eprintln!("error: cannot start a run: {e}");
            return RunExit::Definition.code();
        }
    };
    opts.out_dir = run.path().to_owned();
    let (review_held, review_owner) = review_lock(&root, &args.board, &run);
    let run_opts = RunOptions {
        root: root.clone(),
        out_dir: run.path().to_owned(),
        seed: args.seed,
        write_new: review_held.is_some(),
        review_owner,
        scenario_dir: dir.clone(),
        scenario_timeout: boards::BoardFile::load(&opts.board_file)
            .ok()
            .map(|b| Duration::from_secs(b.scenario_timeout_s)),
    };
    let mut board = match boards::open(&args.board, &opts) {
        Ok(board) => board,
        Err(e) => {
            // Said once, not once per scenario; the JUnit report still
            // lists each scenario as not run.
            eprintln!("error: board {} is unavailable: {e}", args.board);
            say!(
                "{} scenario(s) not run: the board is unavailable",
                selection.scenarios.len()
            );
            if let Some(path) = &args.junit {
                let results = runner::board_unavailable(&args.board, &selection.scenarios, &e);
                let _ = write_junit(path, &args.board, &results);
            }
            // Nothing ran: the run leaves no directory and `latest` stays.
            let _ = run.discard();
            return RunExit::Unavailable.code();
        }
    };
    let mut bar = Bar::new(selection.scenarios.len());
    let results = runner::run_all(board.as_mut(), &selection.scenarios, &run_opts, &mut bar);
    bar.finish();
    let content_hashes = board.snapshot_policy().content_hashes;
    drop(board);
    let mut shown = results.clone();
    shown.extend(
        selection
            .broken
            .iter()
            .map(|e| select::broken_result(&args.board, e)),
    );
    report(&shown, started.elapsed(), run.path());
    let page = omv_hil::report::Run {
        board: &args.board,
        root: &root,
        board_file: &opts.board_file,
        results: &shown,
        scenarios: &selection.scenarios,
        content_hashes,
        write_new: run_opts.write_new,
        took: started.elapsed(),
    };
    html_report(&page, &board_dir);
    warn_unreferenced(&root, &args.board, &loaded);
    let last_failed = run.last_failed();
    let failed = select::next_last_failed(&old_failed, &dir, &selection, &results);
    if let Err(e) = select::write_last_failed(&last_failed, &failed) {
        eprintln!(
            "warning: cannot record the failures in {}: {e}",
            last_failed.display()
        );
    } else if !failed.is_empty() {
        say!(
            "re-run the failures with `cargo xtask hil --board {} --only-failed`",
            args.board
        );
    }
    if let Err(e) = run.finish(capture::KEEP) {
        eprintln!("warning: {e}");
    }
    if let Some(path) = &args.junit {
        if let Err(e) = write_junit(path, &args.board, &shown) {
            eprintln!(
                "error: cannot write the JUnit report {}: {e}",
                path.display()
            );
            return RunExit::Definition.code();
        }
        say!("JUnit report: {}", path.display());
    }
    RunExit::of(&results, selection.broken.len()).code()
}

/// The board's review lock when this run may write review files (not in
/// CI); `None`, said once, when another run holds it (then with the owner).
fn review_lock(root: &Path, board: &str, run: &RunDir) -> (Option<ReviewLock>, Option<String>) {
    if !golden::may_write_new() {
        return (None, None);
    }
    match ReviewLock::try_acquire(root, board, run.id()) {
        Ok(Ok(lock)) => (Some(lock), None),
        Ok(Err(owner)) => {
            eprintln!(
                "warning: {owner} is using golden/{board}/*.snap.new ({}): this run writes and removes no snapshot for review",
                ReviewLock::path(root, board).display()
            );
            (None, Some(owner))
        }
        Err(e) => {
            eprintln!("warning: no snapshot written for review: cannot take the review lock {e}");
            (None, None)
        }
    }
}

/// `--dry-run`: the board's plan, the scenarios that would run, the ones
/// that would be skipped and why, and the broken ones.
fn dry_run(board: &str, opts: &BoardOptions, selection: &Selection) -> i32 {
    let plan = match boards::dry_run(board, opts) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("error: {e}");
            return RunExit::Definition.code();
        }
    };
    say!("{}", plan.trim_end());
    // The simulator's capabilities are known without hardware; the other
    // boards' come from their agent's hello, so only `boards = [...]`
    // decides here and `needs` is checked when the scenario runs.
    let sim = (board == "sim")
        .then(|| boards::open(board, opts).ok())
        .flatten();
    let caps = sim.as_ref().map(|b| b.capabilities());
    let (run, skipped): (Vec<_>, Vec<_>) = selection
        .scenarios
        .iter()
        .map(|s| (s, runner::skip_reason_on(board, caps, s)))
        .partition(|(_, why)| why.is_none());
    say!("scenarios that would run on {board} ({}):", run.len());
    for (s, _) in &run {
        let needs: Vec<&str> = s.needs.iter().map(|c| c.name()).collect();
        if caps.is_none() && !needs.is_empty() {
            say!(
                "  {}  (needs {}: checked against the agent's hello)",
                s.name,
                needs.join(", ")
            );
        } else {
            say!("  {}", s.name);
        }
    }
    if !skipped.is_empty() {
        say!("skipped on {board} ({}):", skipped.len());
        for (s, why) in &skipped {
            say!("  {}  {}", s.name, why.as_deref().unwrap_or_default());
        }
    }
    if !selection.broken.is_empty() {
        say!(
            "not runnable: the file does not parse ({}):",
            selection.broken.len()
        );
        for e in &selection.broken {
            say!(
                "  {}  {}",
                scenario::name_of(&e.path),
                e.to_string().lines().next().unwrap_or_default()
            );
        }
        return RunExit::Definition.code();
    }
    RunExit::Passed.code()
}

/// Write the run report (`<OUT>/report.html`) and say where it is.
fn html_report(page: &omv_hil::report::Run, out_dir: &Path) {
    let started = Instant::now();
    match omv_hil::report::write(page, out_dir) {
        Ok(w) => {
            say!(
                "report: {} (made in {:.2} s)",
                w.path.display(),
                started.elapsed().as_secs_f64()
            );
            for c in &w.candidates {
                say!("golden thumbnails to review: {}", c.display());
            }
        }
        Err(e) => eprintln!(
            "warning: cannot write the report in {}: {e}",
            out_dir.display()
        ),
    }
}

/// Warn about golden snapshots of `board` whose scenario no longer exists.
fn warn_unreferenced(root: &Path, board: &str, loaded: &Loaded) {
    let stale = review::unreferenced(root, board, &select::scenario_names(loaded));
    if !stale.is_empty() {
        let files: Vec<String> = stale.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "warning: {} golden snapshot(s) without a scenario: {} (delete them with `cargo xtask golden unreferenced --delete`)",
            stale.len(),
            files.join(", ")
        );
    }
}

fn write_junit(path: &Path, board: &str, results: &[ScenarioResult]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, junit::report(board, results))
}

fn list(root: &Path, loaded: &Loaded) -> i32 {
    say!("scenarios (hil/scenarios/):");
    let scenarios = &loaded.scenarios;
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
        say!("  {:<width$}  {}{only}", s.name, s.description);
    }
    for e in &loaded.broken {
        say!(
            "  {:<width$}  [does not parse: {}]",
            scenario::name_of(&e.path),
            e.to_string().lines().next().unwrap_or_default()
        );
    }
    say!("boards (hil/boards/):");
    match BoardFile::load_dir(&root.join("hil/boards")) {
        Ok(bs) => {
            for b in bs {
                say!("  {:<6} {}", b.name, b.description);
            }
            if loaded.broken.is_empty() {
                RunExit::Passed.code()
            } else {
                RunExit::Definition.code()
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            RunExit::Definition.code()
        }
    }
}

/// The summary after the run: details of every failure, then totals.
fn report(results: &[ScenarioResult], took: Duration, out_dir: &Path) {
    for r in results.iter().filter(|r| r.verdict.is_failure()) {
        say!("\n--- {} on {}: {}", r.name, r.board, r.verdict.label());
        for f in &r.failures {
            say!("{f}");
        }
        if let Some(dir) = &r.capture_dir {
            say!("capture: {}", dir.display());
        }
    }
    let count = |v: Verdict| results.iter().filter(|r| r.verdict == v).count();
    say!(
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

/// A progress bar with one printed line per finished scenario. Without a
/// terminal (the bar is hidden) a thread prints a [`Heartbeat`] line at
/// least every 10 s instead.
///
/// [`Heartbeat`]: omv_hil::heartbeat::Heartbeat
struct Bar {
    bar: ProgressBar,
    beat: Option<std::sync::Arc<std::sync::Mutex<omv_hil::heartbeat::Heartbeat>>>,
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
        let beat = bar.is_hidden().then(|| {
            let beat = std::sync::Arc::new(std::sync::Mutex::new(
                omv_hil::heartbeat::Heartbeat::default(),
            ));
            let shared = std::sync::Arc::clone(&beat);
            // Ends with the process; polls once a second.
            std::thread::spawn(move || loop {
                std::thread::sleep(Duration::from_secs(1));
                let line = match shared.lock() {
                    Ok(mut b) => b.poll(Instant::now()),
                    Err(_) => return,
                };
                if let Some(line) = line {
                    say!("{line}");
                }
            });
            beat
        });
        Bar { bar, beat }
    }

    fn beat(&self, f: impl FnOnce(&mut omv_hil::heartbeat::Heartbeat)) {
        if let Some(Ok(mut b)) = self.beat.as_ref().map(|b| b.lock()) {
            f(&mut b);
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn start(&mut self, scenario: &Scenario) {
        self.bar.set_message(scenario.name.clone());
        self.beat(|b| b.start(&scenario.name, Instant::now()));
    }

    fn step(&mut self, number: u32, text: &str) {
        self.beat(|b| b.step(number, text.to_owned(), Instant::now()));
    }

    fn done(&mut self, result: &ScenarioResult) {
        self.beat(omv_hil::heartbeat::Heartbeat::done);
        if self.bar.is_hidden() {
            say!("{}", result.line());
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
            let pending = review::pending(&root);
            for p in &pending {
                print!("{}", review::show(p));
            }
            println!("{} snapshot(s) waiting for review", pending.len());
            0
        }
        GoldenAction::Unreferenced { delete } => unreferenced(&root, delete),
        GoldenAction::Review => {
            if !review::cargo_insta_available(&root) {
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

/// `cargo xtask golden unreferenced [--delete]`.
fn unreferenced(root: &Path, delete: bool) -> i32 {
    let loaded = match scenario::load_dir_all(&root.join("hil/scenarios")) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return RunExit::Definition.code();
        }
    };
    let stale = review::unreferenced_all(root, &select::scenario_names(&loaded));
    for p in &stale {
        if delete {
            if let Err(e) = std::fs::remove_file(p) {
                eprintln!("error: cannot delete {}: {e}", p.display());
                return 1;
            }
            say!("deleted {}", p.display());
        } else {
            say!("{}", p.display());
        }
    }
    let verb = if delete {
        "deleted"
    } else {
        "without a scenario"
    };
    say!("{} golden snapshot(s) {verb}", stale.len());
    if !delete && !stale.is_empty() {
        say!("delete them with `cargo xtask golden unreferenced --delete`");
    }
    0
}

fn builtin_review(root: &Path) -> i32 {
    println!("cargo-insta is not installed (cargo install cargo-insta --version 1.49.0); using the built-in review");
    let pending = review::pending(root);
    if pending.is_empty() {
        println!("no snapshots waiting for review");
        return 0;
    }
    if !std::io::stdin().is_terminal() {
        for p in &pending {
            print!("{}", review::show(p));
        }
        eprintln!("stdin is not a terminal: review interactively");
        return 1;
    }
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    for p in &pending {
        print!("{}", review::show(p));
        print!("accept (a), reject (r), skip (s)? ");
        let _ = std::io::stdout().flush();
        let answer = lines.next().and_then(Result::ok).unwrap_or_default();
        match Decision::parse(&answer).apply(p) {
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
    fn the_shipped_scenarios_and_boards_load() {
        let root = root();
        let s = scenario::load_dir(&root.join("hil/scenarios")).unwrap();
        assert!(s.iter().any(|s| s.name == "seed-record"));
        let b = BoardFile::load_dir(&root.join("hil/boards")).unwrap();
        assert!(b.iter().any(|b| b.name == "sim"));
    }
}
