//! The boards: their files in `hil/boards/*.toml` ([`BoardFile`]) and the
//! code that opens them. A board never imports from another board: what
//! two share is a module here (`serial`, `firmware`, `sections`,
//! `tolerance`).
//!
//! Each board module offers `open(&BoardOptions) -> Box<dyn Board>` and
//! `dry_run(&BoardOptions) -> String` (what would be flashed/started and
//! run, touching no hardware).

pub mod file;
pub mod firmware;
pub mod h7;
pub mod qemu;
pub mod sections;
pub mod serial;
pub mod sim;
pub mod tolerance;

use std::path::PathBuf;

use crate::board::{Board, BoardError};

pub use file::{BoardFile, BoardFileError, DEFAULT_SCENARIO_TIMEOUT_S};
pub use hil_flash::ProbeArgs;

/// Everything a board may need to start, from the command line.
#[derive(Debug, Clone, Default)]
pub struct BoardOptions {
    /// The repository root (where `hil/` and `golden/` are).
    pub root: PathBuf,
    /// The board's file, `hil/boards/<name>.toml`.
    pub board_file: PathBuf,
    /// Where this run's captures go (`target/hil/<board>/`): boards may put
    /// logs and scratch files there.
    pub out_dir: PathBuf,
    /// `--probe`, `--port`, `--elf`, `--dry-run` for flashed boards.
    pub probe: ProbeArgs,
}

/// The boards this harness knows, in the order `--list` shows them.
pub const KNOWN: [&str; 3] = ["sim", "qemu", "h7"];

/// Open board `name`.
pub fn open(name: &str, opts: &BoardOptions) -> Result<Box<dyn Board>, BoardError> {
    match name {
        "sim" => sim::open(opts),
        "qemu" => qemu::open(opts),
        "h7" => h7::open(opts),
        other => Err(unknown(other)),
    }
}

/// What running on board `name` would do, without touching hardware.
pub fn dry_run(name: &str, opts: &BoardOptions) -> Result<String, BoardError> {
    match name {
        "sim" => sim::dry_run(opts),
        "qemu" => qemu::dry_run(opts),
        "h7" => h7::dry_run(opts),
        other => Err(unknown(other)),
    }
}

fn unknown(name: &str) -> BoardError {
    BoardError::NotSupported {
        board: name.to_owned(),
        reason: format!("unknown board; the boards are {}", KNOWN.join(", ")),
    }
}
