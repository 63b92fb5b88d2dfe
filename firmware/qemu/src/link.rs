//! The byte link `serve` runs over: requests always arrive on UART0 (the
//! PTY); responses leave on UART0, or — when the host started QEMU with
//! `-semihosting-config ...,arg=link=semihosting` — on QEMU's stdout through
//! semihosting, batched, ~50× faster than the emulated UART.
//!
//! Batching never delays an answer the host waits for: everything queued is
//! written before the link blocks on the next request.

use crate::semihost::{self, StdoutClosed, StdoutTx};
use crate::uart::Uart;

/// Where responses go.
#[derive(Debug)]
enum Tx {
    Uart,
    Stdout(StdoutTx),
}

/// The agent's end of the link to the host: requests on UART0, responses
/// on UART0 or QEMU's stdout. Its only error is [`StdoutClosed`] (the
/// UART cannot fail).
#[derive(Debug)]
pub struct UartLink {
    uart: Uart,
    tx: Tx,
}

/// The word on the semihosting command line that selects the fast path.
pub const SEMIHOSTING_TX_ARG: &str = "link=semihosting";

impl UartLink {
    /// Responses over the UART, or over semihosting stdout if the command
    /// line asks for it (and semihosting works).
    pub fn new(uart: Uart) -> Self {
        let mut line = [0u8; 256];
        let wants_stdout = semihost::cmdline(&mut line)
            .is_some_and(|l| l.split_whitespace().any(|w| w == SEMIHOSTING_TX_ARG));
        let tx = match wants_stdout.then(StdoutTx::open).flatten() {
            Some(out) => Tx::Stdout(out),
            None => Tx::Uart,
        };
        UartLink { uart, tx }
    }

    fn push_out(&mut self) -> Result<(), StdoutClosed> {
        if let Tx::Stdout(out) = &mut self.tx {
            if out.pending() {
                out.flush()?;
            }
        }
        Ok(())
    }
}

impl embedded_io::ErrorType for UartLink {
    type Error = StdoutClosed;
}

impl embedded_io::Read for UartLink {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, StdoutClosed> {
        if buf.is_empty() {
            return Ok(0);
        }
        // Between steps: the agent's clock stands still until the next
        // step reads it (see `clock`).
        crate::clock::freeze();
        loop {
            let n = self.uart.read_now(buf);
            if n > 0 {
                return Ok(n);
            }
            // About to wait for the host: it must have every answer first.
            self.push_out()?;
            self.uart.wait_readable();
        }
    }
}

impl embedded_io::Write for UartLink {
    fn write(&mut self, buf: &[u8]) -> Result<usize, StdoutClosed> {
        match &mut self.tx {
            Tx::Uart => {
                for &b in buf {
                    self.uart.write_byte(b);
                }
            }
            Tx::Stdout(out) => out.write(buf)?,
        }
        Ok(buf.len())
    }

    /// On the UART: wait until the last byte left. On semihosting: nothing
    /// yet; queued bytes go out in batches and before the next wait for a
    /// request.
    fn flush(&mut self) -> Result<(), StdoutClosed> {
        match &mut self.tx {
            Tx::Uart => match embedded_io::Write::flush(&mut self.uart) {
                Ok(()) => Ok(()),
                Err(e) => match e {},
            },
            Tx::Stdout(_) => Ok(()),
        }
    }
}
