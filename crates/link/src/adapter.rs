//! [`EmbeddedIo`]: a `std::io` port seen through `embedded-io`, to run the
//! agent's `serve()` on the host (tests, or an agent process on a PTY).

use std::io::ErrorKind;

/// A `std::io::Error` as an `embedded-io` error.
#[derive(Debug)]
pub struct IoError(pub std::io::Error);

impl core::fmt::Display for IoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for IoError {}

impl embedded_io::Error for IoError {
    fn kind(&self) -> embedded_io::ErrorKind {
        use embedded_io::ErrorKind as E;
        match self.0.kind() {
            ErrorKind::TimedOut => E::TimedOut,
            ErrorKind::Interrupted => E::Interrupted,
            ErrorKind::BrokenPipe => E::BrokenPipe,
            ErrorKind::InvalidInput => E::InvalidInput,
            _ => E::Other,
        }
    }
}

/// Wraps a `std::io` port for `embedded-io` users. Reads block until data
/// comes: read timeouts of the port are retried; a vanished peer
/// (`BrokenPipe`, end of file) reads as 0 bytes, which ends `serve()`.
#[derive(Debug)]
pub struct EmbeddedIo<T>(pub T);

impl<T> embedded_io::ErrorType for EmbeddedIo<T> {
    type Error = IoError;
}

impl<T: std::io::Read> embedded_io::Read for EmbeddedIo<T> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, IoError> {
        loop {
            match self.0.read(buf) {
                Ok(n) => return Ok(n),
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::TimedOut | ErrorKind::WouldBlock | ErrorKind::Interrupted
                    ) => {}
                Err(e) if matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::UnexpectedEof) => {
                    return Ok(0)
                }
                // A PTY whose other end closed reads EIO on Linux.
                Err(e) if e.raw_os_error() == Some(5) => return Ok(0),
                Err(e) => return Err(IoError(e)),
            }
        }
    }
}

impl<T: std::io::Write> embedded_io::Write for EmbeddedIo<T> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, IoError> {
        self.0.write(buf).map_err(IoError)
    }

    fn flush(&mut self) -> Result<(), IoError> {
        self.0.flush().map_err(IoError)
    }
}
