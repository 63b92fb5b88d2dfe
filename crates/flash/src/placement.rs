//! What the probe plan ([`crate::plan()`]) and the DFU plan
//! ([`crate::dfu_plan()`]) work out alike: the chip, known to probe-rs and
//! with the image inside its flash; the sectors programming the image
//! erases; and where and how long to look for the agent's port once the
//! new firmware runs.

use std::fmt;

use omv_imageio::Wait;
use probe_rs::config::Target;

use crate::board::FlashBoard;
use crate::elf::ElfImage;
use crate::error::Error;
use crate::plan::FlashArgs;
use crate::port::{find_port, wait_for_port, PortChoice, PortError, PortLister, WaitPolicy};
use crate::sectors::{self, Sector};
use crate::target;

/// The image on its board, checked against the chip.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// Board name.
    pub board: String,
    /// The image, parsed.
    pub image: ElfImage,
    /// The sectors programming erases, in address order.
    pub erase: Vec<Sector>,
    /// The agent's port.
    pub port: PortChoice,
    /// How long to wait for it.
    pub wait: WaitPolicy,
}

/// Look the board's chip up, check that `image` fits its flash, and work
/// out the sectors it erases and the agent's port; the chip is returned
/// too, for what only one of the paths needs of it.
pub(crate) fn place(
    board: &FlashBoard,
    args: &FlashArgs,
    image: ElfImage,
) -> Result<(Placement, Target), Error> {
    let target = target::lookup(&board.flash.chip)?;
    target::check_fits(&target, &image)?;
    let erase = sectors::touched(&sectors::chip_sectors(&target), &image);
    let placement = Placement {
        board: board.name.clone(),
        image,
        erase,
        port: match &args.port {
            Some(p) => PortChoice::Path(p.clone()),
            None => PortChoice::Usb(board.usb.selector()),
        },
        wait: WaitPolicy::from_board(&board.usb),
    };
    Ok((placement, target))
}

impl Placement {
    /// Whether the agent's port is there now (before flashing: the old
    /// firmware's port must vanish before the new one counts).
    pub fn port_present(&self, ports: &mut dyn PortLister) -> Result<bool, PortError> {
        Ok(find_port(ports, &self.port)?.is_some())
    }

    /// Wait, bounded by [`Placement::wait`], for the agent's port after the
    /// new firmware has started; `present_before` is
    /// [`Placement::port_present`] from before flashing.
    pub fn wait_for_port(
        &self,
        ports: &mut dyn PortLister,
        clock: &mut dyn Wait,
        present_before: bool,
    ) -> Result<String, PortError> {
        wait_for_port(ports, clock, &self.port, self.wait, present_before)
    }

    /// The dry-run text's `erases` lines: how many sectors, then each.
    pub(crate) fn write_erases(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  erases    {} sector(s), nothing else:",
            self.erase.len()
        )?;
        for s in &self.erase {
            writeln!(f, "            {s}")?;
        }
        Ok(())
    }

    /// The dry-run text's `port` line; the wait starts `after` something.
    pub(crate) fn write_port(&self, f: &mut fmt::Formatter<'_>, after: &str) -> fmt::Result {
        writeln!(
            f,
            "  port      {}, waited for up to {} ms after {after}",
            self.port,
            self.wait.timeout_us / 1000
        )
    }
}
