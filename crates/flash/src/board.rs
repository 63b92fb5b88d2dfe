//! The parts of a board file (`hil/boards/<board>.toml`) that flashing and
//! port discovery need: `[flash]`, `[usb]`, `[timing]`, `[content]`.
//!
//! Other top-level keys belong to the harness and are ignored here; inside
//! these four sections an unknown key is an error, so a typo never silently
//! falls back to a default. Errors name the file, the line and the field.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::selector::UsbSelector;

impl<'de> Deserialize<'de> for UsbSelector {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A board that is flashed through a debug probe and talks over USB serial.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProbeBoard {
    /// The board's name (`h7`).
    pub name: String,
    /// How to flash it.
    pub flash: FlashSection,
    /// How to find the agent's USB CDC-ACM port.
    pub usb: UsbSection,
    /// Tolerances for timing figures measured on this board.
    pub timing: TimingSection,
    /// Which captured content is deterministic (hashed in snapshots).
    pub content: ContentSection,
    /// Flashing without a probe through the board's USB DFU bootloader.
    #[serde(default)]
    pub dfu: Option<crate::dfu::DfuSection>,
}

/// `[flash]`: the chip and the probe.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlashSection {
    /// probe-rs target name, e.g. `STM32H743VITx`.
    pub chip: String,
    /// Default probe (`VID:PID[:SERIAL]`); absent = the only probe attached.
    #[serde(default)]
    pub probe: Option<UsbSelector>,
    /// SWD clock in kHz; absent = the probe's default.
    #[serde(default)]
    pub speed_khz: Option<u32>,
    /// Hold NRST while attaching (needed when the firmware disables SWD or
    /// sleeps deeply).
    #[serde(default)]
    pub connect_under_reset: bool,
    /// A read-only register that identifies the chip, checked after attach.
    #[serde(default)]
    pub idcode: Option<IdCheck>,
    /// Where the readout protection level is, checked before erasing.
    #[serde(default)]
    pub readout_protection: Option<RdpCheck>,
    /// Flash that is never erased unless `--erase-bootloader` is given
    /// (the OpenMV bootloader).
    #[serde(default)]
    pub keep: Option<crate::sectors::KeepArea>,
    /// Where the bootloader reads the firmware's vector table; the board's
    /// own agent build is checked against it (`vectors::check`).
    #[serde(default)]
    pub vector_table: Option<u64>,
}

/// A chip-identity check: `(read32(address) & mask) == expect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdCheck {
    /// Register address.
    pub address: u64,
    /// Bits that hold the device id.
    pub mask: u32,
    /// The device id of the expected chip.
    pub expect: u32,
}

/// A readout-protection check: `level = (read32(address) >> shift) & mask`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RdpCheck {
    /// Register address.
    pub address: u64,
    /// Position of the level field.
    pub shift: u32,
    /// Width mask of the level field (after shifting).
    pub mask: u32,
    /// The level value that means "not protected".
    pub unlocked: u32,
    /// The level value that means "protected for ever" (no debug access),
    /// if the chip has one.
    #[serde(default)]
    pub permanent: Option<u32>,
}

/// `[usb]`: the agent's USB identity and the re-enumeration wait.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsbSection {
    /// USB vendor id the agent enumerates with.
    pub vid: u16,
    /// USB product id the agent enumerates with.
    pub pid: u16,
    /// Expected serial number, if fixed (the H7 agent uses the chip's UID,
    /// so usually absent).
    #[serde(default)]
    pub serial: Option<String>,
    /// How long to wait for the port after reset.
    pub reenumeration_timeout_ms: u64,
    /// How often to list ports while waiting.
    pub poll_ms: u64,
    /// If the port was present before the reset, how long to wait for it
    /// to disappear first (the old firmware's port must not be mistaken for
    /// the new one).
    pub vanish_ms: u64,
}

impl UsbSection {
    /// The selector for the agent's port.
    pub fn selector(&self) -> UsbSelector {
        UsbSelector {
            vid: self.vid,
            pid: self.pid,
            serial: self.serial.clone(),
        }
    }
}

