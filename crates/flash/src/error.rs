//! The crate's error: one enum over the typed errors of each step, each with
//! the message that tells the user what to do.

use crate::elf::ElfError;
use crate::flasher::SessionError;
use crate::port::PortError;
use crate::probe::ProbeError;
use crate::target::TargetError;

/// Anything that can go wrong between a board file and a running agent.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The firmware image cannot be flashed.
    #[error(transparent)]
    Elf(#[from] ElfError),
    /// The chip name is unknown or the image does not fit it.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// No usable probe.
    #[error(transparent)]
    Probe(#[from] ProbeError),
    /// Attaching, checking, flashing or resetting failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The image would erase the area to keep (the bootloader).
    #[error(transparent)]
    Keep(#[from] crate::sectors::KeepError),
    /// The DFU path failed.
    #[error(transparent)]
    Dfu(#[from] crate::dfu::DfuError),
    /// The agent's serial port did not show up.
    #[error(transparent)]
    Port(#[from] PortError),
    /// The defmt log over RTT could not be read.
    #[error(transparent)]
    Rtt(#[from] crate::rtt::RttError),
}

/// An error and its sources on one line (`a: b: c`), without repeating a
/// source whose text the outer message already contains.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        let text = e.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cur = e.source();
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("outer: disk on fire")]
    struct Repeats(#[source] std::io::Error);

    #[test]
    fn chain_joins_sources_once() {
        let e = Outer(std::io::Error::other("disk on fire"));
        assert_eq!(chain(&e), "outer: disk on fire");
        let e = Repeats(std::io::Error::other("disk on fire"));
        assert_eq!(chain(&e), "outer: disk on fire");
    }
}
