//! The byte port the host link runs over: requests are written to the PTY
//! (the firmware's UART0); responses are read from the PTY too, or from
//! QEMU's stdout when the firmware sends them through semihosting.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use serialport::TTYPort;

use super::process::StdoutReader;

/// How long one read waits before reporting `TimedOut` (the link polls
/// with its own deadlines on top).
pub const READ_POLL: Duration = Duration::from_millis(20);

/// Where responses are read from.
#[derive(Debug)]
enum Rx {
    Pty(TTYPort),
    Stdout(StdoutReader),
}

/// Requests to the PTY, responses from the PTY or QEMU's stdout.
#[derive(Debug)]
pub struct QemuPort {
    tx: TTYPort,
    rx: Rx,
}

impl QemuPort {
    /// Opens the PTY at `path`; responses come from `stdout` if given,
    /// else from the PTY.
    pub fn open(
        path: &Path,
        baud: u32,
        stdout: Option<StdoutReader>,
    ) -> Result<Self, serialport::Error> {
        let name = path.to_string_lossy();
        let tx = serialport::new(name, baud)
            .timeout(READ_POLL)
            .open_native()?;
        let rx = match stdout {
            Some(mut out) => {
                out.set_timeout(READ_POLL);
                Rx::Stdout(out)
            }
            None => Rx::Pty(tx.try_clone_native()?),
        };
        Ok(QemuPort { tx, rx })
    }

    /// True when responses come through QEMU's stdout.
    pub fn is_semihosting(&self) -> bool {
        matches!(self.rx, Rx::Stdout(_))
    }
}

impl Read for QemuPort {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match &mut self.rx {
            Rx::Pty(p) => p.read(buf),
            Rx::Stdout(s) => s.read(buf),
        }
    }
}

impl Write for QemuPort {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.tx.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.tx.flush()
    }
}
