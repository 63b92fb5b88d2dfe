//! Finding the agent's USB CDC-ACM port, and waiting for it to come back
//! after a reset. The port list is behind [`PortLister`] and time behind
//! [`omv_imageio::Wait`], so both are tested without hardware or sleeping.

use std::fmt;

use omv_imageio::Wait;

use crate::selector::{self, DebugProbeSelector};

/// USB identity of a serial port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbIds {
    /// Vendor id.
    pub vid: u16,
    /// Product id.
    pub pid: u16,
    /// Serial number.
    pub serial: Option<String>,
}

/// One serial port as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortEntry {
    /// Device path, e.g. `/dev/ttyACM0`.
    pub path: String,
    /// USB ids when the port is a USB device.
    pub usb: Option<UsbIds>,
}

impl fmt::Display for PortEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(u) = &self.usb {
            write!(f, " (USB {:04x}:{:04x}", u.vid, u.pid)?;
            if let Some(s) = &u.serial {
                write!(f, " serial {s}")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

/// Lists serial ports.
pub trait PortLister {
    /// The ports present now.
    fn ports(&mut self) -> Result<Vec<PortEntry>, PortError>;
    /// Whether a device path exists now (for `--port PATH`).
    fn exists(&mut self, path: &str) -> bool;
}

/// The host's ports, through `serialport::available_ports` (sysfs on
/// Linux; PTYs are never listed, so `--port` is checked on the file system).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemPorts;

impl PortLister for SystemPorts {
    fn ports(&mut self) -> Result<Vec<PortEntry>, PortError> {
        let ports = serialport::available_ports().map_err(|e| PortError::List(e.to_string()))?;
        Ok(ports
            .into_iter()
            .map(|p| PortEntry {
                usb: match p.port_type {
                    serialport::SerialPortType::UsbPort(u) => Some(UsbIds {
                        vid: u.vid,
                        pid: u.pid,
                        serial: u.serial_number,
                    }),
                    _ => None,
                },
                path: p.port_name,
            })
            .collect())
    }

    fn exists(&mut self, path: &str) -> bool {
        std::path::Path::new(path).exists()
    }
}

/// Which port is the agent's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortChoice {
    /// A path given with `--port`.
    Path(String),
    /// The USB device with these ids (from the board file).
    Usb(DebugProbeSelector),
}

impl fmt::Display for PortChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortChoice::Path(p) => write!(f, "{p}"),
            PortChoice::Usb(s) if s.serial_number.is_none() => write!(f, "USB {s} (any serial)"),
            PortChoice::Usb(s) => write!(f, "USB {s}"),
        }
    }
}

/// How long and how often to look for the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitPolicy {
    /// Give up after this long (µs).
    pub timeout_us: u64,
    /// List ports this often (µs).
    pub poll_us: u64,
    /// When the port existed before the reset, wait at most this long (µs)
    /// for it to disappear before looking for it again.
    pub vanish_us: u64,
}

impl WaitPolicy {
    /// The policy of a board file's `[usb]` section.
    pub fn from_board(usb: &crate::board::UsbSection) -> Self {
        WaitPolicy {
            timeout_us: usb.reenumeration_timeout_ms.saturating_mul(1000),
            poll_us: usb.poll_ms.saturating_mul(1000).max(1),
            vanish_us: usb.vanish_ms.saturating_mul(1000),
        }
    }
}

fn list(ports: &[PortEntry]) -> String {
    if ports.is_empty() {
        return " none".into();
    }
    ports.iter().map(|p| format!("\n  {p}")).collect()
}

/// The agent's port could not be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// Listing ports failed.
    #[error("cannot list serial ports: {0}")]
    List(String),
    /// More than one port matches.
    #[error("{} serial ports match {choice}:{}\npass --port PATH, or set usb.serial in the board file", .matching.len(), list(.matching))]
    Several {
        /// What was looked for.
        choice: PortChoice,
        /// The matching ports.
        matching: Vec<PortEntry>,
    },
    /// The port did not appear in time.
    #[error("the agent's serial port ({choice}) did not appear within {waited_ms} ms after reset; ports present:{}\ncheck that flashing succeeded, that the board's USB connector is plugged into this host with a data cable, and that no other program (ModemManager, a serial monitor) holds it; or pass --port PATH", list(.present))]
    Timeout {
        /// What was looked for.
        choice: PortChoice,
        /// How long we waited.
        waited_ms: u64,
        /// The ports present at the end.
        present: Vec<PortEntry>,
    },
    /// The wait was cancelled.
    #[error("waiting for the agent's serial port ({choice}) was cancelled")]
    Cancelled {
        /// What was looked for.
        choice: PortChoice,
    },
}

