//! The mps2-an500's CMSDK APB watchdog (0x4000_8000, WDOGCLK 25 MHz;
//! Arm DDI0479C, CMSDK TRM, section 4.8), as QEMU 7.2 models it
//! (`cmsdk-apb-watchdog`, its interrupt on the NMI line).
//!
//! The counter runs down from [`TIMEOUT_MS`]; at zero it raises the NMI
//! (the early warning) and reloads; at zero again with the interrupt still
//! raised it resets the system. The agent feeds it ([`feed`]) whenever it
//! reads its clock (every step, every frame) and at every wait. A wait
//! sleeps (WFI) for as long as the host or the deadline needs, so it marks
//! itself parked ([`parked`]): the early warning then feeds the watchdog
//! and returns. Anything else at the early warning is a hung agent: the
//! NMI handler records where it was (`fault.rs`) and resets.
#![allow(unsafe_code)]

use core::sync::atomic::{AtomicBool, Ordering};

use crate::regs::{self, WDOG};

const LOAD: usize = 0x00;
const CONTROL: usize = 0x08;
const INTCLR: usize = 0x0C;
const LOCK: usize = 0xC00;
/// LOCK: the value that enables writes to the other registers.
const UNLOCK: u32 = 0x1ACC_E551;
/// CONTROL: INTEN (counter and interrupt on) | RESEN (reset on the second expiry).
const INTEN_RESEN: u32 = 0b11;
/// WDOGCLK on mps2-an500 (QEMU: the machine's 25 MHz SYSCLK).
const WDOGCLK_HZ: u32 = 25_000_000;
/// Time without a feed before the early warning: longer than any
/// legitimate stretch without a clock read (a FAT update, a frame), the
/// same 4 s as the H7's IWDG.
#[cfg(not(feature = "fault-test"))]
pub const TIMEOUT_MS: u32 = 4_000;
/// The `fault-test` build's: a hang test spins through the timeout under
/// `-icount` (1 ns per instruction), where 4 s of guest time takes
/// about a minute of host time; 0.5 s is the same mechanism in seconds.
#[cfg(feature = "fault-test")]
pub const TIMEOUT_MS: u32 = 500;

static PARKED: AtomicBool = AtomicBool::new(false);

/// Starts the watchdog (the lock register is left unlocked, so feeding
/// is one write).
pub fn start() {
    regs::write(WDOG, LOCK, UNLOCK);
    regs::write(WDOG, LOAD, WDOGCLK_HZ / 1000 * TIMEOUT_MS);
    regs::write(WDOG, CONTROL, INTEN_RESEN);
}

/// Restarts the countdown (clears the interrupt, which reloads the counter).
#[inline]
pub fn feed() {
    regs::write(WDOG, INTCLR, 1);
}

/// Runs `f` (a sleep until an interrupt) marked as parked: a legitimate
/// wait, not a hang.
pub fn parked<T>(f: impl FnOnce() -> T) -> T {
    feed();
    PARKED.store(true, Ordering::Relaxed);
    let out = f();
    PARKED.store(false, Ordering::Relaxed);
    feed();
    out
}

/// The early warning (NMI): `true` if the agent is parked in a wait (the
/// watchdog is fed and the NMI returns), `false` if it is hung.
pub fn on_early_warning() -> bool {
    if PARKED.load(Ordering::Relaxed) {
        feed();
        true
    } else {
        false
    }
}
