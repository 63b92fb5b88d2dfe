//! `hil/boards/qemu.toml`: how to build the firmware, start QEMU and talk to
//! the agent. Every field has a default, so a board file with only `name`
//! and `description` works.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::process::QemuCommand;
use crate::boards::firmware::FirmwareBuild;
use crate::boards::BoardFileError;
use crate::scenario::line_col;

/// The board file, parsed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QemuConfig {
    /// `qemu`.
    pub name: String,
    /// One line saying what the board is.
    pub description: String,
    /// The emulator.
    #[serde(default)]
    pub qemu: EmulatorSection,
    /// The firmware build.
    #[serde(default)]
    pub firmware: FirmwareSection,
    /// The RAM-disk card.
    #[serde(default)]
    pub card: CardSection,
    /// The serial link.
    #[serde(default)]
    pub serial: SerialSection,
    /// How timing values appear in snapshots.
    #[serde(default)]
    pub timing: TimingSection,
}

/// `[qemu]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmulatorSection {
    /// The emulator binary.
    pub program: String,
    /// The machine.
    pub machine: String,
    /// How long QEMU may take to announce its PTY (ms).
    pub start_timeout_ms: u64,
    /// How long QEMU may take to exit after the firmware asks it to (ms).
    pub stop_timeout_ms: u64,
    /// `-icount` options; empty for none. With `shift=0,sleep=on` guest
    /// time follows the instructions executed (1 ns each) and real time
    /// only while the firmware sleeps: a loaded host cannot make a frame
    /// late, so recordings are the same run after run.
    pub icount: String,
}

impl Default for EmulatorSection {
    fn default() -> Self {
        EmulatorSection {
            program: "qemu-system-arm".into(),
            machine: "mps2-an500".into(),
            start_timeout_ms: 10_000,
            stop_timeout_ms: 3_000,
            icount: "shift=0,sleep=on".into(),
        }
    }
}

/// `[firmware]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FirmwareSection {
    /// The firmware workspace, relative to the repository root.
    pub dir: PathBuf,
    /// The package to build.
    pub package: String,
    /// The target triple.
    pub target: String,
    /// The cargo target directory, relative to the repository root.
    pub target_dir: PathBuf,
    /// How long the build may take (s).
    pub build_timeout_s: u64,
}

impl Default for FirmwareSection {
    fn default() -> Self {
        FirmwareSection {
            dir: "firmware".into(),
            package: "agent-qemu".into(),
            target: "thumbv7em-none-eabihf".into(),
            target_dir: "firmware/target".into(),
            build_timeout_s: 900,
        }
    }
}

/// `[card]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CardSection {
    /// Where QEMU loads the card image (the PSRAM).
    pub address: u64,
    /// The largest card image (KiB): the firmware's card half of the PSRAM.
    pub max_kib: u64,
}

impl Default for CardSection {
    fn default() -> Self {
        CardSection {
            address: 0x6000_0000,
            max_kib: 8 * 1024,
        }
    }
}

/// Which way the agent's responses travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Responses {
    /// Over the PTY like requests: the plain serial line (~200 KB/s).
    Uart,
    /// Over QEMU's stdout through batched semihosting writes (~5 MB/s of
    /// protocol, ~20x faster downloads); requests still use the PTY.
    Semihosting,
}

/// `[serial]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SerialSection {
    /// Baud rate (QEMU ignores it).
    pub baud: u32,
    /// Which way responses travel.
    pub responses: Responses,
    /// Longest wait for one reply (ms); paced replays may wait longer per step.
    pub reply_timeout_ms: u64,
    /// Longest wait for the agent's handshake after QEMU started (ms).
    pub hello_timeout_ms: u64,
}

impl Default for SerialSection {
    fn default() -> Self {
        SerialSection {
            baud: 115_200,
            responses: Responses::Semihosting,
            reply_timeout_ms: 10_000,
            hello_timeout_ms: 10_000,
        }
    }
}

/// `[timing]`: how timing appears in snapshots, and the tolerances every
/// run is checked against.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimingSection {
    /// Times in snapshots are rounded to multiples of this (µs); 0 redacts them.
    pub quantum_us: u64,
    /// Rates in snapshots are rounded to multiples of this (fps).
    pub fps_step: f64,
    /// Allowed deviation of one inter-frame capture interval from the
    /// sensor grid, µs.
    pub frame_interval_us: u64,
    /// Allowed lateness of a replayed frame against the recorded schedule, µs.
    pub replay_error_us: u64,
    /// Allowed deviation of the achieved sensor rate, percent.
    pub fps_percent: f64,
    /// Allowed sensor frames dropped per scenario; absent = not checked.
    pub dropped_frames: Option<u32>,
}

impl Default for TimingSection {
    fn default() -> Self {
        TimingSection {
            quantum_us: 0,
            fps_step: 1.0,
            frame_interval_us: 1_000,
            replay_error_us: 25_000,
            fps_percent: 1.0,
            dropped_frames: None,
        }
    }
}