/// `[timing]`: how far the board's timing figures may stray from the
/// recorded schedule before a scenario fails. Timing is compared against
/// these, never snapshotted exactly, on real hardware.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingSection {
    /// Allowed deviation of one inter-frame interval, µs.
    pub frame_interval_us: u64,
    /// Allowed replay error against the recorded schedule, µs.
    pub replay_error_us: u64,
    /// Allowed deviation of achieved fps, percent.
    pub fps_percent: f64,
    /// Allowed sensor frames dropped per scenario; absent = not checked
    /// (drops depend on the card's write latency, which only the
    /// simulator's card profiles control).
    #[serde(default)]
    pub dropped_frames: Option<u32>,
}

/// `[content]`: what the board's sensor produces.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentSection {
    /// The sensor source used for recordings, e.g. `ov7725-colorbar`.
    pub sensor: String,
    /// The source used when the sensor is absent, e.g. `pattern`.
    pub fallback: String,
    /// Content kinds whose payload hashes are snapshotted.
    pub deterministic: Vec<String>,
}

/// A board file could not be read or is invalid.
#[derive(Debug, thiserror::Error)]
pub enum BoardFileError {
    /// The file could not be read.
    #[error("cannot read board file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or a field is missing or wrong.
    #[error("{}:{line}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the offending field (1 when unknown).
        line: usize,
        /// What is wrong, including the field name.
        message: String,
    },
}

impl ProbeBoard {
    /// Parse a board file's text; `path` is only used in error messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, BoardFileError> {
        let board: ProbeBoard = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(1);
            BoardFileError::Invalid {
                path: path.to_owned(),
                line,
                message: e.message().to_owned(),
            }
        })?;
        board.check(text, path)?;
        Ok(board)
    }

    /// Read and parse a board file.
    pub fn load(path: &Path) -> Result<Self, BoardFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| BoardFileError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text, path)
    }

    /// Value checks that types alone cannot express.
    fn check(&self, text: &str, path: &Path) -> Result<(), BoardFileError> {
        let fail = |key: &str, message: String| {
            let line = text
                .lines()
                .position(|l| l.trim_start().starts_with(key))
                .map_or(1, |i| i + 1);
            Err(BoardFileError::Invalid {
                path: path.to_owned(),
                line,
                message,
            })
        };
        if self.flash.chip.trim().is_empty() {
            return fail(
                "chip",
                "flash.chip is empty: name a probe-rs target such as `STM32H743VITx`".into(),
            );
        }
        if self.usb.poll_ms == 0 {
            return fail("poll_ms", "usb.poll_ms must be at least 1".into());
        }
        if self.usb.reenumeration_timeout_ms < self.usb.poll_ms {
            return fail(
                "reenumeration_timeout_ms",
                format!(
                    "usb.reenumeration_timeout_ms ({}) is shorter than usb.poll_ms ({})",
                    self.usb.reenumeration_timeout_ms, self.usb.poll_ms
                ),
            );
        }
        if !(self.timing.fps_percent.is_finite() && self.timing.fps_percent >= 0.0) {
            return fail(
                "fps_percent",
                format!(
                    "timing.fps_percent must be a non-negative number, found {}",
                    self.timing.fps_percent
                ),
            );
        }
        Ok(())
    }
}

/// The repository's own `hil/boards/h7.toml`, loaded: the board the plan
/// tests check against.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn repo_h7_board() -> ProbeBoard {
    ProbeBoard::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hil/boards/h7.toml"))
        .unwrap()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn repo_file(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(rel)
    }

    #[test]
    fn the_h7_board_file_parses_with_the_values_the_hardware_needs() {
        let board = ProbeBoard::load(&repo_file("hil/boards/h7.toml")).unwrap();
        assert_eq!(board.name, "h7");
        assert_eq!(board.flash.chip, "STM32H743VITx");
        // DBGMCU_IDCODE of the STM32H742/743/750/753 (RM0433 §60.5.8).
        let id = board.flash.idcode.unwrap();
        assert_eq!(
            (id.address, id.mask, id.expect),
            (0x5C00_1000, 0xFFF, 0x450)
        );
        // FLASH_OPTSR_CUR, RDP in bits 15:8 (RM0433 §4.9.8).
        let rdp = board.flash.readout_protection.unwrap();
        assert_eq!((rdp.address, rdp.shift, rdp.mask), (0x5200_201C, 8, 0xFF));
        assert_eq!((rdp.unlocked, rdp.permanent), (0xAA, Some(0xCC)));
        assert!(board.usb.reenumeration_timeout_ms >= 1000);
        assert!(board.usb.vanish_ms < board.usb.reenumeration_timeout_ms);
        assert!(board
            .content
            .deterministic
            .iter()
            .any(|c| c == "test-pattern"));
    }

    const MINIMAL: &str = r#"
