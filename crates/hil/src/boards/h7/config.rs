//! `hil/boards/h7.toml`: the flashing sections `hil-flash` takes
//! (`[flash]`, `[usb]`, `[dfu]`) and the shared `[firmware]`, `[serial]`,
//! `[timing]` and `[content]`, read through [`BoardFile`].

use std::path::Path;

use hil_flash::FlashBoard;

use crate::boards::file::{BoardFile, BoardFileError};
use crate::boards::firmware::FirmwareBuild;
pub use crate::boards::sections::{ContentSection, FirmwareSection, SerialSection, TimingSection};

/// What the `h7` board reads from its board file.
#[derive(Debug, Clone, PartialEq)]
pub struct H7Config {
    /// Flashing and the agent's USB identity.
    pub probe: FlashBoard,
    /// How the agent is built.
    pub firmware: FirmwareSection,
    /// Link timeouts.
    pub serial: SerialSection,
    /// Timing tolerances (timing is redacted in snapshots).
    pub timing: TimingSection,
    /// Which captured content is deterministic (hashed in snapshots).
    pub content: ContentSection,
}

impl H7Config {
    /// The board's sections of `file`, checked.
    pub fn read(file: &BoardFile) -> Result<H7Config, BoardFileError> {
        let probe = FlashBoard {
            name: file.name.clone(),
            flash: file.required_section("flash")?,
            usb: file.required_section("usb")?,
            dfu: file.optional_section("dfu")?,
        };
        probe
            .check()
            .map_err(|e| file.error_at(Some(e.section), e.key, e.message))?;
        Ok(H7Config {
            probe,
            firmware: FirmwareSection::read(file)?,
            serial: file.section("serial")?,
            timing: TimingSection::read(file)?,
            content: file.required_section("content")?,
        })
    }

    /// Read the board file at `path` ([`BoardFile::load`]) and its sections.
    pub fn load(path: &Path) -> Result<H7Config, BoardFileError> {
        Self::read(&BoardFile::load(path)?)
    }

    /// The firmware build for the repository at `root`.
    pub fn firmware_build(&self, root: &Path) -> FirmwareBuild {
        self.firmware.build(root, super::NAME)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    use std::path::PathBuf;

    fn from_toml(text: &str) -> Result<H7Config, BoardFileError> {
        H7Config::read(&BoardFile::parse(text.to_owned(), Path::new("h7.toml"))?)
    }

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
        let err = from_toml(&text).unwrap_err().to_string();
        assert!(err.contains("helo_timeout_ms"), "{err}");
        let line: usize = err.split(':').nth(1).unwrap().parse().unwrap();
        assert!(text
            .lines()
            .nth(line - 1)
            .unwrap()
            .contains("helo_timeout_ms"));
    }

    /// The line an error names, and that line of `text`.
    fn line_of(text: &str, err: &BoardFileError) -> String {
        assert!(err.line > 0 && err.col > 0, "{err}");
        text.lines().nth(err.line - 1).unwrap().to_owned()
    }

    /// A bad value, typo or selector in a flashing section (checked by
    /// hil-flash): the message says what, at the key's line.
    #[rstest::rstest]
    #[case::poll_ms_below_one("poll_ms = 100", "poll_ms = 0", "poll_ms must be at least 1")]
    #[case::reenumeration_shorter_than_a_poll(
        "reenumeration_timeout_ms = 10000",
        "reenumeration_timeout_ms = 10",
        "is shorter than usb.poll_ms"
    )]
    #[case::a_typo("vanish_ms = 2000", "vansh_ms = 2000", "vansh_ms")]
    #[case::a_bad_selector("# probe = \"0483:374f\"", "probe = \"0483-374f\"", "VID:PID")]
    fn a_flashing_section_error_names_its_line(
        #[case] from: &str,
        #[case] to: &str,
        #[case] message: &str,
    ) {
        let file = std::fs::read_to_string(repo().join("hil/boards/h7.toml")).unwrap();
        let text = file.replace(from, to);
        assert_ne!(text, file, "{from:?} is not in hil/boards/h7.toml");
        let err = from_toml(&text).unwrap_err();
        assert!(err.message.contains(message), "{err}");
        assert_eq!(line_of(&text, &err), to);
    }

    #[test]
    fn a_misspelt_section_name_is_named() {
        let file = std::fs::read_to_string(repo().join("hil/boards/h7.toml")).unwrap();
        let text = file.replace("[content]", "[contents]");
        let err = from_toml(&text).unwrap_err();
        assert!(err.message.contains("contents"), "{err}");
    }
}
