//! Finding the debug probe: listing (behind a trait so the selection logic is
//! tested without hardware), choosing one, and turning probe-rs' open errors
//! into messages that say what to do.

use std::fmt;

use probe_rs::probe::list::{Accessibility, Lister};
use probe_rs::probe::{DebugProbeError, ProbeCreationError};

use crate::selector::{self, DebugProbeSelector};

/// One attached debug probe, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeEntry {
    /// Driver's name for it, e.g. `STLink V3`.
    pub name: String,
    /// USB vendor id.
    pub vid: u16,
    /// USB product id.
    pub pid: u16,
    /// USB serial number.
    pub serial: Option<String>,
    /// False when the OS denies this user access (missing udev rules).
    pub accessible: bool,
}

impl ProbeEntry {
    /// The `VID:PID[:SERIAL]` that selects exactly this probe.
    pub fn selector(&self) -> DebugProbeSelector {
        selector::device(self.vid, self.pid, self.serial.clone())
    }
}

impl fmt::Display for ProbeEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.selector(), self.name)?;
        if !self.accessible {
            write!(f, " [no permission]")?;
        }
        Ok(())
    }
}

/// Lists attached probes.
pub trait ProbeLister {
    /// Every probe currently attached.
    fn probes(&self) -> Vec<ProbeEntry>;
}

/// The host's probes, through probe-rs.
#[derive(Debug, Default)]
pub struct SystemProbes {
    lister: Lister,
}

impl SystemProbes {
    /// A lister over all of probe-rs' drivers.
    pub fn new() -> Self {
        Self::default()
    }

    /// The underlying probe-rs lister (to open the chosen probe).
    pub fn lister(&self) -> &Lister {
        &self.lister
    }
}

impl ProbeLister for SystemProbes {
    fn probes(&self) -> Vec<ProbeEntry> {
        self.lister
            .list_all_with_access()
            .into_iter()
            .map(|item| ProbeEntry {
                name: item.info.identifier.clone(),
                vid: item.info.vendor_id,
                pid: item.info.product_id,
                serial: item.info.serial_number.clone(),
                accessible: item.accessibility == Accessibility::Accessible,
            })
            .collect()
    }
}

fn list(probes: &[ProbeEntry]) -> String {
    probes
        .iter()
        .map(|p| format!("\n  {p}"))
        .collect::<String>()
}

const UDEV_HINT: &str = "install probe-rs' udev rules (69-probe-rs.rules in /etc/udev/rules.d, then `udevadm control --reload` and re-plug the probe) or run as a user in the `plugdev` group";

/// The probe could not be found or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// Nothing attached.
    #[error("no debug probe found: connect an SWD probe (ST-LINK, J-Link or CMSIS-DAP) to this host and to the board's SWD pins (SWDIO, SWCLK, GND, NRST), and check that `lsusb` shows it; without a probe, flash over USB through the OpenMV bootloader with --flash dfu")]
    NoProbe,
    /// The selector matches no attached probe.
    #[error("no attached probe matches --probe {selector}; attached:{}\npass one of these with --probe", list(.attached))]
    NotFound {
        /// What was asked for.
        selector: DebugProbeSelector,
        /// What is attached.
        attached: Vec<ProbeEntry>,
    },
    /// Several probes match and none was chosen.
    #[error("{} probes match{}; choose one with --probe VID:PID:SERIAL:{}", .matching.len(), .selector.as_ref().map(|s| format!(" {s}")).unwrap_or_default(), list(.matching))]
    Several {
        /// The selector given, if any.
        selector: Option<DebugProbeSelector>,
        /// The matching probes.
        matching: Vec<ProbeEntry>,
    },
    /// The OS denies access.
    #[error("no permission to open probe {probe}: {UDEV_HINT}")]
    PermissionDenied {
        /// The probe.
        probe: ProbeEntry,
    },
    /// Another program holds the probe.
    #[error("probe {probe} is in use by another program (probe-rs, OpenOCD, an IDE debug session, pyOCD?): close it and retry")]
    InUse {
        /// The probe.
        probe: ProbeEntry,
    },
    /// Any other failure to open.
    #[error("cannot open probe {probe}: {reason}")]
    Open {
        /// The probe.
        probe: ProbeEntry,
        /// probe-rs' explanation.
        reason: String,
    },
}

