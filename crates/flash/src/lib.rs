//! Flashing and port discovery for the harness's real boards (`h7`).
//!
//! The sequence, from a board file (`hil/boards/h7.toml`) to a serial port
//! speaking the agent protocol:
//!
//! 1. the harness reads the board file's `[flash]`, `[usb]` and `[dfu]`
//!    sections into a [`FlashBoard`] and checks it ([`FlashBoard::check`]);
//! 2. [`plan()`] parses the agent ELF, looks the chip up in probe-rs'
//!    registry (a typo gets suggestions) and checks that the image lies in
//!    the chip's flash. The [`Plan`] prints as the `--dry-run` output.
//!    It lists the sectors that would be erased, and refuses any inside
//!    the board's `flash.keep` area (the OpenMV bootloader) unless
//!    `--erase-bootloader` is given. [`dfu_plan()`] is the probe-less path:
//!    the image as a flat binary for `dfu-util` through the OpenMV
//!    bootloader ([`dfu`]). Both plans are a [`Placement`] (chip, erased
//!    sectors, the agent's port) plus what their path needs;
//! 3. [`bring_up`] flashes it ([`flash`]: choose the probe, attach, check the
//!    chip's id register and readout protection, erase/program/verify,
//!    each step told to a [`FlashObserver`], reset and run) and waits, bounded, for the agent's
//!    USB CDC-ACM port to re-enumerate ([`wait_for_port`]).
//!
//! 4. while a scenario runs with a probe attached, [`read_log`] reads the
//!    agent's defmt log over RTT ([`rtt`]).
//!
//! Every failure is a typed [`Error`] whose message tells the user what to
//! do. Probe listing and port listing are traits ([`ProbeLister`],
//! [`PortLister`]) and time is [`omv_imageio::Wait`], so everything except
//! the calls into a live probe is tested on a machine without hardware.

pub mod board;
pub mod bringup;
pub mod dfu;
pub mod dfu_plan;
pub mod elf;
pub mod error;
pub mod flasher;
pub mod placement;
pub mod plan;
pub mod port;
pub mod probe;
pub mod progress;
pub mod rtt;
pub mod sectors;
pub mod selector;
pub mod target;
#[cfg(test)]
mod testing;
pub mod vectors;

pub use board::{FlashBoard, Invalid};
pub use bringup::{bring_up, bring_up_dfu, Ready};
pub use dfu::{DfuError, DfuSection};
pub use dfu_plan::{dfu_plan, DfuPlan};
pub use elf::{ElfError, ElfImage, LoadSegment};
pub use error::Error;
pub use flasher::{flash, FlashReport, FlashRequest, SessionError};
pub use placement::Placement;
pub use plan::{plan, FlashArgs, Plan};
pub use port::{
    find_port, wait_for_port, PortChoice, PortEntry, PortError, PortLister, SystemPorts, WaitPolicy,
};
pub use probe::{select_probe, ProbeEntry, ProbeError, ProbeLister, SystemProbes};
pub use progress::{FlashEvent, FlashObserver, Operation};
pub use rtt::{probe_attached, read_log, DefmtTable, OpenProbe, RttError, RttRequest, RttSummary};
pub use sectors::{KeepArea, KeepError, Sector};
pub use selector::DebugProbeSelector;
pub use target::TargetError;
