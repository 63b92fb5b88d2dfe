//! Volatile access to the memory-mapped registers of mps2-an500.
//!
//! The only module (with `ramdisk::psram`) that touches raw addresses: every
//! address used by the firmware is a constant here.
#![allow(unsafe_code)]

/// CMSDK APB UART0.
pub const UART0: usize = 0x4000_4000;
/// CMSDK APB TIMER0 (free-running clock).
pub const TIMER0: usize = 0x4000_0000;
/// CMSDK APB TIMER1 (one-shot wake-up for waits).
pub const TIMER1: usize = 0x4000_1000;
/// CMSDK APB watchdog (its early warning is the NMI).
pub const WDOG: usize = 0x4000_8000;

/// Reads the 32-bit register at `base + offset`.
#[inline(always)]
pub fn read(base: usize, offset: usize) -> u32 {
    // SAFETY: `base` is one of the peripheral constants above and `offset` a
    // register offset inside its 4 KiB window: a valid, aligned MMIO address.
    unsafe { core::ptr::read_volatile((base + offset) as *const u32) }
}

/// Writes the 32-bit register at `base + offset`.
#[inline(always)]
pub fn write(base: usize, offset: usize, value: u32) {
    // SAFETY: as in `read`.
    unsafe { core::ptr::write_volatile((base + offset) as *mut u32, value) }
}

/// Interrupt lines of mps2-an500 used by the firmware (NVIC numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum Irq {
    /// UART0 receive.
    Uart0Rx = 0,
    /// UART0 transmit.
    Uart0Tx = 1,
    /// TIMER0 reached zero.
    Timer0 = 8,
    /// TIMER1 reached zero.
    Timer1 = 9,
}

// SAFETY: the discriminants are the NVIC line numbers of the board.
unsafe impl cortex_m::interrupt::InterruptNumber for Irq {
    fn number(self) -> u16 {
        self as u16
    }
}

/// Enables `irq` in the NVIC.
pub fn unmask(irq: Irq) {
    // SAFETY: the handlers for these lines (in `main`'s `DefaultHandler`)
    // only touch state guarded by critical sections or atomics.
    unsafe { cortex_m::peripheral::NVIC::unmask(irq) }
}

/// Sleeps until an interrupt is pending, without the lost-wake-up race:
/// `ready` is checked with interrupts masked, WFI wakes on a pending
/// interrupt even while masked, and the handler runs after unmasking.
pub fn sleep_unless(ready: impl FnOnce() -> bool) {
    cortex_m::interrupt::disable();
    if !ready() {
        // Asleep on purpose: the watchdog's early warning lets it be.
        crate::watchdog::parked(cortex_m::asm::wfi);
    }
    // SAFETY: interrupts were enabled before this call (the firmware never
    // calls it from a critical section or a handler).
    unsafe { cortex_m::interrupt::enable() }
}
