//! Panic handler: report on UART0 (polling, interrupts off) and on QEMU's
//! stderr, record message and location for the next boot's hello
//! ([`crate::fault`]) and reset.

use crate::regs::{self, UART0};
use core::fmt::Write;

struct PollingUart;

impl Write for PollingUart {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            while regs::read(UART0, 0x04) & 1 != 0 {}
            regs::write(UART0, 0x00, u32::from(b));
        }
        Ok(())
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    cortex_m::interrupt::disable();
    let _ = writeln!(PollingUart, "\r\nagent-qemu panicked: {info}\r");
    // Also on QEMU's stderr, which the harness keeps for its error message.
    let mut msg = heapless::String::<256>::new();
    let _ = writeln!(msg, "agent-qemu panicked: {info}");
    crate::semihost::write_stderr(msg.as_bytes());
    let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
    let rec = omv_agent::ResetRecord::panic(&info.message(), file, line);
    crate::fault::record_and_reset(&rec)
}
