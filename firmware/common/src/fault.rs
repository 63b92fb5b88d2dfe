//! Faults are loud: a HardFault or a panic leaves an
//! `omv_agent::ResetRecord` in no-init RAM (cortex-m-rt's `.uninit`:
//! NOLOAD, not zeroed at boot, kept through a system reset and, on QEMU,
//! through `-kernel`'s reload) and resets the chip with SYSRESETREQ. The
//! next boot takes the record ([`take_record`]) and the agent reports it
//! in its hello.
//!
//! The HardFault entry (`HardFault`, here for both boards) is assembly
//! that moves SP to the top of [`FAULT_STACK`] before any Rust runs: after
//! a stack overflow SP points below the stack, and the exception entry
//! could not stack its frame either. It then branches to the board's
//! handler, `omv_on_hard_fault(sp, exc_return)`, with the SP the frame was
//! (to be) stacked on; the board defines it (`#[no_mangle] extern "C"`,
//! never returns) and builds the report with [`hard_fault_report`], which
//! reads the frame only if it lies in the board's RAM and CFSR says it was
//! pushed.
#![allow(unsafe_code)]

use core::mem::MaybeUninit;
use core::ops::Range;

use cortex_m::peripheral::SCB;
use omv_agent::ResetRecord;
use omv_proto::{FaultReport, ResetReport};

#[link_section = ".uninit.omv_reset_record"]
static mut RECORD: MaybeUninit<ResetRecord> = MaybeUninit::uninit();

/// Bytes of the HardFault handler's own stack.
pub const FAULT_STACK_BYTES: usize = 2048;

/// The HardFault handler's stack: in `.uninit` (RAM, after the statics),
/// used by nothing else.
#[link_section = ".uninit.omv_fault_stack"]
static mut FAULT_STACK: MaybeUninit<[u64; FAULT_STACK_BYTES / 8]> = MaybeUninit::uninit();

extern "C" {
    /// The board's HardFault handler, entered on [`FAULT_STACK`] with `sp`
    /// = the SP the frame was (to be) stacked on and `exc_return` = the
    /// exception's EXC_RETURN.
    fn omv_on_hard_fault(sp: u32, exc_return: u32) -> !;
}

// r0 = the SP the frame was (to be) stacked on (MSP or PSP, from
// EXC_RETURN bit 2), r1 = EXC_RETURN; then SP = top of FAULT_STACK, and a
// tail branch (no return) to the board's handler.
core::arch::global_asm!(
    ".section .HardFault.omv, \"ax\"",
    ".global HardFault",
    ".type HardFault, %function",
    ".thumb_func",
    "HardFault:",
    "    mrs r0, msp",
    "    tst lr, #4",
    "    it ne",
    "    mrsne r0, psp",
    "    mov r1, lr",
    "    movw r2, :lower16:{stack}",
    "    movt r2, :upper16:{stack}",
    "    add r2, r2, #{size}",
    "    mov sp, r2",
    "    b {fault}",
    ".size HardFault, . - HardFault",
    stack = sym FAULT_STACK,
    size = const FAULT_STACK_BYTES,
    fault = sym omv_on_hard_fault,
);

/// Stacked PC, LR and xPSR at `sp`, if the whole 32-byte frame lies in one
/// of the `ram` ranges and `sp` is word-aligned.
pub fn stacked(sp: u32, ram: &[Range<u32>]) -> Option<(u32, u32, u32)> {
    let end = sp.checked_add(32)?;
    let inside = ram.iter().any(|r| sp >= r.start && end <= r.end);
    if !inside || sp % 4 != 0 {
        return None;
    }
    let word = |i: u32| {
        // SAFETY: `sp + 4 i` is word-aligned and inside RAM (checked above).
        unsafe { core::ptr::read_volatile((sp + 4 * i) as *const u32) }
    };
    Some((word(6), word(5), word(7)))
}

/// The report of a HardFault whose frame was (to be) stacked at `sp`: the
/// fault status registers, and PC, LR and xPSR from the frame when it was
/// pushed and lies in `ram`.
pub fn hard_fault_report(sp: u32, ram: &[Range<u32>]) -> FaultReport {
    // SAFETY: SCB's fault status registers are only read here.
    let scb = unsafe { &*SCB::PTR };
    let mut r = FaultReport {
        sp,
        cfsr: scb.cfsr.read(),
        hfsr: scb.hfsr.read(),
        mmfar: scb.mmfar.read(),
        bfar: scb.bfar.read(),
        ..FaultReport::default()
    };
    if !r.stacking_failed() {
        if let Some((pc, lr, xpsr)) = stacked(sp, ram) {
            (r.pc, r.lr, r.xpsr) = (Some(pc), Some(lr), Some(xpsr));
        }
    }
    r
}

/// Leaves `rec` in no-init RAM and resets the chip (SYSRESETREQ).
pub fn record_and_reset(rec: &ResetRecord) -> ! {
    cortex_m::interrupt::disable();
    // SAFETY: nothing else runs (interrupts off, or in a fault handler);
    // RECORD is only touched here and in `take_record` at boot.
    unsafe { core::ptr::addr_of_mut!(RECORD).write_volatile(MaybeUninit::new(*rec)) };
    cortex_m::asm::dsb();
    SCB::sys_reset()
}

/// The record the last reset left, if any (checked: magic and CRC), and
/// clears it so the next boot does not report it again. Call once at boot,
/// before interrupts are enabled.
pub fn take_record() -> Option<ResetReport> {
    // SAFETY: called once at boot, before interrupts are enabled; every bit
    // pattern is a valid `ResetRecord` (plain words and bytes), so reading
    // RAM that power-on left random is harmless: the CRC rejects it.
    let rec = unsafe {
        let p = core::ptr::addr_of_mut!(RECORD).cast::<ResetRecord>();
        let rec = p.read_volatile();
        p.write_volatile(ResetRecord::EMPTY);
        rec
    };
    rec.report()
}
