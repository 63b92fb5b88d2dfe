//! Faults are loud: a HardFault or a panic leaves an
//! `omv_agent::ResetRecord` in no-init RAM (cortex-m-rt's `.uninit`, in
//! the AXI SRAM) and resets the chip with SYSRESETREQ
//! (`agent_common::fault`, shared with agent-qemu); the independent watchdog (IWDG1)
//! resets a hung agent. The next boot takes the record ([`take_report`]),
//! or reads RCC_RSR for a watchdog reset, and the agent reports it in its
//! hello.
//!
//! The stack is the DTCM (0x2000_0000..0x2002_0000, `memory.x`); below it
//! nothing is mapped, so an overflow faults, and the exception entry's own
//! stacking faults too: the HardFault entry (`agent_common::fault`) moves
//! SP to a small reserved stack (in the AXI SRAM, `.uninit`) before any
//! Rust runs, then calls [`omv_on_hard_fault`].
#![allow(unsafe_code)]

use core::cell::RefCell;

pub use agent_common::fault::record_and_reset;
use agent_common::fault::{hard_fault_report, take_record};
use embassy_stm32::peripherals::IWDG1;
use embassy_stm32::wdg::IndependentWatchdog;
use embassy_stm32::Peri;
use embassy_sync::blocking_mutex::CriticalSectionMutex;
use omv_agent::ResetRecord;
use omv_proto::ResetReport;

/// Where a stacked exception frame may be: the DTCM (the stack) or the
/// AXI SRAM (RM0433 §2.3.2, memory map).
const STACK_RAM: [core::ops::Range<u32>; 2] = [0x2000_0000..0x2002_0000, 0x2400_0000..0x2408_0000];
/// IWDG1 timeout: longer than the longest legitimate stretch without a
/// feed (an SD card's 250 ms busy wait, a 750 ms FAT update; every clock
/// read and wait feeds it).
pub const WATCHDOG_TIMEOUT_US: u32 = 4_000_000;
/// RCC_RSR (RM0433 §8.7.39): RCC base 0x5802_4400 + 0xD0.
const RCC_RSR: usize = 0x5802_44D0;
/// RCC_RSR.IWDG1RSTF: the last reset came from IWDG1.
const RSR_IWDG1RSTF: u32 = 1 << 26;
/// RCC_RSR.RMVF: writing 1 clears the reset flags.
const RSR_RMVF: u32 = 1 << 16;

static WATCHDOG: CriticalSectionMutex<RefCell<Option<IndependentWatchdog<'static, IWDG1>>>> =
    CriticalSectionMutex::new(RefCell::new(None));

/// The HardFault handler (`agent_common::fault`'s entry branches here on
/// the fault stack): record the fault and reset.
#[no_mangle]
extern "C" fn omv_on_hard_fault(sp: u32, _exc_return: u32) -> ! {
    record_and_reset(&ResetRecord::fault(&hard_fault_report(sp, &STACK_RAM)))
}

/// Why the last reset happened, if the firmware knows: its own record
/// (`agent_common::fault::take_record`), else RCC_RSR's IWDG1 flag.
/// Clears the reset flags, so the next boot does not report it again.
pub fn take_report() -> Option<ResetReport> {
    let rec = take_record();
    // SAFETY: RCC_RSR is a valid, aligned register address; called once at
    // boot, before anything else reads the reset flags.
    let rsr = unsafe {
        let rsr = core::ptr::read_volatile(RCC_RSR as *const u32);
        core::ptr::write_volatile(RCC_RSR as *mut u32, rsr | RSR_RMVF);
        rsr
    };
    rec.or_else(|| (rsr & RSR_IWDG1RSTF != 0).then_some(ResetReport::Watchdog { pc: None }))
}

/// Starts IWDG1 ([`WATCHDOG_TIMEOUT_US`]); it cannot be stopped again.
pub fn start_watchdog(iwdg: Peri<'static, IWDG1>) {
    let mut dog = IndependentWatchdog::new(iwdg, WATCHDOG_TIMEOUT_US);
    dog.unleash();
    WATCHDOG.lock(|w| *w.borrow_mut() = Some(dog));
}

/// Feeds IWDG1 (every clock read and wait: the agent is alive).
#[inline]
pub fn feed() {
    WATCHDOG.lock(|w| {
        if let Some(dog) = w.borrow_mut().as_mut() {
            dog.pet();
        }
    });
}
