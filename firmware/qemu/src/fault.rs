//! Faults are loud: a HardFault, a panic ([`crate::panic`]) or a watchdog
//! expiry ([`crate::watchdog`]) leaves an `omv_agent::ResetRecord` in
//! no-init RAM and resets the chip (`agent_common::fault`, shared with
//! agent-h7). The next boot takes the record ([`take_report`]) and the
//! agent reports it in its hello.
//!
//! The HardFault entry (`agent_common::fault`) is assembly: when the stack
//! overflows (into the MPU guard below it, `guard.rs`), the exception entry
//! cannot stack its frame either and the handler starts with SP outside
//! RAM. So the entry first moves SP to the reserved fault stack, then
//! calls [`omv_on_hard_fault`], which reads the frame only if it lies in
//! RAM and CFSR says it was pushed.
#![allow(unsafe_code)]

pub use agent_common::fault::record_and_reset;
/// The record the last reset left, if any (cleared once read).
pub use agent_common::fault::take_record as take_report;
use agent_common::fault::{hard_fault_report, stacked};
use omv_agent::ResetRecord;

/// The mps2-an500 SSRAM2/3 holding the stack and statics (hardware map).
const RAM: core::ops::Range<u32> = 0x2000_0000..0x2040_0000;

// NonMaskableInt (the watchdog's early warning): r0 = the SP the frame was
// stacked on (MSP or PSP, from EXC_RETURN bit 2), r1 = EXC_RETURN; own
// stack kept, `b` so that returning from the handler is the exception
// return.
core::arch::global_asm!(
    ".section .text.omv_nmi, \"ax\"",
    ".global NonMaskableInt",
    ".type NonMaskableInt, %function",
    ".thumb_func",
    "NonMaskableInt:",
    "    mrs r0, msp",
    "    tst lr, #4",
    "    it ne",
    "    mrsne r0, psp",
    "    mov r1, lr",
    "    b {nmi}",
    ".size NonMaskableInt, . - NonMaskableInt",
    nmi = sym on_nmi,
);

/// The HardFault handler (`agent_common::fault`'s entry branches here on
/// the fault stack): record the fault and reset.
#[no_mangle]
extern "C" fn omv_on_hard_fault(sp: u32, _exc_return: u32) -> ! {
    record_and_reset(&ResetRecord::fault(&hard_fault_report(sp, &[RAM])))
}

extern "C" fn on_nmi(sp: u32, _exc_return: u32) {
    if crate::watchdog::on_early_warning() {
        return;
    }
    let pc = stacked(sp, &[RAM]).map(|(pc, _, _)| pc);
    record_and_reset(&ResetRecord::watchdog(pc))
}

/// Crash on purpose (`CrashTest` requests; the `fault-test` build only).
#[cfg(feature = "fault-test")]
pub fn crash(kind: omv_proto::CrashKind) {
    match kind {
        omv_proto::CrashKind::StackOverflow => {
            core::hint::black_box(overflow(0));
        }
        omv_proto::CrashKind::Panic => panic!("crash test: a deliberate panic"),
        // No clock reads, no waits: nothing feeds the watchdog.
        omv_proto::CrashKind::Hang => {
            let mut n = 0u32;
            loop {
                n = core::hint::black_box(n.wrapping_add(1));
            }
        }
    }
}

/// 64 KiB frames, recursing until the stack runs out of RAM: the second
/// frame is already past a 128 KiB stack's end. Each frame is zeroed from
/// its lowest address up, so the first store beyond RAM faults.
#[cfg(feature = "fault-test")]
#[inline(never)]
#[allow(unconditional_recursion)]
fn overflow(depth: u32) -> u32 {
    let mut frame = [0u8; 64 * 1024];
    core::hint::black_box(&mut frame);
    frame[0] = depth as u8;
    overflow(depth + 1).wrapping_add(u32::from(core::hint::black_box(&frame)[0]))
}
