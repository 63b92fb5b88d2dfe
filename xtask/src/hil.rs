//! `cargo xtask hil` and `cargo xtask golden review`: a thin CLI over `omv-hil`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::bar::Bar;
use crate::flash_cli::ProbeArgs;
use omv_hil::golden::commands;
use omv_hil::session::{self, Console, SessionOptions};

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

/// Run `cargo xtask hil`; returns the exit code
/// ([`omv_hil::exit::RunExit`]: 0 passed, 1 a scenario failed, 2 a usage
/// or definition error, 3 the board is unavailable).
pub fn run(args: HilArgs) -> i32 {
    let opts = SessionOptions {
        root: root(),
        board: args.board,
        scenarios: args.scenarios,
        only_failed: args.only_failed,
        seed: args.seed,
        junit: args.junit,
        list: args.list,
        out: args.out,
        flash: args.probe.options(),
        flash_progress: Some(crate::flash_cli::progress()),
    };
    session::run(&opts, &mut Printed, &mut Bar::default()).code()
}

/// Prints a session's lines: standard output through [`say!`] (a closed
/// pipe ends the output, not the run), warnings and errors to stderr.
struct Printed;

impl Console for Printed {
    fn out(&mut self, line: &str) {
        say!("{line}");
    }

    fn err(&mut self, line: &str) {
        eprintln!("{line}");
    }
}

/// Run `cargo xtask golden ...`; returns the exit code.
pub fn golden(args: GoldenArgs) -> i32 {
    let root = root();
    match args.action {
        GoldenAction::Pending => commands::pending(&root, &mut Printed),
        GoldenAction::Unreferenced { delete } => {
            commands::unreferenced(&root, delete, &mut Printed)
        }
        GoldenAction::Review => commands::review(&root, &mut Printed, &mut ask),
    }
}

/// Ask the reviewer on the terminal; `None` if stdin is not one. An
/// answer that cannot be read is an empty one (skip).
fn ask(prompt: &str) -> Option<String> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    print!("{prompt}");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    Some(answer)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(args: &[&str]) -> Result<HilArgs, clap::Error> {
        crate::parse_args(args)
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
        let s = omv_hil::scenario::load_dir(&root.join("hil/scenarios")).unwrap();
        assert!(s.iter().any(|s| s.name == "seed-record"));
        let b = omv_hil::BoardFile::load_dir(&root.join("hil/boards")).unwrap();
        assert!(b.iter().any(|b| b.name == "sim"));
    }
}
