//! Flashing through probe-rs: open the chosen probe, attach to the chip,
//! check that it is the expected chip and not read-protected, program and
//! verify the ELF with progress events, then reset and run.
//!
//! Everything up to opening the probe, and the interpretation of what the
//! chip answers, is plain code tested without hardware; the calls into a
//! live probe are the thin remainder.

use std::path::PathBuf;

use probe_rs::flashing::{download_file_with_options, DownloadOptions, ElfLoader, FlashProgress};
use probe_rs::probe::{DebugProbeError, Probe};
use probe_rs::{MemoryInterface, Permissions, Session};

use crate::board::{FlashSection, IdCheck, RdpCheck};
use crate::elf::ElfImage;
use crate::error::{chain, Error};
use crate::probe::{classify_open_error, select_probe, ProbeEntry, ProbeLister, SystemProbes};
use crate::progress::{FlashEvent, FlashObserver};
use crate::sectors;
use crate::target;

/// What to flash where.
#[derive(Debug, Clone, PartialEq)]
pub struct FlashRequest {
    /// The firmware ELF.
    pub elf: PathBuf,
    /// The chip, the probe and the checks: the board's `[flash]` section
    /// (its `probe` replaced by `--probe` when given). Its `keep` area is
    /// never erased unless `erase_bootloader`.
    pub flash: FlashSection,
    /// `--erase-bootloader` was given.
    pub erase_bootloader: bool,
}

/// What was flashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashReport {
    /// The probe used.
    pub probe: ProbeEntry,
    /// The chip flashed.
    pub chip: String,
    /// Bytes written (and verified).
    pub bytes: u64,
}

/// Attaching, checking, flashing or resetting failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The probe refused the SWD clock.
    #[error("probe {probe} cannot run SWD at {khz} kHz: {reason} (lower flash.speed_khz in the board file)")]
    Speed {
        /// The probe.
        probe: String,
        /// Requested clock.
        khz: u32,
        /// Why.
        reason: String,
    },
    /// The probe found no chip or the chip did not answer.
    #[error("cannot attach to {chip}: {reason}\ncheck that the board is powered (its USB cable plugged in), that SWDIO, SWCLK, GND and NRST go to the probe, then try `connect_under_reset = true` in the board file; a chip at readout protection level 2 never answers")]
    Attach {
        /// The chip.
        chip: String,
        /// probe-rs' explanation.
        reason: String,
    },
    /// The chip on the wire is not the expected one.
    #[error("the probe is attached to another chip: {} at {address:#010x} (expected {expected:#x} for {chip}); is the probe wired to the right board, and is --board right?", found_text(.found, .reason))]
    WrongChip {
        /// The expected chip.
        chip: String,
        /// The identity register.
        address: u64,
        /// Expected id.
        expected: u32,
        /// Id read, if the read succeeded.
        found: Option<u32>,
        /// Why the read failed, if it did.
        reason: Option<String>,
    },
    /// Readout protection level 1: flash is not accessible to the debugger.
    #[error("{chip} is read-protected (RDP level 1, value {level:#04x}): the debugger can neither read nor write its flash. Unlocking erases the whole flash: `STM32_Programmer_CLI -c port=SWD -ob RDP=0xAA`, then retry")]
    Locked {
        /// The chip.
        chip: String,
        /// The RDP field's value.
        level: u32,
    },
    /// Readout protection that can never be removed.
    #[error("{chip} is permanently locked (RDP level 2, value {level:#04x}): it cannot be flashed by any debugger; use another board")]
    PermanentlyLocked {
        /// The chip.
        chip: String,
        /// The RDP field's value.
        level: u32,
    },
    /// The protection register could not be read.
    #[error("cannot read the readout protection of {chip} at {address:#010x}: {reason}")]
    ProtectionUnreadable {
        /// The chip.
        chip: String,
        /// The register.
        address: u64,
        /// Why.
        reason: String,
    },
    /// Erasing, programming or verifying failed.
    #[error("flashing {chip} failed: {reason}")]
    Flash {
        /// The chip.
        chip: String,
        /// probe-rs' explanation.
        reason: String,
    },
    /// Reset-and-run failed.
    #[error("flashed {chip}, but resetting it failed: {reason} (power-cycle the board)")]
    Reset {
        /// The chip.
        chip: String,
        /// Why.
        reason: String,
    },
}

