//! The boards: their files in `hil/boards/*.toml` and the code that opens them.
//!
//! Each board module offers `open(&BoardOptions) -> Box<dyn Board>` and
//! `dry_run(&BoardOptions) -> String` (what would be flashed/started and
//! run, touching no hardware).

pub mod firmware;
pub mod h7;
pub mod qemu;
pub mod serial;
pub mod sim;
pub mod tolerance;

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::board::{Board, BoardError};
use crate::scenario::line_col;

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

/// The part of a board file every board has: its name and description.
/// Board-specific sections (`[flash]`, `[usb]`, `[qemu]`, ...) are read by
/// the board's own module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardInfo {
    /// The board's name (`sim`, `qemu`, `h7`).
    pub name: String,
    /// One line saying what the board is.
    pub description: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// `scenario_timeout_s`: the wall time one scenario may take on this
    /// board unless it sets its own `timeout_s` ([`DEFAULT_SCENARIO_TIMEOUT_S`]
    /// if the file has none).
    pub scenario_timeout_s: u64,
}

/// A scenario's wall-time limit when neither it nor its board file sets one.
pub const DEFAULT_SCENARIO_TIMEOUT_S: u64 = 600;

#[derive(Deserialize)]
struct RawInfo {
    name: String,
    description: String,
    scenario_timeout_s: Option<u64>,
}

/// A board file could not be read or lacks `name`/`description`.
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}: {message}", path.display())]
pub struct BoardFileError {
    /// The board file.
    pub path: PathBuf,
    /// 1-based line (0 if the file could not be read).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl BoardInfo {
    /// Read `name` and `description` from a board file.
    pub fn load(path: &Path) -> Result<BoardInfo, BoardFileError> {
        let text = std::fs::read_to_string(path).map_err(|e| BoardFileError {
            path: path.to_owned(),
            line: 0,
            message: format!("cannot read board file: {e}"),
        })?;
        let raw: RawInfo = toml::from_str(&text).map_err(|e| BoardFileError {
            path: path.to_owned(),
            line: e.span().map_or(1, |s| line_col(&text, s.start).0),
            message: e.message().trim_end().to_owned(),
        })?;
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if raw.name != stem {
            return Err(BoardFileError {
                path: path.to_owned(),
                line: 1,
                message: format!(
                    "name = {:?} but the file is {stem}.toml: they must match",
                    raw.name
                ),
            });
        }
        if raw.scenario_timeout_s == Some(0) {
            return Err(BoardFileError {
                path: path.to_owned(),
                line: 1,
                message: "scenario_timeout_s must be at least 1 (seconds)".into(),
            });
        }
        Ok(BoardInfo {
            name: raw.name,
            description: raw.description,
            path: path.to_owned(),
            scenario_timeout_s: raw.scenario_timeout_s.unwrap_or(DEFAULT_SCENARIO_TIMEOUT_S),
        })
    }

    /// Every board file in `dir`, sorted by name.
    pub fn load_dir(dir: &Path) -> Result<Vec<BoardInfo>, BoardFileError> {
        let entries = std::fs::read_dir(dir).map_err(|e| BoardFileError {
            path: dir.to_owned(),
            line: 0,
            message: format!("cannot list board files: {e}"),
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        paths.iter().map(|p| BoardInfo::load(p)).collect()
    }
}
