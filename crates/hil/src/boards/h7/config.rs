//! `hil/boards/h7.toml`: the harness's sections (`[firmware]`, `[serial]`)
//! on top of the flashing sections that `hil-flash` reads (`[flash]`,
//! `[usb]`, `[timing]`, `[content]`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use hil_flash::ProbeBoard;
use serde::Deserialize;

use crate::boards::firmware::FirmwareBuild;

/// The whole board file.
#[derive(Debug, Clone, PartialEq)]
pub struct H7Config {
    /// Flashing, USB identity, timing tolerances, deterministic content.
    pub probe: ProbeBoard,
    /// How the agent is built.
    pub firmware: FirmwareSection,
    /// Link timeouts.
    pub serial: SerialSection,
}

/// The sections only the harness reads; the others belong to `hil-flash`.
#[derive(Debug, Deserialize)]
struct HarnessSections {
    #[serde(default)]
    firmware: FirmwareSection,
    #[serde(default)]
    serial: SerialSection,
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
            package: "agent-h7".into(),
            target: "thumbv7em-none-eabihf".into(),
            target_dir: "firmware/target".into(),
            build_timeout_s: 900,
        }
    }
}

/// `[serial]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SerialSection {
    /// How long the agent may take to answer `hello` once the port is open (ms).
    pub hello_timeout_ms: u64,
    /// How long one step may take (ms).
    pub reply_timeout_ms: u64,
}

impl Default for SerialSection {
    fn default() -> Self {
        SerialSection {
            hello_timeout_ms: 5_000,
            reply_timeout_ms: 10_000,
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

/// The board file is unreadable or invalid (the message names file, line
/// and field).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

impl H7Config {
    /// Parse the board file's text; `path` is for messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<H7Config, ConfigError> {
        let probe = ProbeBoard::from_toml(text, path).map_err(|e| ConfigError(e.to_string()))?;
        let extra: HarnessSections = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(1);
            ConfigError(format!("{}:{line}: {}", path.display(), e.message()))
        })?;
        if extra.firmware.package.trim().is_empty() {
            return Err(ConfigError(format!(
                "{}: firmware.package is empty: name the agent's package (`agent-h7`)",
                path.display()
            )));
        }
        Ok(H7Config {
            probe,
            firmware: extra.firmware,
            serial: extra.serial,
        })
    }

    /// Read and parse the board file.
    pub fn load(path: &Path) -> Result<H7Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read board file {}: {e}", path.display())))?;
        Self::from_toml(&text, path)
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
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn repo() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn the_board_file_builds_agent_h7_in_the_firmware_workspace() {
        let c = H7Config::load(&repo().join("hil/boards/h7.toml")).unwrap();
        assert_eq!(c.probe.flash.chip, "STM32H743VITx");
        let b = c.firmware_build(Path::new("/repo"));
        assert_eq!(
            b.elf(),
            PathBuf::from("/repo/firmware/target/thumbv7em-none-eabihf/release/agent-h7")
        );
        assert!(b
            .command_line()
            .starts_with("cd /repo/firmware && cargo build --release -p agent-h7"));
        // The package really is a member of the firmware workspace.
        let ws = std::fs::read_to_string(repo().join("firmware/Cargo.toml")).unwrap();
        assert!(
            ws.contains("\"h7\""),
            "firmware/Cargo.toml lacks the h7 member"
        );
        let pkg = std::fs::read_to_string(repo().join("firmware/h7/Cargo.toml")).unwrap();
        assert!(pkg.contains("name = \"agent-h7\""));
        assert!(c.serial.hello_timeout() < c.serial.reply_timeout());
    }

    #[test]
    fn a_typo_in_a_harness_section_names_the_field_and_line() {
        let text = std::fs::read_to_string(repo().join("hil/boards/h7.toml"))
            .unwrap()
            .replace("hello_timeout_ms", "helo_timeout_ms");
        let err = H7Config::from_toml(&text, Path::new("h7.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("helo_timeout_ms"), "{err}");
        let line: usize = err.split(':').nth(1).unwrap().parse().unwrap();
        assert!(text
            .lines()
            .nth(line - 1)
            .unwrap()
            .contains("helo_timeout_ms"));
    }

    #[test]
    fn flashing_sections_are_checked_by_hil_flash() {
        let text = std::fs::read_to_string(repo().join("hil/boards/h7.toml"))
            .unwrap()
            .replace("poll_ms = 100", "poll_ms = 0");
        let err = H7Config::from_toml(&text, Path::new("h7.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("poll_ms must be at least 1"), "{err}");
    }
}
