//! `hil/boards/qemu.toml`: how to build the firmware, start QEMU and talk to
//! the agent: the shared `[firmware]`, `[serial]` and `[timing]` sections
//! and qemu's own `[qemu]` and `[card]`, read through [`BoardFile`]. Every
//! field has a default, so a board file with only `name` and `description`
//! works.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::process::QemuCommand;
use crate::boards::file::{BoardFile, BoardFileError};
use crate::boards::firmware::FirmwareBuild;
pub use crate::boards::sections::{FirmwareSection, Responses, SerialSection, TimingSection};

/// What the `qemu` board reads from its board file.
#[derive(Debug, Clone, PartialEq)]
pub struct QemuConfig {
    /// The emulator.
    pub qemu: EmulatorSection,
    /// The firmware build.
    pub firmware: FirmwareSection,
    /// The RAM-disk card.
    pub card: CardSection,
    /// The serial link.
    pub serial: SerialSection,
    /// How timing values appear in snapshots, and the tolerances.
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

impl QemuConfig {
    /// The board's sections of `file`, checked.
    pub fn read(file: &BoardFile) -> Result<QemuConfig, BoardFileError> {
        let config = QemuConfig {
            qemu: file.section("qemu")?,
            firmware: FirmwareSection::read(file)?,
            card: file.section("card")?,
            serial: file.section("serial")?,
            timing: TimingSection::read(file)?,
        };
        if config.card.max_kib == 0 || config.card.max_kib > 8 * 1024 {
            return Err(file.error_at(
                Some("card"),
                "max_kib",
                format!(
                    "[card] max_kib = {}: the firmware keeps the card in the first 8 MiB of the PSRAM: 1..=8192 KiB",
                    config.card.max_kib
                ),
            ));
        }
        Ok(config)
    }

    /// Read the board file at `path` ([`BoardFile::load`]) and its sections.
    pub fn load(path: &Path) -> Result<QemuConfig, BoardFileError> {
        Self::read(&BoardFile::load(path)?)
    }

    /// The firmware build for the repository at `root`.
    pub fn firmware_build(&self, root: &Path) -> FirmwareBuild {
        self.firmware.build(root, super::NAME)
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

    fn parse(text: &str) -> Result<QemuConfig, BoardFileError> {
        let file = BoardFile::parse(text.to_owned(), Path::new("hil/boards/qemu.toml"))?;
        QemuConfig::read(&file)
    }

    #[test]
    fn defaults_fill_a_minimal_file() {
        let c = parse("name = \"qemu\"\ndescription = \"x\"\n").unwrap();
        assert_eq!(c.qemu.machine, "mps2-an500");
        assert_eq!(c.card.address, 0x6000_0000);
        assert!(c
            .firmware_build(Path::new("/r"))
            .command_line()
            .contains("-p agent-qemu"));
        assert_eq!(c.serial.responses, Responses::Semihosting);
        let cmd = c.command(Path::new("fw.elf"), None, Path::new("."));
        assert!(cmd.forward_stdout);
        assert!(cmd.args().join(" ").contains("arg=link=semihosting"));
    }

    #[test]
    fn responses_over_the_uart_need_no_semihosting_arguments() {
        let text = "name = \"qemu\"\ndescription = \"x\"\n[serial]\nresponses = \"uart\"\n";
        let c = parse(text).unwrap();
        let cmd = c.command(Path::new("fw.elf"), None, Path::new("."));
        assert!(!cmd.forward_stdout);
        assert!(cmd.firmware_args.is_empty());
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let text = "name = \"qemu\"\ndescription = \"x\"\n[qemu]\nstart_timeout_ms = \"soon\"\n";
        let err = parse(text).unwrap_err();
        assert_eq!((err.line, err.col), (4, 20), "{err}");
        assert!(
            err.to_string().starts_with("hil/boards/qemu.toml:4:20:"),
            "{err}"
        );
        let err = parse("name = \"qemu\"\ndescription = \"x\"\n[serail]\n").unwrap_err();
        assert_eq!(err.line, 3, "{err}");
    }

    #[test]
    fn a_card_larger_than_the_psram_is_refused() {
        let text = "name = \"qemu\"\ndescription = \"x\"\n[card]\nmax_kib = 65536\n";
        let err = parse(text).unwrap_err();
        assert!(err.message.contains("8192"), "{err}");
        assert_eq!(err.line, 4, "{err}");
    }

    #[test]
    fn the_shipped_board_file_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hil/boards/qemu.toml");
        let c = QemuConfig::load(&path).unwrap();
        assert_eq!(c.serial.responses, Responses::Semihosting);
        assert_eq!(c.timing.replay_error_us, 25_000);
    }
}
