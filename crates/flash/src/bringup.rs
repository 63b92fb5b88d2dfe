//! The whole sequence for a real board: note whether the agent's port is
//! already there, flash, reset, and wait for the port to (re)appear. This is
//! what the harness calls before speaking the serial protocol.

use omv_imageio::Wait;

use crate::error::Error;
use crate::flasher::{flash, FlashReport};
use crate::plan::Plan;
use crate::port::{find_port, wait_for_port, PortLister};
use crate::probe::SystemProbes;
use crate::progress::FlashObserver;

/// A flashed, running board and its serial port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ready {
    /// What was flashed.
    pub flashed: FlashReport,
    /// The agent's serial port path, ready to open.
    pub port: String,
}

/// Flash `plan` and wait for the agent's port.
///
/// `ports` and `clock` are injected so the wait is bounded by the plan's
/// timeout and testable; the harness passes [`crate::SystemPorts`] and a
/// `StdClock`.
pub fn bring_up(
    plan: &Plan,
    probes: &SystemProbes,
    ports: &mut dyn PortLister,
    clock: &mut dyn Wait,
    observer: &mut dyn FlashObserver,
) -> Result<Ready, Error> {
    let present_before = find_port(ports, &plan.port)?.is_some();
    let flashed = flash(&plan.request(), probes, observer)?;
    let port = wait_for_port(ports, clock, &plan.port, plan.wait, present_before)?;
    Ok(Ready { flashed, port })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::board::ProbeBoard;
    use crate::plan::{plan, FlashArgs};
    use crate::port::{PortEntry, PortError};
    use crate::probe::ProbeLister;
    use omv_imageio::ManualClock;
    use std::path::Path;

    struct CountingPorts(usize);
    impl PortLister for CountingPorts {
        fn ports(&mut self) -> Result<Vec<PortEntry>, PortError> {
            self.0 += 1;
            Ok(vec![])
        }
        fn exists(&mut self, _: &str) -> bool {
            self.0 += 1;
            false
        }
    }

    #[test]
    fn without_a_probe_bring_up_fails_before_waiting_for_the_port() {
        let probes = SystemProbes::new();
        if !probes.probes().is_empty() {
            eprintln!("a probe is attached; skipping the no-probe check");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let elf = dir.path().join("agent");
        std::fs::write(
            &elf,
            crate::elf::test_elf(0x0800_0101, &[(0x0800_0000, &[0; 64])]),
        )
        .unwrap();
        let board = ProbeBoard::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hil/boards/h7.toml"),
        )
        .unwrap();
        let plan = plan(
            &board,
            &FlashArgs {
                elf,
                ..Default::default()
            },
        )
        .unwrap();
        let mut ports = CountingPorts(0);
        let mut clock = ManualClock::new(0);
        let mut log = Vec::new();
        let err = bring_up(&plan, &probes, &mut ports, &mut clock, &mut log).unwrap_err();
        assert!(
            matches!(err, Error::Probe(crate::probe::ProbeError::NoProbe)),
            "{err:?}"
        );
        // One look for an existing port, no waiting.
        assert_eq!(ports.0, 1);
        assert_eq!(clock.waited_us, 0);
    }
}
