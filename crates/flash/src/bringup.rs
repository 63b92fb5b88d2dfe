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