/// The matching port present now, if any.
pub fn find_port(
    lister: &mut dyn PortLister,
    choice: &PortChoice,
) -> Result<Option<String>, PortError> {
    match choice {
        PortChoice::Path(p) => Ok(lister.exists(p).then(|| p.clone())),
        PortChoice::Usb(sel) => {
            let matching: Vec<PortEntry> = lister
                .ports()?
                .into_iter()
                .filter(|p| {
                    p.usb
                        .as_ref()
                        .is_some_and(|u| selector::matches(sel, u.vid, u.pid, u.serial.as_deref()))
                })
                .collect();
            match matching.as_slice() {
                [] => Ok(None),
                [one] => Ok(Some(one.path.clone())),
                _ => Err(PortError::Several {
                    choice: choice.clone(),
                    matching,
                }),
            }
        }
    }
}

/// Wait until the agent's port is present after a reset, and return its path.
///
/// If the port was `present_before` the reset, first wait (at most
/// `policy.vanish_us`) for it to disappear, so the old firmware's port is
/// not taken for the new one; if it never disappears the reset was too quick
/// for the host to notice, and the present port is used. Then poll every
/// `policy.poll_us` until it appears, giving up `policy.timeout_us` after
/// the call with [`PortError::Timeout`].
pub fn wait_for_port(
    lister: &mut dyn PortLister,
    clock: &mut dyn Wait,
    choice: &PortChoice,
    policy: WaitPolicy,
    present_before: bool,
) -> Result<String, PortError> {
    let start = clock.now_us();
    let deadline = start.saturating_add(policy.timeout_us);
    let poll = policy.poll_us.max(1);
    let cancelled = || PortError::Cancelled {
        choice: choice.clone(),
    };
    if present_before {
        let vanish_deadline = start.saturating_add(policy.vanish_us).min(deadline);
        loop {
            if find_port(lister, choice)?.is_none() {
                break;
            }
            let now = clock.now_us();
            if now >= vanish_deadline {
                break;
            }
            clock
                .wait_until(now.saturating_add(poll).min(vanish_deadline))
                .map_err(|_| cancelled())?;
        }
    }
    loop {
        if let Some(path) = find_port(lister, choice)? {
            return Ok(path);
        }
        let now = clock.now_us();
        if now >= deadline {
            return Err(PortError::Timeout {
                choice: choice.clone(),
                waited_ms: (now - start) / 1000,
                present: lister.ports().unwrap_or_default(),
            });
        }
        clock
            .wait_until(now.saturating_add(poll).min(deadline))
            .map_err(|_| cancelled())?;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use omv_imageio::{Cancelled, Clock, ManualClock};

    fn usb(path: &str, vid: u16, pid: u16, serial: &str) -> PortEntry {
        PortEntry {
            path: path.into(),
            usb: Some(UsbIds {
                vid,
                pid,
                serial: Some(serial.into()),
            }),
        }
    }

    fn agent(path: &str) -> PortEntry {
        usb(path, 0x1209, 0x0001, "3F0042001851")
    }

    fn other() -> PortEntry {
        usb("/dev/ttyACM7", 0x0483, 0x374e, "STLINK-VCP")
    }

    /// Returns one scripted list per call (the last one repeats) and counts calls.
    struct Script {
        lists: Vec<Vec<PortEntry>>,
        calls: usize,
        existing: Vec<String>,
    }

    impl Script {
        fn new(lists: Vec<Vec<PortEntry>>) -> Self {
            Script {
                lists,
                calls: 0,
                existing: vec![],
            }
        }
    }

    impl PortLister for Script {
        fn ports(&mut self) -> Result<Vec<PortEntry>, PortError> {
            let i = self.calls.min(self.lists.len() - 1);
            self.calls += 1;
            Ok(self.lists[i].clone())
        }
        fn exists(&mut self, path: &str) -> bool {
            self.calls += 1;
            self.existing.iter().any(|p| p == path)
        }
    }

    const POLICY: WaitPolicy = WaitPolicy {
        timeout_us: 10_000_000,
        poll_us: 100_000,
        vanish_us: 2_000_000,
    };

    fn sel() -> PortChoice {
        PortChoice::Usb(selector::usb(0x1209, 0x0001))
    }

    #[test]
    fn finds_the_agent_among_other_ports_by_vid_pid() {
        let mut l = Script::new(vec![vec![other(), agent("/dev/ttyACM1")]]);
        assert_eq!(
            find_port(&mut l, &sel()).unwrap().as_deref(),
            Some("/dev/ttyACM1")
        );
        let mut l = Script::new(vec![vec![other()]]);
        assert_eq!(find_port(&mut l, &sel()).unwrap(), None);
    }

    #[test]
    fn the_serial_number_tells_two_agents_apart() {
        let a = usb("/dev/ttyACM0", 0x1209, 0x0001, "AAA");
        let b = usb("/dev/ttyACM1", 0x1209, 0x0001, "BBB");
        let mut l = Script::new(vec![vec![a.clone(), b.clone()]]);
        let err = find_port(&mut l, &sel()).unwrap_err();
        assert_eq!(
            err,
            PortError::Several {
                choice: sel(),
                matching: vec![a, b]
            }
        );
        assert!(err.to_string().contains("pass --port PATH"), "{err}");
        let one = PortChoice::Usb("1209:0001:BBB".parse().unwrap());
        assert_eq!(
            find_port(&mut l, &one).unwrap().as_deref(),
            Some("/dev/ttyACM1")
        );
    }

    #[test]
    fn the_port_is_returned_as_soon_as_it_appears() {
        let mut l = Script::new(vec![vec![], vec![], vec![], vec![agent("/dev/ttyACM3")]]);
        let mut clock = ManualClock::new(5_000_000);
        let path = wait_for_port(&mut l, &mut clock, &sel(), POLICY, false).unwrap();
        assert_eq!(path, "/dev/ttyACM3");
        assert_eq!(l.calls, 4);
        assert_eq!(clock.waited_us, 3 * POLICY.poll_us);
    }

    #[test]
    fn a_port_that_never_appears_times_out_at_the_deadline_listing_what_is_there() {
        let mut l = Script::new(vec![vec![other()]]);
        let mut clock = ManualClock::new(0);
        let err = wait_for_port(&mut l, &mut clock, &sel(), POLICY, false).unwrap_err();
        assert_eq!(
            err,
            PortError::Timeout {
                choice: sel(),
                waited_ms: 10_000,
                present: vec![other()]
            }
        );
        assert_eq!(clock.now_us(), POLICY.timeout_us);
        // One look at t=0, then one per poll up to and including the deadline, then the final listing.
        assert_eq!(l.calls, 1 + 100 + 1);
        let msg = err.to_string();
        crate::testing::assert_contains_all(
            &msg,
            &[
                "USB 1209:0001 (any serial)",
                "within 10000 ms",
                "/dev/ttyACM7 (USB 0483:374e serial STLINK-VCP)",
            ],
        );
    }

    #[test]
    fn the_old_port_must_vanish_before_the_new_one_counts() {
        // present, present (old firmware), gone (re-enumerating), gone, back.
        let old = agent("/dev/ttyACM0");
        let new = agent("/dev/ttyACM1");
        let mut l = Script::new(vec![
            vec![old.clone()],
            vec![old],
            vec![],
            vec![],
            vec![new],
        ]);
        let mut clock = ManualClock::new(0);
        let path = wait_for_port(&mut l, &mut clock, &sel(), POLICY, true).unwrap();
        assert_eq!(path, "/dev/ttyACM1");
        assert_eq!(l.calls, 5);
        assert_eq!(clock.now_us(), 3 * POLICY.poll_us);
    }

    #[test]
    fn a_port_that_never_vanishes_is_used_after_the_vanish_window() {
        let mut l = Script::new(vec![vec![agent("/dev/ttyACM0")]]);
        let mut clock = ManualClock::new(0);
        let path = wait_for_port(&mut l, &mut clock, &sel(), POLICY, true).unwrap();
        assert_eq!(path, "/dev/ttyACM0");
        assert_eq!(clock.now_us(), POLICY.vanish_us);
    }

    #[test]
    fn an_explicit_path_is_waited_for_on_the_file_system() {
        let mut l = Script::new(vec![vec![]]);
        l.existing = vec!["/dev/ttyACM9".into()];
        let mut clock = ManualClock::new(0);
        let choice = PortChoice::Path("/dev/ttyACM9".into());
        assert_eq!(
            wait_for_port(&mut l, &mut clock, &choice, POLICY, false).unwrap(),
            "/dev/ttyACM9"
        );
        let missing = PortChoice::Path("/dev/ttyACM8".into());
        let err = wait_for_port(&mut l, &mut clock, &missing, POLICY, false).unwrap_err();
        assert!(matches!(err, PortError::Timeout { .. }), "{err:?}");
    }

    struct CancelAfter(ManualClock, u32);
    impl Clock for CancelAfter {
        fn now_us(&mut self) -> u64 {
            self.0.now_us()
        }
    }
    impl Wait for CancelAfter {
        fn wait_until(&mut self, d: u64) -> Result<(), Cancelled> {
            if self.1 == 0 {
                return Err(Cancelled);
            }
            self.1 -= 1;
            self.0.wait_until(d)
        }
    }

    #[test]
    fn a_cancelled_wait_stops_at_once() {
        let mut l = Script::new(vec![vec![]]);
        let mut clock = CancelAfter(ManualClock::new(0), 2);
        let err = wait_for_port(&mut l, &mut clock, &sel(), POLICY, false).unwrap_err();
        assert_eq!(err, PortError::Cancelled { choice: sel() });
        assert_eq!(l.calls, 3);
    }

    #[test]
    fn the_system_lister_runs_and_never_lists_a_pty() {
        let ports = SystemPorts.ports().unwrap();
        assert!(
            ports.iter().all(|p| !p.path.starts_with("/dev/pts/")),
            "{ports:?}"
        );
        assert!(SystemPorts.exists("/dev/null"));
        assert!(!SystemPorts.exists("/dev/definitely-not-a-port"));
    }

    #[test]
    fn the_board_file_policy_is_in_microseconds() {
        let usb = crate::board::UsbSection {
            vid: 1,
            pid: 2,
            serial: None,
            reenumeration_timeout_ms: 10_000,
            poll_ms: 100,
            vanish_ms: 2000,
        };
        assert_eq!(WaitPolicy::from_board(&usb), POLICY);
    }
}
