//! The board-file sections more than one board reads, defined once:
//! `[firmware]` (how the agent is built), `[serial]` (the link),
//! `[timing]` (snapshot rounding and the tolerances every run is checked
//! against) and `[content]` (which captured content is deterministic).
//! Every field has a default, and an unknown key is an error
//! ([`super::file::BoardFile::section`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::file::{BoardFile, BoardFileError};
use super::firmware::FirmwareBuild;

/// `[firmware]`: the agent's package in the firmware workspace.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FirmwareSection {
    /// The firmware workspace, relative to the repository root.
    pub dir: PathBuf,
    /// The package to build; absent = `agent-<board>`.
    pub package: Option<String>,
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
            package: None,
            target: "thumbv7em-none-eabihf".into(),
            target_dir: "firmware/target".into(),
            build_timeout_s: 900,
        }
    }
}

impl FirmwareSection {
    /// The section of `file`, checked: a package name, if given, is not empty.
    pub fn read(file: &BoardFile) -> Result<FirmwareSection, BoardFileError> {
        let s: FirmwareSection = file.section("firmware")?;
        if s.package.as_deref().is_some_and(|p| p.trim().is_empty()) {
            return Err(file.error_at(
                Some("firmware"),
                "package",
                format!(
                    "firmware.package is empty: name the agent's package (`agent-{}`)",
                    file.name
                ),
            ));
        }
        Ok(s)
    }

    /// The firmware build of board `board` in the repository at `root`.
    pub fn build(&self, root: &Path, board: &str) -> FirmwareBuild {
        FirmwareBuild {
            dir: root.join(&self.dir),
            package: self
                .package
                .clone()
                .unwrap_or_else(|| format!("agent-{board}")),
            target: self.target.clone(),
            target_dir: root.join(&self.target_dir),
            timeout: Duration::from_secs(self.build_timeout_s),
        }
    }
}

/// Which way the agent's responses travel (`qemu`; a USB port has one way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Responses {
    /// Over the PTY like requests: the plain serial line (~200 KB/s).
    Uart,
    /// Over QEMU's stdout through batched semihosting writes (~5 MB/s of
    /// protocol, ~20x faster downloads); requests still use the PTY.
    Semihosting,
}

/// `[serial]`: the link to the agent.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SerialSection {
    /// Baud rate (QEMU's PTY and a USB CDC-ACM port ignore it).
    pub baud: u32,
    /// Which way responses travel (`qemu` only).
    pub responses: Responses,
    /// Longest wait for one reply (ms); steps that ask for board time
    /// (frames, sleeps) may wait longer.
    pub reply_timeout_ms: u64,
    /// Longest wait for the agent's handshake once its port is open (ms).
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

impl SerialSection {
    /// `hello_timeout_ms` as a duration.
    pub fn hello_timeout(&self) -> Duration {
        Duration::from_millis(self.hello_timeout_ms)
    }

    /// `reply_timeout_ms` as a duration.
    pub fn reply_timeout(&self) -> Duration {
        Duration::from_millis(self.reply_timeout_ms)
    }
}

/// `[timing]`: how timing appears in snapshots, and how far the board's
/// timing figures may stray from the recorded schedule before a scenario
/// fails (figures a snapshot redacts are checked against these).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimingSection {
    /// Times in snapshots are rounded to multiples of this (µs); 0 redacts
    /// them (`qemu`; real hardware always redacts).
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
    /// Allowed sensor frames dropped per scenario; absent = not checked
    /// (drops depend on the card's write latency, which only the
    /// simulator's card profiles control).
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
    /// The section of `file`, checked: rates and percentages are
    /// non-negative numbers.
    pub fn read(file: &BoardFile) -> Result<TimingSection, BoardFileError> {
        let s: TimingSection = file.section("timing")?;
        if !(s.fps_percent.is_finite() && s.fps_percent >= 0.0) {
            return Err(file.error_at(
                Some("timing"),
                "fps_percent",
                format!(
                    "timing.fps_percent must be a non-negative number, found {}",
                    s.fps_percent
                ),
            ));
        }
        if !(s.fps_step.is_finite() && s.fps_step > 0.0) {
            return Err(file.error_at(
                Some("timing"),
                "fps_step",
                format!(
                    "timing.fps_step must be a positive number, found {}",
                    s.fps_step
                ),
            ));
        }
        Ok(s)
    }
}

/// `[content]`: what the board's sensor produces.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContentSection {
    /// The sensor source used for recordings, e.g. `ov7725-colorbar`.
    pub sensor: String,
    /// The source used when the sensor is absent, e.g. `pattern`.
    pub fallback: String,
    /// Content kinds whose payload hashes are snapshotted.
    pub deterministic: Vec<String>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn file(text: &str) -> BoardFile {
        let text = format!("name = \"demo\"\ndescription = \"x\"\n{text}");
        BoardFile::parse(text, Path::new("demo.toml")).unwrap()
    }

    #[test]
    fn the_firmware_package_defaults_to_the_boards_agent() {
        let f = file("");
        let b = FirmwareSection::read(&f)
            .unwrap()
            .build(Path::new("/repo"), "qemu");
        assert_eq!(
            b.elf(),
            PathBuf::from("/repo/firmware/target/thumbv7em-none-eabihf/release/agent-qemu")
        );
        let f = file("[firmware]\npackage = \"agent-x\"\n");
        let b = FirmwareSection::read(&f)
            .unwrap()
            .build(Path::new("/r"), "h7");
        assert!(
            b.command_line().contains("-p agent-x"),
            "{}",
            b.command_line()
        );
        let err = FirmwareSection::read(&file("[firmware]\npackage = \" \"\n")).unwrap_err();
        assert_eq!(err.line, 4, "{err}");
        assert!(err.message.contains("`agent-demo`"), "{err}");
    }

    #[test]
    fn timing_values_types_cannot_check_are_checked() {
        let err = TimingSection::read(&file("[timing]\nfps_percent = -1.0\n")).unwrap_err();
        assert_eq!(err.line, 4, "{err}");
        assert!(err.message.contains("fps_percent"), "{err}");
        let err = TimingSection::read(&file("[timing]\nfps_step = 0.0\n")).unwrap_err();
        assert!(err.message.contains("fps_step"), "{err}");
        let t = TimingSection::read(&file("[timing]\ndropped_frames = 2\n")).unwrap();
        assert_eq!((t.dropped_frames, t.frame_interval_us), (Some(2), 1_000));
    }

    #[test]
    fn serial_timeouts_are_durations() {
        let s: SerialSection = file("[serial]\nhello_timeout_ms = 5\n")
            .section("serial")
            .unwrap();
        assert_eq!(s.hello_timeout(), Duration::from_millis(5));
        assert_eq!(s.reply_timeout(), Duration::from_secs(10));
        assert_eq!(s.responses, Responses::Semihosting);
    }
}