impl TimingSection {
    /// The tolerances in the form the timing checks take.
    pub fn tolerances(&self) -> hil_flash::board::TimingSection {
        hil_flash::board::TimingSection {
            frame_interval_us: self.frame_interval_us,
            replay_error_us: self.replay_error_us,
            fps_percent: self.fps_percent,
            dropped_frames: self.dropped_frames,
        }
    }
}

impl QemuConfig {
    /// Reads and checks a board file.
    pub fn load(path: &Path) -> Result<QemuConfig, BoardFileError> {
        let text = std::fs::read_to_string(path).map_err(|e| BoardFileError {
            path: path.to_owned(),
            line: 0,
            message: format!("cannot read board file: {e}"),
        })?;
        Self::parse(&text, path)
    }

    /// Parses the text of a board file (`path` is for messages).
    pub fn parse(text: &str, path: &Path) -> Result<QemuConfig, BoardFileError> {
        let config: QemuConfig = toml::from_str(text).map_err(|e| BoardFileError {
            path: path.to_owned(),
            line: e.span().map_or(1, |s| line_col(text, s.start).0),
            message: e.message().trim_end().to_owned(),
        })?;
        let bad = |message: String| BoardFileError {
            path: path.to_owned(),
            line: 1,
            message,
        };
        if config.name != "qemu" {
            return Err(bad(format!("name = {:?}, expected \"qemu\"", config.name)));
        }
        if config.card.max_kib == 0 || config.card.max_kib > 8 * 1024 {
            return Err(bad(format!(
                "[card] max_kib = {}: the firmware keeps the card in the first 8 MiB of the PSRAM: 1..=8192 KiB",
                config.card.max_kib
            )));
        }
        Ok(config)
    }

    /// The firmware build for the repository at `root`.
    pub fn firmware_build(&self, root: &Path) -> FirmwareBuild {
        FirmwareBuild {
            dir: root.join(&self.firmware.dir),
            package: self.firmware.package.clone(),
            target: self.firmware.target.clone(),
            target_dir: root.join(&self.firmware.target_dir),
            timeout: Duration::from_secs(self.firmware.build_timeout_s),
        }
    }

    /// The emulator command for `elf`, with `card` loaded, run in `workdir`.
    pub fn command(&self, elf: &Path, card: Option<&Path>, workdir: &Path) -> QemuCommand {
        let semihosting = self.serial.responses == Responses::Semihosting;
        QemuCommand {
            firmware_args: if semihosting {
                vec![super::SEMIHOSTING_RESPONSES_ARG.into()]
            } else {
                Vec::new()
            },
            forward_stdout: semihosting,
            icount: (!self.qemu.icount.is_empty()).then(|| self.qemu.icount.clone()),
            program: self.qemu.program.clone(),
            machine: self.qemu.machine.clone(),
            elf: elf.to_owned(),
            card: card.map(|c| (c.to_owned(), self.card.address)),
            workdir: workdir.to_owned(),
            start_timeout: Duration::from_millis(self.qemu.start_timeout_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn defaults_fill_a_minimal_file() {
        let c = QemuConfig::parse(
            "name = \"qemu\"\ndescription = \"x\"\n",
            Path::new("q.toml"),
        )
        .unwrap();
        assert_eq!(c.qemu.machine, "mps2-an500");
        assert_eq!(c.card.address, 0x6000_0000);
        assert_eq!(c.firmware.package, "agent-qemu");
        assert_eq!(c.serial.responses, Responses::Semihosting);
        let cmd = c.command(Path::new("fw.elf"), None, Path::new("."));
        assert!(cmd.forward_stdout);
        assert!(cmd.args().join(" ").contains("arg=link=semihosting"));
    }

    #[test]
    fn responses_over_the_uart_need_no_semihosting_arguments() {
        let text = "name = \"qemu\"\ndescription = \"x\"\n[serial]\nresponses = \"uart\"\n";
        let c = QemuConfig::parse(text, Path::new("q.toml")).unwrap();
        let cmd = c.command(Path::new("fw.elf"), None, Path::new("."));
        assert!(!cmd.forward_stdout);
        assert!(cmd.firmware_args.is_empty());
    }

    #[test]
    fn errors_name_file_and_line() {
        let text = "name = \"qemu\"\ndescription = \"x\"\n[qemu]\nstart_timeout_ms = \"soon\"\n";
        let err = QemuConfig::parse(text, Path::new("hil/boards/qemu.toml")).unwrap_err();
        assert_eq!(err.line, 4, "{err}");
        assert!(
            err.to_string().starts_with("hil/boards/qemu.toml:4:"),
            "{err}"
        );
    }

    #[test]
    fn a_card_larger_than_the_psram_is_refused() {
        let text = "name = \"qemu\"\ndescription = \"x\"\n[card]\nmax_kib = 65536\n";
        let err = QemuConfig::parse(text, Path::new("q.toml")).unwrap_err();
        assert!(err.message.contains("8192"), "{err}");
    }

    #[test]
    fn the_shipped_board_file_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hil/boards/qemu.toml");
        let c = QemuConfig::load(&path).unwrap();
        assert_eq!(c.name, "qemu");
    }
}
