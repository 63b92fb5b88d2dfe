//! The stack guard: QEMU's mps2-an500 ignores accesses to the unmapped
//! addresses below the stack (see `memory.x`), so the MPU makes the
//! 256 MiB below `_stack_end` a no-access region. A stack overflow then
//! faults as it would on the H7, instead of silently writing nowhere.
#![allow(unsafe_code)]

/// The guard's size: 256 MiB ending at `_stack_end` (0x2000_0000), clear
/// of the code at 0 and far larger than any frame the stack check allows,
/// so no frame can step over it.
const GUARD_BYTES: u32 = 256 * 1024 * 1024;
/// MPU_RASR.SIZE encodes a region of 2^(SIZE+1) bytes.
const RASR_SIZE: u32 = GUARD_BYTES.trailing_zeros() - 1;
/// MPU_RASR: XN (bit 28), AP = 0b000 (no access, bits 24-26), ENABLE.
const RASR: u32 = (1 << 28) | (RASR_SIZE << 1) | 1;
/// MPU_CTRL: ENABLE and PRIVDEFENA (the default memory map everywhere
/// else, for privileged code: the agent never leaves privileged mode).
const CTRL: u32 = 0b101;

/// The guard region's base: `GUARD_BYTES` below the lowest stack address.
fn base() -> Option<u32> {
    extern "C" {
        static _stack_end: u32;
    }
    // Only the symbol's address is taken (the linker script defines it);
    // nothing is read through it.
    let end = core::ptr::addr_of!(_stack_end) as u32;
    let base = end.checked_sub(GUARD_BYTES)?;
    (base % GUARD_BYTES == 0).then_some(base)
}

/// Turn the guard on; `false` if the linker script's `_stack_end` cannot
/// carry one (not a multiple of [`GUARD_BYTES`]).
pub fn enable(mpu: &mut cortex_m::peripheral::MPU) -> bool {
    let Some(base) = base() else {
        return false;
    };
    // SAFETY: region 0 is the only MPU region this firmware uses; it
    // covers no memory the firmware owns (code and data are above it), and
    // the barriers make it effective before the next stack access.
    unsafe {
        mpu.rnr.write(0);
        mpu.rbar.write(base);
        mpu.rasr.write(RASR);
        mpu.ctrl.write(CTRL);
    }
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
    true
}
