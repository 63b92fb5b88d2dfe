//! Panic handler: report on UART0 (polling, interrupts off) and on QEMU's
//! stderr, record message and location for the next boot's hello
//! ([`crate::fault`]) and reset.

use core::fmt::Write;

/// UART0 written by polling ([`crate::uart::write_polling`]).
struct PollingUart;

impl Write for PollingUart {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        crate::uart::write_polling(s.as_bytes());
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