name = "x"
[flash]
chip = "STM32H743VITx"
[usb]
vid = 0x1209
pid = 0x0001
reenumeration_timeout_ms = 5000
poll_ms = 100
vanish_ms = 1000
[timing]
frame_interval_us = 1
replay_error_us = 1
fps_percent = 1.0
dropped_frames = 0
[content]
sensor = "pattern"
fallback = "pattern"
deterministic = []
"#;

    #[test]
    fn optional_fields_default_and_unknown_top_level_keys_are_ignored() {
        let text = format!("kind = \"probe\"\n{MINIMAL}");
        let b = ProbeBoard::from_toml(&text, Path::new("x.toml")).unwrap();
        assert_eq!(b.flash.probe, None);
        assert!(!b.flash.connect_under_reset);
        assert_eq!(b.usb.selector(), UsbSelector::new(0x1209, 0x0001));
    }

    fn invalid(text: &str) -> (usize, String) {
        match ProbeBoard::from_toml(text, Path::new("hil/boards/bad.toml")).unwrap_err() {
            BoardFileError::Invalid {
                line,
                message,
                path,
            } => {
                assert_eq!(path, Path::new("hil/boards/bad.toml"));
                (line, message)
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_typo_in_a_section_names_the_field_and_line() {
        let text = MINIMAL.replace("poll_ms = 100", "pol_ms = 100");
        let (line, msg) = invalid(&text);
        assert!(msg.contains("pol_ms"), "{msg}");
        assert_eq!(text.lines().nth(line - 1).unwrap().trim(), "pol_ms = 100");
    }

    #[test]
    fn a_bad_probe_selector_names_the_selector_and_line() {
        let text = MINIMAL.replace(
            "chip = \"STM32H743VITx\"",
            "chip = \"STM32H743VITx\"\nprobe = \"0483-374f\"",
        );
        let (line, msg) = invalid(&text);
        assert!(msg.contains("`0483-374f` is not VID:PID"), "{msg}");
        assert!(text.lines().nth(line - 1).unwrap().contains("probe ="));
    }

    #[test]
    fn a_missing_section_is_named() {
        let text = MINIMAL.replace("[timing]", "[timings]");
        let (_, msg) = invalid(&text);
        assert!(msg.contains("timing"), "{msg}");
    }

    #[test]
    fn value_checks_name_the_field_and_line() {
        let text = MINIMAL.replace(
            "reenumeration_timeout_ms = 5000",
            "reenumeration_timeout_ms = 10",
        );
        let (line, msg) = invalid(&text);
        assert!(
            msg.contains("reenumeration_timeout_ms (10) is shorter than usb.poll_ms (100)"),
            "{msg}"
        );
        assert!(text
            .lines()
            .nth(line - 1)
            .unwrap()
            .contains("reenumeration_timeout_ms"));
        let (_, msg) = invalid(&MINIMAL.replace("poll_ms = 100", "poll_ms = 0"));
        assert!(msg.contains("poll_ms must be at least 1"), "{msg}");
        let (_, msg) = invalid(&MINIMAL.replace("chip = \"STM32H743VITx\"", "chip = \" \""));
        assert!(msg.contains("flash.chip is empty"), "{msg}");
        let (_, msg) = invalid(&MINIMAL.replace("fps_percent = 1.0", "fps_percent = -1.0"));
        assert!(msg.contains("fps_percent"), "{msg}");
    }

    #[test]
    fn a_missing_file_is_an_io_error_naming_it() {
        let err = ProbeBoard::load(Path::new("/nonexistent/h7.toml")).unwrap_err();
        assert!(matches!(err, BoardFileError::Io { .. }));
        assert!(err.to_string().contains("/nonexistent/h7.toml"));
    }
}
