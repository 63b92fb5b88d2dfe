//! One run of the harness as `cargo xtask hil` makes it, as a library call:
//! load the board and the scenarios, select, make the run's directory,
//! take the board's review lock, run, write the summary, the HTML report,
//! the failure list and the JUnit file, and say how the run ended
//! ([`RunExit`]). [`run`] is the entry point; the CLI parses its flags
//! into [`SessionOptions`], draws the [`Progress`] and prints the
//! [`Console`]'s lines.
//!
//! ```no_run
//! use omv_hil::runner::Quiet;
//! use omv_hil::session::{self, SessionOptions, Transcript};
//!
//! // `cargo xtask hil --scenario 'seed-*'` in the checkout at `.`, without
//! // a progress bar, the messages kept.
//! let opts = SessionOptions {
//!     scenarios: vec!["seed-*".into()],
//!     ..SessionOptions::new(".", "sim")
//! };
//! let mut console = Transcript::default();
//! let exit = session::run(&opts, &mut console, &mut Quiet);
//! println!("{}", console.out.join("\n"));
//! std::process::exit(exit.code());
//! ```

mod list;
mod outputs;

pub use list::{dry_run, list};
pub use outputs::{summary_lines, unreferenced_warning, write_junit};

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::boards::{self, BoardOptions, FlashOptions};
use crate::capture::{self, RunDir};
use crate::exit::RunExit;
use crate::golden::{self, ReviewLock};
use crate::runner::{self, Progress, RunOptions};
use crate::scenario;
use crate::select;

/// Where a session's messages go (the CLI prints them). Lines carry their
/// own `warning: ` or `error: ` prefix; a line may hold line breaks.
pub trait Console {
    /// A line for the user (standard output).
    fn out(&mut self, line: &str);
    /// A warning or an error (standard error).
    fn err(&mut self, line: &str);
}

/// A [`Console`] that keeps every line, for tests and callers that show
/// the messages their own way.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Transcript {
    /// What went to [`Console::out`], in order.
    pub out: Vec<String>,
    /// What went to [`Console::err`], in order.
    pub err: Vec<String>,
}

impl Console for Transcript {
    fn out(&mut self, line: &str) {
        self.out.push(line.to_owned());
    }

    fn err(&mut self, line: &str) {
        self.err.push(line.to_owned());
    }
}

/// What to run: `cargo xtask hil`'s flags.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// The repository root (`hil/`, `golden/` and `target/` are under it).
    pub root: PathBuf,
    /// `--board`: sim, qemu or h7 (`hil/boards/<board>.toml`).
    pub board: String,
    /// `--scenario`: names, globs over names, or paths; empty: all.
    pub scenarios: Vec<String>,
    /// `--only-failed`: the scenarios the last run on this board failed.
    pub only_failed: bool,
    /// `--seed`: the content seed for every scenario instead of its own.
    pub seed: Option<u64>,
    /// `--junit`: write a JUnit XML report here.
    pub junit: Option<PathBuf>,
    /// `--list`: list the scenarios and boards, run nothing.
    pub list: bool,
    /// `--out`: the board directory the runs go in (default
    /// `target/hil/<board>`).
    pub out: Option<PathBuf>,
    /// The firmware boards' flags (`--flash`, `--probe`, `--port`, `--elf`,
    /// `--dry-run`).
    pub flash: FlashOptions,
    /// Told how a flash progresses (the CLI's bars); `None`: not shown.
    #[cfg(feature = "h7")]
    pub flash_progress: Option<boards::FlashProgress>,
}

impl SessionOptions {
    /// A run of every scenario on `board` in the checkout at `root`.
    pub fn new(root: impl Into<PathBuf>, board: &str) -> SessionOptions {
        SessionOptions {
            root: root.into(),
            board: board.to_owned(),
            ..SessionOptions::default()
        }
    }