/// Choose the probe to use: the one matching `selector`, or the only one
/// attached. Probes the user may not open are still listed so that the
/// permission problem is reported instead of "no probe".
pub fn select_probe(
    probes: &[ProbeEntry],
    selector: Option<&DebugProbeSelector>,
) -> Result<ProbeEntry, ProbeError> {
    if probes.is_empty() {
        return Err(ProbeError::NoProbe);
    }
    let matching: Vec<ProbeEntry> = probes
        .iter()
        .filter(|p| {
            selector.is_none_or(|s| selector::matches(s, p.vid, p.pid, p.serial.as_deref()))
        })
        .cloned()
        .collect();
    match matching.as_slice() {
        [] => Err(ProbeError::NotFound {
            selector: selector.cloned().unwrap_or(selector::usb(0, 0)),
            attached: probes.to_vec(),
        }),
        [one] if !one.accessible => Err(ProbeError::PermissionDenied { probe: one.clone() }),
        [one] => Ok(one.clone()),
        _ => Err(ProbeError::Several {
            selector: selector.cloned(),
            matching,
        }),
    }
}

const EBUSY: i32 = 16;
const EACCES: i32 = 13;

/// What an I/O error in the chain says about the probe.
fn io_cause(err: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::ResourceBusy || io.raw_os_error() == Some(EBUSY) {
                return Some(std::io::ErrorKind::ResourceBusy);
            }
            if io.kind() == std::io::ErrorKind::PermissionDenied
                || io.raw_os_error() == Some(EACCES)
            {
                return Some(std::io::ErrorKind::PermissionDenied);
            }
            // nusb maps "busy" to ErrorKind::Other and keeps its own error inside.
            if let Some(usb) = io.get_ref().and_then(|i| i.downcast_ref::<nusb::Error>()) {
                match usb.kind() {
                    nusb::ErrorKind::Busy => return Some(std::io::ErrorKind::ResourceBusy),
                    nusb::ErrorKind::PermissionDenied => {
                        return Some(std::io::ErrorKind::PermissionDenied)
                    }
                    _ => {}
                }
            }
        }
        if let Some(usb) = e.downcast_ref::<nusb::Error>() {
            if usb.kind() == nusb::ErrorKind::Busy {
                return Some(std::io::ErrorKind::ResourceBusy);
            }
        }
        cur = e.source();
    }
    None
}

