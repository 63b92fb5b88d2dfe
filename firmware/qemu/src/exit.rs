//! Leaving QEMU with an exit code (semihosting `SYS_EXIT_EXTENDED`).
#![allow(unsafe_code)]

const SYS_EXIT_EXTENDED: usize = 0x20;
const ADP_STOPPED_APPLICATION_EXIT: usize = 0x20026;

/// Stops the emulator; QEMU exits with `code`. Only under QEMU with
/// `-semihosting-config enable=on` (elsewhere the breakpoint faults).
pub fn exit(code: u32) -> ! {
    let args = [ADP_STOPPED_APPLICATION_EXIT, code as usize];
    // SAFETY: SYS_EXIT_EXTENDED takes a pointer to two words (reason, code).
    unsafe {
        cortex_m_semihosting::syscall(SYS_EXIT_EXTENDED, &args);
    }
    loop {
        cortex_m::asm::wfi();
    }
}