    /// Where this board's runs go: `--out`, or `target/hil/<board>`.
    pub fn board_dir(&self) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| self.root.join("target/hil").join(&self.board))
    }

    /// `hil/scenarios/`: the shipped scenarios.
    pub fn scenario_dir(&self) -> PathBuf {
        self.root.join("hil/scenarios")
    }

    fn board_options(&self, out_dir: PathBuf) -> BoardOptions {
        BoardOptions {
            root: self.root.clone(),
            out_dir,
            probe: self.flash.clone(),
            #[cfg(feature = "h7")]
            flash_progress: self.flash_progress.clone(),
        }
    }
}

/// Run the session: list, dry-run or run the selected scenarios, as
/// [`SessionOptions`] say. Returns how it ended; the process exit code is
/// [`RunExit::code`].
pub fn run(
    opts: &SessionOptions,
    console: &mut dyn Console,
    progress: &mut dyn Progress,
) -> RunExit {
    if let Err(e) = known_board(&opts.board) {
        console.err(&e);
        return RunExit::Definition;
    }
    let loaded = match scenario::load_dir_all(&opts.scenario_dir()) {
        Ok(l) => l,
        Err(e) => {
            console.err(&format!("error: {e}"));
            return RunExit::Definition;
        }
    };
    if opts.list {
        return list(&opts.root, &loaded, console);
    }
    let board_dir = opts.board_dir();
    let old_failed = select::read_last_failed(&previous_failures(&board_dir, &opts.board));
    let patterns = if opts.only_failed {
        let (keep, gone) = select::still_selectable(&loaded, old_failed.clone());
        for g in &gone {
            console.err(&format!(
                "warning: {g} failed last time but is no longer a scenario"
            ));
        }
        if keep.is_empty() {
            console.out(&format!(
                "no failures recorded by the last run on {} ({}): nothing to re-run",
                opts.board,
                select::last_failed_path(&board_dir.join(capture::LATEST)).display()
            ));
            return RunExit::Passed;
        }
        keep
    } else {
        opts.scenarios.clone()
    };
    let selection = match select::select(&loaded, &patterns) {
        Ok(s) => s,
        Err(e) => {
            console.err(&format!("error: {e}"));
            return RunExit::Definition;
        }
    };
    for e in &selection.broken_elsewhere {
        console.err(&format!(
            "warning: {e}\n(not selected: it does not affect this run)"
        ));
    }
    for e in &selection.broken {
        console.err(&format!("error: {e}"));
    }
    if opts.flash.dry_run {
        let board_opts = opts.board_options(board_dir);
        return dry_run(&opts.board, &board_opts, &selection, console);
    }
    let started = Instant::now();
    let mut run = match RunDir::create(&board_dir, &opts.board) {
        Ok(run) => run,
        Err(e) => {
            console.err(&format!("error: cannot start a run: {e}"));
            return RunExit::Definition;
        }
    };
    let board_opts = opts.board_options(run.path().to_owned());
    // Held until the report has written its candidate thumbnail sheets.
    let (review, review_owner) = review_lock(opts, &run, golden::may_write_new(), console);
    // The board file is read once: for the board, its overall scenario
    // timeout and the report's tolerances.
    let opened = boards::load(&opts.board, &opts.root)
        .and_then(|file| boards::open(&file, &board_opts).map(|board| (file, board)));
    let (board_file, mut board) = match opened {
        Ok(opened) => opened,
        Err(e) => {
            // Said once, not once per scenario; the JUnit report still
            // lists each scenario as not run.
            console.err(&format!("error: board {} is unavailable: {e}", opts.board));
            console.out(&format!(
                "{} scenario(s) not run: the board is unavailable",
                selection.scenarios.len()
            ));
            if let Some(path) = &opts.junit {
                let results = runner::board_unavailable(&opts.board, &selection.scenarios, &e);
                let _ = write_junit(path, &opts.board, &results);
            }
            // Nothing ran: the run leaves no directory and `latest` stays.
            let _ = run.discard();
            return RunExit::Unavailable;
        }
    };
    let run_opts = RunOptions {
        root: opts.root.clone(),
        out_dir: run.path().to_owned(),
        seed: opts.seed,
        write_new: review.is_some(),
        review_owner,
        scenario_dir: opts.scenario_dir(),
        scenario_timeout: Some(Duration::from_secs(board_file.scenario_timeout_s)),
    };
    let results = runner::run_all(board.as_mut(), &selection.scenarios, &run_opts, progress);
    let content_hashes = board.snapshot_policy().content_hashes;
    drop(board);
    let mut shown = results.clone();
    shown.extend(
        selection
            .broken
            .iter()
            .map(|e| select::broken_result(&opts.board, e)),
    );
    for line in summary_lines(&shown, started.elapsed(), run.path()) {
        console.out(&line);
    }
    let page = crate::report::Run {
        board: &opts.board,
        root: &opts.root,
        board_file: &board_file,
        results: &shown,
        scenarios: &selection.scenarios,
        content_hashes,
        write_new: run_opts.write_new,
        took: started.elapsed(),
    };
    outputs::html_report(&page, &board_dir, console);
    if let Some(w) = unreferenced_warning(&opts.root, &opts.board, &loaded) {
        console.err(&w);
    }
    let dir = opts.scenario_dir();
    let failed = select::next_last_failed(&old_failed, &dir, &selection, &results);
    outputs::record_failures(&run, &opts.board, &failed, console);
    if let Err(e) = run.finish(capture::KEEP) {
        console.err(&format!("warning: {e}"));
    }
    if let Some(path) = &opts.junit {
        if let Err(e) = write_junit(path, &opts.board, &shown) {
            console.err(&format!(
                "error: cannot write the JUnit report {}: {e}",
                path.display()
            ));
            return RunExit::Definition;
        }
        console.out(&format!("JUnit report: {}", path.display()));
    }
    RunExit::of(&results, selection.broken.len())
}

