//! The sections of a board file (`hil/boards/<board>.toml`) that flashing
//! and port discovery need: `[flash]` and `[usb]` (and `[dfu]`, in
//! [`crate::dfu`]). The harness reads the file; inside these sections an
//! unknown key is an error, so a typo never silently falls back to a
//! default.

use serde::Deserialize;

use crate::selector::DebugProbeSelector;

/// What flashing a board and finding its port need: the board's name and
/// its `[flash]`, `[usb]` and `[dfu]` sections. The harness reads them from
/// the board file (`omv_hil::boards::BoardFile`, which names file, line
/// and column in its errors) and checks them with [`FlashBoard::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct FlashBoard {
    /// The board's name (`h7`).
    pub name: String,
    /// How to flash it.
    pub flash: FlashSection,
    /// How to find the agent's USB CDC-ACM port.
    pub usb: UsbSection,
    /// Flashing without a probe through the board's USB DFU bootloader.
    pub dfu: Option<crate::dfu::DfuSection>,
}

// In the sections below an absent `Option` key is `None` without
// `#[serde(default)]`; only the other optional keys need it.

/// `[flash]`: the chip and the probe.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlashSection {
    /// probe-rs target name, e.g. `STM32H743VITx`.
    pub chip: String,
    /// Default probe (`VID:PID[:SERIAL]`); absent = the only probe attached.
    pub probe: Option<DebugProbeSelector>,
    /// SWD clock in kHz; absent = the probe's default.
    pub speed_khz: Option<u32>,
    /// Hold NRST while attaching (needed when the firmware disables SWD or
    /// sleeps deeply).
    #[serde(default)]
    pub connect_under_reset: bool,
    /// A read-only register that identifies the chip, checked after attach.
    pub idcode: Option<IdCheck>,
    /// Where the readout protection level is, checked before erasing.
    pub readout_protection: Option<RdpCheck>,
    /// Flash that is never erased unless `--erase-bootloader` is given
    /// (the OpenMV bootloader).
    pub keep: Option<crate::sectors::KeepArea>,
    /// Where the bootloader reads the firmware's vector table; the board's
    /// own agent build is checked against it (`vectors::check`).
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
    pub fn selector(&self) -> DebugProbeSelector {
        crate::selector::device(self.vid, self.pid, self.serial.clone())
    }
}

/// A value in a section that its type alone cannot check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    /// The section (`flash`, `usb`).
    pub section: &'static str,
    /// The key whose value is wrong.
    pub key: &'static str,
    /// What is wrong, naming the key.
    pub message: String,
}

impl FlashBoard {
    /// Value checks that types alone cannot express; the error names the
    /// section and key, for the harness to point at its line.
    pub fn check(&self) -> Result<(), Invalid> {
        let fail = |section: &'static str, key: &'static str, message: String| {
            Err(Invalid {
                section,
                key,
                message,
            })
        };
        if self.flash.chip.trim().is_empty() {
            return fail(
                "flash",
                "chip",
                "flash.chip is empty: name a probe-rs target such as `STM32H743VITx`".into(),
            );
        }
        if self.usb.poll_ms == 0 {
            return fail("usb", "poll_ms", "usb.poll_ms must be at least 1".into());
        }
        if self.usb.reenumeration_timeout_ms < self.usb.poll_ms {
            return fail(
                "usb",
                "reenumeration_timeout_ms",
                format!(
                    "usb.reenumeration_timeout_ms ({}) is shorter than usb.poll_ms ({})",
                    self.usb.reenumeration_timeout_ms, self.usb.poll_ms
                ),
            );
        }
        Ok(())
    }
}

/// The sections of a board file this crate's types cover, the others
/// skipped (for tests: the harness reads board files itself).
#[cfg(test)]
#[derive(Deserialize)]
struct TestFile {
    name: String,
    flash: FlashSection,
    usb: UsbSection,
    #[serde(default)]
    dfu: Option<crate::dfu::DfuSection>,
}

/// A board from the text of a board file, checked (tests only).
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn test_board(text: &str) -> Result<FlashBoard, String> {
    let f: TestFile = toml::from_str(text).map_err(|e| e.message().to_owned())?;
    let board = FlashBoard {
        name: f.name,
        flash: f.flash,
        usb: f.usb,
        dfu: f.dfu,
    };
    board.check().map_err(|e| e.to_string())?;
    Ok(board)
}

/// The repository's own `hil/boards/h7.toml`, loaded: the board the plan
/// tests check against.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn repo_h7_board() -> FlashBoard {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hil/boards/h7.toml");
    test_board(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_h7_board_file_has_the_values_the_hardware_needs() {
        let board = repo_h7_board();
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
"#;

    #[test]
    fn optional_fields_default() {
        let b = test_board(MINIMAL).unwrap();
        let f = &b.flash;
        assert_eq!((&f.probe, f.speed_khz, f.vector_table), (&None, None, None));
        assert_eq!(
            (f.idcode, f.readout_protection, &f.keep),
            (None, None, &None)
        );
        assert!(!f.connect_under_reset);
        assert_eq!(b.usb.serial, None);
        assert_eq!(b.dfu, None);
        assert_eq!(b.usb.selector(), crate::selector::usb(0x1209, 0x0001));
    }

    #[test]
    fn a_typo_in_a_section_is_refused_naming_the_field() {
        let msg = test_board(&MINIMAL.replace("poll_ms = 100", "pol_ms = 100")).unwrap_err();
        assert!(msg.contains("pol_ms"), "{msg}");
        let msg = test_board(&MINIMAL.replace(
            "chip = \"STM32H743VITx\"",
            "chip = \"STM32H743VITx\"\nprobe = \"0483-374f\"",
        ))
        .unwrap_err();
        assert!(msg.contains("VID:PID"), "{msg}");
    }

    #[test]
    fn value_checks_name_the_section_and_key() {
        let mut b = test_board(MINIMAL).unwrap();
        b.usb.reenumeration_timeout_ms = 10;
        let e = b.check().unwrap_err();
        assert_eq!((e.section, e.key), ("usb", "reenumeration_timeout_ms"));
        assert!(
            e.message
                .contains("reenumeration_timeout_ms (10) is shorter than usb.poll_ms (100)"),
            "{e}"
        );
        b.usb.poll_ms = 0;
        let e = b.check().unwrap_err();
        assert_eq!(e.key, "poll_ms");
        assert!(e.message.contains("poll_ms must be at least 1"), "{e}");
        let mut b = test_board(MINIMAL).unwrap();
        b.flash.chip = " ".into();
        let e = b.check().unwrap_err();
        assert_eq!((e.section, e.key), ("flash", "chip"));
        assert!(e.message.contains("flash.chip is empty"), "{e}");
    }
}