/// Turn probe-rs' failure to open `probe` into a [`ProbeError`].
pub fn classify_open_error(probe: &ProbeEntry, err: &DebugProbeError) -> ProbeError {
    match io_cause(err) {
        Some(std::io::ErrorKind::ResourceBusy) => {
            return ProbeError::InUse {
                probe: probe.clone(),
            }
        }
        Some(std::io::ErrorKind::PermissionDenied) => {
            return ProbeError::PermissionDenied {
                probe: probe.clone(),
            }
        }
        _ => {}
    }
    match err {
        DebugProbeError::ProbeCouldNotBeCreated(ProbeCreationError::CouldNotOpen) => {
            ProbeError::Open {
                probe: probe.clone(),
                reason: format!("{err} (another program may hold it, or {UDEV_HINT})"),
            }
        }
        _ => ProbeError::Open {
            probe: probe.clone(),
            reason: crate::error::chain(err),
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::testing::test_probe as probe;
    use std::io;

    struct Fake(Vec<ProbeEntry>);
    impl ProbeLister for Fake {
        fn probes(&self) -> Vec<ProbeEntry> {
            self.0.clone()
        }
    }

    #[test]
    fn no_probe_attached_is_the_no_probe_error_with_wiring_advice() {
        let err = select_probe(&Fake(vec![]).probes(), None).unwrap_err();
        assert_eq!(err, ProbeError::NoProbe);
        assert!(err.to_string().contains("SWDIO"), "{err}");
        let sel: DebugProbeSelector = "0483:374f".parse().unwrap();
        assert_eq!(
            select_probe(&[], Some(&sel)).unwrap_err(),
            ProbeError::NoProbe
        );
    }

    #[test]
    fn the_only_probe_is_chosen_without_a_selector() {
        let p = probe(0x0483, 0x374f, "A");
        assert_eq!(select_probe(std::slice::from_ref(&p), None).unwrap(), p);
    }

    #[test]
    fn a_selector_picks_one_of_several_by_serial() {
        let a = probe(0x0483, 0x374f, "A");
        let b = probe(0x0483, 0x374f, "B");
        let sel: DebugProbeSelector = "0483:374f:B".parse().unwrap();
        assert_eq!(
            select_probe(&[a.clone(), b.clone()], Some(&sel)).unwrap(),
            b
        );
    }

    #[test]
    fn several_probes_without_a_serial_ask_for_one_and_list_them() {
        let a = probe(0x0483, 0x374f, "A");
        let b = probe(0x0483, 0x374f, "B");
        let j = probe(0x1366, 0x0101, "J");
        let err = select_probe(&[a.clone(), b.clone(), j.clone()], None).unwrap_err();
        assert!(matches!(&err, ProbeError::Several { matching, .. } if matching.len() == 3));
        let sel: DebugProbeSelector = "0483:374f".parse().unwrap();
        let err = select_probe(&[a, b, j], Some(&sel)).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("2 probes match 0483:374f; choose one"),
            "{msg}"
        );
        crate::testing::assert_contains_all(&msg, &["0483:374f:A (STLink V3)", "0483:374f:B"]);
        assert!(!msg.contains("1366"), "{msg}");
    }

    #[test]
    fn a_selector_that_matches_nothing_lists_what_is_attached() {
        let a = probe(0x0483, 0x374f, "A");
        let sel: DebugProbeSelector = "0483:374f:Z".parse().unwrap();
        let err = select_probe(std::slice::from_ref(&a), Some(&sel)).unwrap_err();
        assert_eq!(
            err,
            ProbeError::NotFound {
                selector: sel,
                attached: vec![a]
            }
        );
        let msg = err.to_string();
        crate::testing::assert_contains_all(&msg, &["--probe 0483:374f:Z", "0483:374f:A"]);
    }

    #[test]
    fn a_probe_without_permission_says_how_to_fix_it() {
        let mut a = probe(0x0483, 0x374f, "A");
        a.accessible = false;
        let err = select_probe(&[a.clone()], None).unwrap_err();
        assert_eq!(err, ProbeError::PermissionDenied { probe: a });
        assert!(err.to_string().contains("udev"), "{err}");
    }

    #[test]
    fn open_errors_are_classified_from_the_io_cause() {
        let p = probe(0x0483, 0x374f, "A");
        let busy = DebugProbeError::ProbeCouldNotBeCreated(ProbeCreationError::Usb(
            io::Error::from(io::ErrorKind::ResourceBusy),
        ));
        assert_eq!(
            classify_open_error(&p, &busy),
            ProbeError::InUse { probe: p.clone() }
        );
        let ebusy = DebugProbeError::Usb(io::Error::from_raw_os_error(EBUSY));
        assert_eq!(
            classify_open_error(&p, &ebusy),
            ProbeError::InUse { probe: p.clone() }
        );
        let denied = DebugProbeError::ProbeCouldNotBeCreated(ProbeCreationError::Usb(
            io::Error::from(io::ErrorKind::PermissionDenied),
        ));
        assert_eq!(
            classify_open_error(&p, &denied),
            ProbeError::PermissionDenied { probe: p.clone() }
        );
        let other = DebugProbeError::Other("firmware too old".into());
        match classify_open_error(&p, &other) {
            ProbeError::Open { reason, .. } => assert!(reason.contains("firmware too old")),
            e => panic!("{e:?}"),
        }
        let could_not = DebugProbeError::ProbeCouldNotBeCreated(ProbeCreationError::CouldNotOpen);
        match classify_open_error(&p, &could_not) {
            ProbeError::Open { reason, .. } => {
                assert!(reason.contains("another program"), "{reason}")
            }
            e => panic!("{e:?}"),
        }
        assert!(ProbeError::InUse { probe: p }
            .to_string()
            .contains("OpenOCD"));
    }
}