/// `Err(message)` unless `board` is one of [`boards::KNOWN`].
pub fn known_board(board: &str) -> Result<(), String> {
    if boards::KNOWN.contains(&board) {
        return Ok(());
    }
    let hint = scenario::closest(board, boards::KNOWN)
        .map(|b| format!("; did you mean {b:?}?"))
        .unwrap_or_default();
    Err(format!(
        "error: unknown board {board:?}{hint} (the boards: {}; hil/boards/<BOARD>.toml)",
        boards::KNOWN.join(", ")
    ))
}

/// The failure list `--only-failed` reads and a run carries forward: the
/// newest finished run's, or, before any run in its own directory has
/// finished, the one the old layout kept in the board directory itself
/// (`<board_dir>/last-failed`; the first finished run takes its names
/// over and removes it).
fn previous_failures(board_dir: &std::path::Path, board: &str) -> PathBuf {
    RunDir::latest(board_dir, board)
        .map_or_else(|| board_dir.join(capture::LAST_FAILED), |r| r.last_failed())
}

/// The board's review lock when this run may write review files
/// (`may_write`: not in CI); when another run holds it, `None` and that
/// run (said once).
fn review_lock(
    opts: &SessionOptions,
    run: &RunDir,
    may_write: bool,
    console: &mut dyn Console,
) -> (Option<ReviewLock>, Option<String>) {
    if !may_write {
        return (None, None);
    }
    match ReviewLock::try_acquire(&opts.root, &opts.board, run.id()) {
        Ok(Ok(lock)) => (Some(lock), None),
        Ok(Err(owner)) => {
            console.err(&format!(
                "warning: {owner} is using golden/{}/*.snap.new ({}): this run writes and removes no snapshot for review",
                opts.board,
                ReviewLock::path(&opts.root, &opts.board).display()
            ));
            (None, Some(owner))
        }
        Err(e) => {
            console.err(&format!(
                "warning: no snapshot written for review: cannot take the review lock {e}"
            ));
            (None, None)
        }
    }
}

#[cfg(test)]
mod tests;
