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

/// The agent's link to the host.
#[derive(Debug)]
pub struct Link {
    uart: Uart,
    tx: Tx,
}

/// The word on the semihosting command line that selects the fast path.
pub const SEMIHOSTING_TX_ARG: &str = "link=semihosting";

/// Writing to QEMU's stdout failed (the host side is gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkError;

impl core::fmt::Display for LinkError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("QEMU's stdout is closed")
    }
}

impl core::error::Error for LinkError {}

impl embedded_io::Error for LinkError {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::BrokenPipe
    }
}

impl From<StdoutClosed> for LinkError {
    fn from(_: StdoutClosed) -> Self {
        LinkError
    }
}

impl Link {
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
        Link { uart, tx }
    }

    fn push_out(&mut self) -> Result<(), LinkError> {
        if let Tx::Stdout(out) = &mut self.tx {
            if out.pending() {
                out.flush()?;
            }
        }
        Ok(())
    }
}

impl embedded_io::ErrorType for Link {
    type Error = LinkError;
}

impl embedded_io::Read for Link {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, LinkError> {
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

impl embedded_io::Write for Link {
    fn write(&mut self, buf: &[u8]) -> Result<usize, LinkError> {
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
    fn flush(&mut self) -> Result<(), LinkError> {
        match &mut self.tx {
            Tx::Uart => match embedded_io::Write::flush(&mut self.uart) {
                Ok(()) => Ok(()),
                Err(e) => match e {},
            },
            Tx::Stdout(_) => Ok(()),
        }
    }
}
