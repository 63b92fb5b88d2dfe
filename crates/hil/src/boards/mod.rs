//! The boards: their files in `hil/boards/*.toml` ([`BoardFile`]) and the
//! code that opens them. A board never imports from another board: what
//! two share is a module here (`serial`, `firmware`, `sections`,
//! `tolerance`).
//!
//! Each board module offers `open(&BoardFile, &BoardOptions) -> Box<dyn
//! Board>` and `dry_run(&BoardFile, &BoardOptions) -> String` (what would
//! be flashed/started and run, touching no hardware). The board file is
//! read once, by [`load`], and handed to both.

pub mod file;
pub mod firmware;
#[cfg(feature = "h7")]
pub mod h7;
#[cfg(feature = "qemu")]
pub mod qemu;
pub mod sections;
#[cfg(any(feature = "qemu", feature = "h7"))]
pub mod serial;
pub mod sim;
#[cfg(test)]
mod testing;
#[cfg(any(feature = "qemu", feature = "h7"))]
pub mod tolerance;

use std::path::{Path, PathBuf};

use crate::board::{Board, BoardError};

pub use file::{BoardFile, BoardFileError, DEFAULT_SCENARIO_TIMEOUT_S};

/// Everything a board may need to start, from the command line.
#[derive(Debug, Clone, Default)]
pub struct BoardOptions {
    /// The repository root (where `hil/` and `golden/` are).
    pub root: PathBuf,
    /// Where this run's captures go (`target/hil/<board>/`): boards may put
    /// logs and scratch files there.
    pub out_dir: PathBuf,
    /// `--flash`, `--probe`, `--port`, `--elf`, `--dry-run` for the
    /// firmware boards.
    pub probe: FlashOptions,
    /// Told how a flash progresses (the CLI's progress bars); `None`: not shown.
    #[cfg(feature = "h7")]
    pub flash_progress: Option<FlashProgress>,
}

/// How the agent gets onto a flashed board.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FlashPath {
    /// probe-rs over SWD (a debug probe wired to the board).
    #[default]
    Probe,
    /// dfu-util over USB through the board's bootloader (no probe).
    Dfu,
}

/// The command line's options for the firmware boards (`cargo xtask hil
/// --flash ... --probe ... --port ... --elf ... --dry-run`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlashOptions {
    /// `--flash probe` or `--flash dfu`.
    pub flash: FlashPath,
    /// `--erase-bootloader`: the probe may erase the OpenMV bootloader.
    pub erase_bootloader: bool,
    /// `--probe VID:PID[:SERIAL]`: which debug probe.
    #[cfg(feature = "h7")]
    pub probe: Option<hil_flash::DebugProbeSelector>,
    /// `--port PATH`: the agent's serial port, instead of finding it.
    pub port: Option<String>,
    /// `--elf PATH`: firmware to use instead of the board's agent build.
    pub elf: Option<PathBuf>,
    /// `--dry-run`: show what would be done, touch nothing.
    pub dry_run: bool,
}

/// Where a flash's progress goes: shared with the CLI, which draws it.
#[cfg(feature = "h7")]
#[derive(Clone)]
pub struct FlashProgress(pub std::sync::Arc<std::sync::Mutex<dyn hil_flash::FlashObserver + Send>>);

#[cfg(feature = "h7")]
impl std::fmt::Debug for FlashProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FlashProgress")
    }
}

/// The boards this harness knows, in the order `--list` shows them.
pub const KNOWN: [&str; 3] = ["sim", "qemu", "h7"];

/// The file of board `name`, `<root>/hil/boards/<name>.toml`: a file
/// that does not read or check is the board's setup error (naming file,
/// line and key). ([`open`] and [`dry_run`] refuse a board this build
/// does not have.)
pub fn load(name: &str, root: &Path) -> Result<BoardFile, BoardError> {
    let path = root.join("hil/boards").join(format!("{name}.toml"));
    BoardFile::load(&path).map_err(|e| BoardError::Setup {
        board: name.to_owned(),
        message: e.to_string(),
    })
}

/// Open the board `file` describes.
pub fn open(file: &BoardFile, opts: &BoardOptions) -> Result<Box<dyn Board>, BoardError> {
    match file.name.as_str() {
        "sim" => sim::open(opts),
        #[cfg(feature = "qemu")]
        "qemu" => qemu::open(file, opts),
        #[cfg(feature = "h7")]
        "h7" => h7::open(file, opts),
        other => Err(unknown(other)),
    }
}

/// What running on the board `file` describes would do, without touching
/// hardware.
pub fn dry_run(file: &BoardFile, opts: &BoardOptions) -> Result<String, BoardError> {
    match file.name.as_str() {
        "sim" => sim::dry_run(opts),
        #[cfg(feature = "qemu")]
        "qemu" => qemu::dry_run(file, opts),
        #[cfg(feature = "h7")]
        "h7" => h7::dry_run(file, opts),
        other => Err(unknown(other)),
    }
}

fn unknown(name: &str) -> BoardError {
    let reason = if KNOWN.contains(&name) {
        format!("omv-hil was built without its `{name}` feature")
    } else {
        format!("unknown board; the boards are {}", KNOWN.join(", "))
    };
    BoardError::NotSupported {
        board: name.to_owned(),
        reason,
    }
}