fn found_text(found: &Option<u32>, reason: &Option<String>) -> String {
    match (found, reason) {
        (Some(id), _) => format!("device id {id:#x}"),
        (None, Some(r)) => format!("the id register cannot be read ({r})"),
        (None, None) => "unknown device id".into(),
    }
}

/// Check the chip's identity and protection, reading registers with `read`.
pub fn check_chip(
    chip: &str,
    idcode: Option<IdCheck>,
    rdp: Option<RdpCheck>,
    read: &mut dyn FnMut(u64) -> Result<u32, String>,
) -> Result<(), SessionError> {
    if let Some(id) = idcode {
        let wrong = |found, reason| SessionError::WrongChip {
            chip: chip.to_owned(),
            address: id.address,
            expected: id.expect,
            found,
            reason,
        };
        match read(id.address) {
            Ok(v) if v & id.mask == id.expect => {}
            Ok(v) => return Err(wrong(Some(v & id.mask), None)),
            Err(reason) => return Err(wrong(None, Some(reason))),
        }
    }
    if let Some(r) = rdp {
        let value = read(r.address).map_err(|reason| SessionError::ProtectionUnreadable {
            chip: chip.to_owned(),
            address: r.address,
            reason,
        })?;
        let level = (value >> r.shift) & r.mask;
        if level == r.unlocked {
            return Ok(());
        }
        let chip = chip.to_owned();
        return Err(if Some(level) == r.permanent {
            SessionError::PermanentlyLocked { chip, level }
        } else {
            SessionError::Locked { chip, level }
        });
    }
    Ok(())
}

/// Sets `probe`'s SWD clock to `khz` when the board file gives one.
pub(crate) fn apply_speed(
    probe: &mut Probe,
    entry: &ProbeEntry,
    khz: Option<u32>,
) -> Result<(), SessionError> {
    if let Some(khz) = khz {
        probe.set_speed(khz).map_err(|e| SessionError::Speed {
            probe: entry.to_string(),
            khz,
            reason: chain(&e),
        })?;
    }
    Ok(())
}

/// Turn a probe-rs attach failure into our error.
pub fn classify_attach_error(chip: &str, probe: &ProbeEntry, err: &probe_rs::Error) -> Error {
    if let probe_rs::Error::Probe(p) = err {
        if let e @ (crate::probe::ProbeError::InUse { .. }
        | crate::probe::ProbeError::PermissionDenied { .. }) = classify_open_error(probe, p)
        {
            return e.into();
        }
        if matches!(p, DebugProbeError::TargetNotFound) {
            return SessionError::Attach {
                chip: chip.to_owned(),
                reason: "the probe sees no chip on SWD".into(),
            }
            .into();
        }
    }
    SessionError::Attach {
        chip: chip.to_owned(),
        reason: chain(err),
    }
    .into()
}

/// Flash `req.elf` onto the chip through the probe chosen from `probes`,
/// verify it, reset and run. Progress goes to `observer`.
pub fn flash(
    req: &FlashRequest,
    probes: &SystemProbes,
    observer: &mut dyn FlashObserver,
) -> Result<FlashReport, Error> {
    let section = &req.flash;
    let target = target::lookup(&section.chip)?;
    let image = ElfImage::load(&req.elf)?;
    target::check_fits(&target, &image)?;
    // Checked again here, on the file actually flashed: probe-rs erases
    // every sector the image touches, and only those (no chip erase).
    let erase = sectors::touched(&sectors::chip_sectors(&target), &image);
    sectors::check_keep(&erase, section.keep.as_ref(), &image, req.erase_bootloader)?;
    let entry = select_probe(&probes.probes(), section.probe.as_ref())?;
    observer.event(FlashEvent::Message(format!("probe {entry}")));
    let mut probe = probes
        .lister()
        .open(entry.selector())
        .map_err(|e| classify_open_error(&entry, &e))?;
    apply_speed(&mut probe, &entry, section.speed_khz)?;
    let chip = target.name.clone();
    let attached = if section.connect_under_reset {
        probe.attach_under_reset(target, Permissions::default())
    } else {
        probe.attach(target, Permissions::default())
    };
    let mut session = attached.map_err(|e| classify_attach_error(&chip, &entry, &e))?;
    observer.event(FlashEvent::Message(format!("attached to {chip}")));
    check_session(&mut session, req, &chip)?;

    let mut options = DownloadOptions::default();
    options.verify = true;
    options.progress = FlashProgress::new(|ev| {
        if let Some(e) = FlashEvent::from_probe_rs(&ev) {
            observer.event(e);
        }
    });
    download_file_with_options(
        &mut session,
        &req.elf,
        ElfLoader(Default::default()),
        options,
    )
    .map_err(|e| SessionError::Flash {
        chip: chip.clone(),
        reason: chain(&e),
    })?;
    let reset = |e: probe_rs::Error| SessionError::Reset {
        chip: chip.clone(),
        reason: chain(&e),
    };
    session.core(0).map_err(reset)?.reset().map_err(reset)?;
    Ok(FlashReport {
        probe: entry,
        chip: chip.clone(),
        bytes: image.load_bytes(),
    })
}

