//! The whole sequence for a real board: note whether the agent's port is
//! already there, flash, reset, and wait for the port to (re)appear. This is
//! what the harness calls before speaking the serial protocol.

use omv_imageio::Wait;

use crate::dfu;
use crate::dfu_plan::{DfuPlan, DFU_UTIL};
use crate::error::Error;
use crate::flasher::flash;
use crate::plan::Plan;
use crate::port::PortLister;
use crate::probe::SystemProbes;
use crate::progress::FlashObserver;

/// A flashed, running board and its serial port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ready {
    /// Bytes flashed (and verified, on the probe path).
    pub bytes: u64,
    /// How: the probe, or the DFU device.
    pub via: String,
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
    let present_before = plan.placement.port_present(ports)?;
    let flashed = flash(&plan.request, probes, observer)?;
    let port = plan.placement.wait_for_port(ports, clock, present_before)?;
    Ok(Ready {
        bytes: flashed.bytes,
        via: format!("probe {}", flashed.probe),
        port,
    })
}

/// Write the plan's binary, wait (bounded) for the bootloader on `usb`,
/// run `dfu-util` (bounded), then wait for the agent's port. `program` is `dfu-util` ([`DFU_UTIL`]) outside tests.
pub fn bring_up_dfu(
    plan: &DfuPlan,
    program: &str,
    usb: &mut dyn dfu::UsbPresence,
    ports: &mut dyn PortLister,
    clock: &mut dyn Wait,
    observer: &mut dyn FlashObserver,
) -> Result<Ready, Error> {
    let present_before = plan.placement.port_present(ports)?;
    std::fs::write(&plan.binary_path, &plan.binary).map_err(|e| dfu::DfuError::Io {
        path: plan.binary_path.clone(),
        reason: e.to_string(),
    })?;
    observer.event(crate::progress::FlashEvent::Message(format!(
        "waiting up to {} s for the OpenMV bootloader (USB {}): plug the camera in now (or replug it); then {program} {}",
        plan.dfu.wait_for_device_s,
        plan.dfu.device(),
        plan.arguments().join(" ")
    )));
    dfu::run(program, &plan.arguments(), &plan.dfu, usb)?;
    let port = plan.placement.wait_for_port(ports, clock, present_before)?;
    Ok(Ready {
        bytes: plan.binary.len() as u64,
        via: format!("{DFU_UTIL} (USB {})", plan.dfu.device()),
        port,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::plan::{plan, FlashArgs};
    use crate::port::{PortEntry, PortError};
    use omv_imageio::ManualClock;

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

    /// The arguments for a small agent ELF written to `dir`.
    fn args(dir: &std::path::Path) -> FlashArgs {
        crate::testing::agent_args(dir, "agent", 0x0804_0101, &[(0x0804_0000, &[0; 64])])
    }

    #[test]
    fn without_a_probe_bring_up_fails_before_waiting_for_the_port() {
        let Some(probes) = crate::testing::system_probes_if_none() else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let plan = plan(&crate::board::repo_h7_board(), &args(dir.path())).unwrap();
        let (mut ports, mut clock, mut log) = (CountingPorts(0), ManualClock::new(0), Vec::new());
        let err = bring_up(&plan, &probes, &mut ports, &mut clock, &mut log).unwrap_err();
        assert!(
            matches!(err, Error::Probe(crate::probe::ProbeError::NoProbe)),
            "{err:?}"
        );
        // One look for an existing port, no waiting.
        assert_eq!(ports.0, 1);
        assert_eq!(clock.waited_us, 0);
    }

    #[test]
    fn without_a_camera_dfu_bring_up_fails_with_the_how_to_message_before_waiting_for_the_port() {
        let dir = tempfile::tempdir().unwrap();
        let mut board = crate::board::repo_h7_board();
        // An id that is never attached, and no waiting for it.
        if let Some(d) = board.dfu.as_mut() {
            d.vid = 0x1209;
            d.pid = 0x0002;
            d.wait_for_device_s = 0;
        }
        let plan = crate::dfu_plan::dfu_plan(&board, &args(dir.path())).unwrap();
        let (mut ports, mut clock, mut log) = (CountingPorts(0), ManualClock::new(0), Vec::new());
        let mut usb = dfu::SystemUsb;
        let err =
            bring_up_dfu(&plan, DFU_UTIL, &mut usb, &mut ports, &mut clock, &mut log).unwrap_err();
        assert!(
            matches!(err, Error::Dfu(dfu::DfuError::NoDevice { .. })),
            "{err:?} (is dfu-util installed?)"
        );
        assert_eq!(std::fs::read(&plan.binary_path).unwrap(), plan.binary);
        assert_eq!((ports.0, clock.waited_us), (1, 0));
        assert_eq!(log.len(), 1);
    }
}
