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

use std::path::PathBuf;

use crate::board::{Board, BoardError};

pub use file::{BoardFile, BoardFileError, DEFAULT_SCENARIO_TIMEOUT_S};

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

/// Open board `name`.
pub fn open(name: &str, opts: &BoardOptions) -> Result<Box<dyn Board>, BoardError> {
    match name {
        "sim" => sim::open(opts),
        #[cfg(feature = "qemu")]
        "qemu" => qemu::open(opts),
        #[cfg(feature = "h7")]
        "h7" => h7::open(opts),
        other => Err(unknown(other)),
    }
}

/// What running on board `name` would do, without touching hardware.
pub fn dry_run(name: &str, opts: &BoardOptions) -> Result<String, BoardError> {
    match name {
        "sim" => sim::dry_run(opts),
        #[cfg(feature = "qemu")]
        "qemu" => qemu::dry_run(opts),
        #[cfg(feature = "h7")]
        "h7" => h7::dry_run(opts),
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