fn check_session(
    session: &mut Session,
    req: &FlashRequest,
    chip: &str,
) -> Result<(), SessionError> {
    let mut core = session.core(0).map_err(|e| SessionError::Attach {
        chip: chip.to_owned(),
        reason: chain(&e),
    })?;
    let section = &req.flash;
    check_chip(
        chip,
        section.idcode,
        section.readout_protection,
        &mut |addr| core.read_word_32(addr).map_err(|e| chain(&e)),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::testing::write_test_elf;
    use std::collections::HashMap;

    const ID: IdCheck = IdCheck {
        address: 0x5C00_1000,
        mask: 0xFFF,
        expect: 0x450,
    };
    const RDP: RdpCheck = RdpCheck {
        address: 0x5200_201C,
        shift: 8,
        mask: 0xFF,
        unlocked: 0xAA,
        permanent: Some(0xCC),
    };

    fn regs(pairs: &[(u64, u32)]) -> impl FnMut(u64) -> Result<u32, String> {
        let map: HashMap<u64, u32> = pairs.iter().copied().collect();
        move |a| {
            map.get(&a)
                .copied()
                .ok_or_else(|| format!("bus fault at {a:#x}"))
        }
    }

    #[test]
    fn an_unlocked_h743_passes() {
        // Rev V H743: REV_ID 0x2003 in the top half; OPTSR_CUR with RDP 0xAA.
        let mut read = regs(&[(0x5C00_1000, 0x2003_6450), (0x5200_201C, 0x1F6A_AAF0)]);
        check_chip("STM32H743VITx", Some(ID), Some(RDP), &mut read).unwrap();
    }

    #[test]
    fn another_chip_is_named_by_its_device_id() {
        // An STM32F405's DEV_ID is 0x413.
        let mut read = regs(&[(0x5C00_1000, 0x1000_7413), (0x5200_201C, 0xAA00)]);
        let err = check_chip("STM32H743VITx", Some(ID), Some(RDP), &mut read).unwrap_err();
        assert!(
            matches!(
                err,
                SessionError::WrongChip {
                    found: Some(0x413),
                    ..
                }
            ),
            "{err:?}"
        );
        let msg = err.to_string();
        crate::testing::assert_contains_all(&msg, &["device id 0x413", "expected 0x450"]);
    }

    #[test]
    fn a_chip_without_the_id_register_is_a_wrong_chip_with_the_read_error() {
        let mut read = regs(&[]);
        let err = check_chip("STM32H743VITx", Some(ID), None, &mut read).unwrap_err();
        match &err {
            SessionError::WrongChip {
                found: None,
                reason: Some(r),
                ..
            } => assert!(r.contains("bus fault")),
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("cannot be read"), "{err}");
    }

    #[rstest::rstest]
    #[case::level_1_is_locked_with_the_unlock_command(
        0xBB,
        SessionError::Locked { chip: "STM32H743VITx".into(), level: 0xBB },
        "RDP=0xAA"
    )]
    #[case::level_2_is_permanent(
        0xCC,
        SessionError::PermanentlyLocked { chip: "STM32H743VITx".into(), level: 0xCC },
        "permanently locked"
    )]
    fn rdp_levels_other_than_unlocked_are_refused(
        #[case] level: u32,
        #[case] expected: SessionError,
        #[case] says: &str,
    ) {
        let mut read = regs(&[(0x5C00_1000, 0x450), (0x5200_201C, level << 8)]);
        let err = check_chip("STM32H743VITx", Some(ID), Some(RDP), &mut read).unwrap_err();
        assert_eq!(err, expected);
        assert!(err.to_string().contains(says), "{err}");
    }

    #[test]
    fn an_unreadable_protection_register_is_reported() {
        let mut read = regs(&[(0x5C00_1000, 0x450)]);
        let err = check_chip("STM32H743VITx", Some(ID), Some(RDP), &mut read).unwrap_err();
        assert!(matches!(
            err,
            SessionError::ProtectionUnreadable {
                address: 0x5200_201C,
                ..
            }
        ));
    }

    #[test]
    fn no_checks_configured_reads_nothing() {
        let mut read = |_| -> Result<u32, String> { panic!("must not read") };
        check_chip("X", None, None, &mut read).unwrap();
    }

    fn entry() -> ProbeEntry {
        crate::testing::test_probe(0x0483, 0x374f, "A")
    }

    #[test]
    fn attach_errors_say_what_to_check() {
        let e = classify_attach_error(
            "STM32H743VITx",
            &entry(),
            &probe_rs::Error::Probe(DebugProbeError::TargetNotFound),
        );
        let msg = e.to_string();
        assert!(matches!(e, Error::Session(SessionError::Attach { .. })));
        crate::testing::assert_contains_all(&msg, &["sees no chip", "connect_under_reset"]);
        let e = classify_attach_error("STM32H743VITx", &entry(), &probe_rs::Error::Timeout);
        assert!(
            matches!(e, Error::Session(SessionError::Attach { .. })),
            "{e:?}"
        );
        let busy = probe_rs::Error::Probe(DebugProbeError::Usb(std::io::Error::from(
            std::io::ErrorKind::ResourceBusy,
        )));
        let e = classify_attach_error("STM32H743VITx", &entry(), &busy);
        assert!(
            matches!(e, Error::Probe(crate::probe::ProbeError::InUse { .. })),
            "{e:?}"
        );
    }

    #[test]
    fn flashing_with_no_probe_attached_stops_at_the_no_probe_error() {
        // This machine has no probe: the real lister returns an empty list,
        // and flash() must stop there with the no-probe message (after the
        // checks that need no probe have passed).
        let Some(probes) = crate::testing::system_probes_if_none() else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let req = FlashRequest {
            elf: write_test_elf(
                dir.path(),
                "agent.elf",
                0x0804_0101,
                &[(0x0804_0000, &[0; 256])],
            ),
            flash: FlashSection {
                chip: "STM32H743VITx".into(),
                probe: None,
                speed_khz: None,
                connect_under_reset: false,
                idcode: Some(ID),
                readout_protection: Some(RDP),
                keep: Some(crate::sectors::KeepArea {
                    start: 0x0800_0000,
                    end: 0x0804_0000,
                    name: "the bootloader".into(),
                }),
                vector_table: None,
            },
            erase_bootloader: false,
        };
        let mut log: Vec<FlashEvent> = vec![];
        let err = flash(&req, &probes, &mut log).unwrap_err();
        assert!(
            matches!(err, Error::Probe(crate::probe::ProbeError::NoProbe)),
            "{err:?}"
        );
        assert!(log.is_empty());
        // And a bad chip name is reported before looking for a probe at all.
        let mut bad = req;
        bad.flash.chip = "STM32H734VITx".into();
        let err = flash(&bad, &probes, &mut log).unwrap_err();
        assert!(matches!(err, Error::Target(_)), "{err:?}");
        // And so is an image over the bootloader.
        let dir2 = tempfile::tempdir().unwrap();
        let mut low_req = bad;
        low_req.elf = write_test_elf(
            dir2.path(),
            "low.elf",
            0x0800_0101,
            &[(0x0800_0000, &[0; 256])],
        );
        low_req.flash.chip = "STM32H743VITx".into();
        let err = flash(&low_req, &probes, &mut log).unwrap_err();
        assert!(matches!(err, Error::Keep(_)), "{err:?}");
    }
}
