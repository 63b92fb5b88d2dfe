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
    /// embedded-io's own mapping of `std` kinds (`TimedOut`, which
    /// `serve()` acts on, stays `TimedOut`).
    fn kind(&self) -> embedded_io::ErrorKind {
        self.0.kind().into()
    }
}

/// Wraps a `std::io` port for `embedded-io` users. Reads block until data
/// comes: read timeouts of the port are retried; a vanished peer
/// (`BrokenPipe`, end of file) reads as 0 bytes, which ends `serve()`.
/// A write timeout of the port (the host stopped reading) is passed on as
/// `TimedOut`, on which `serve()` drops that answer and keeps serving; an
/// interrupted write is retried; a write that takes nothing is `WriteZero`
/// (`embedded_io::Write::write_all` would panic on `Ok(0)`).
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
        loop {
            match self.0.write(buf) {
                Ok(0) if !buf.is_empty() => {
                    return Err(IoError(std::io::Error::new(
                        ErrorKind::WriteZero,
                        "the port took no bytes",
                    )))
                }
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(IoError(e)),
            }
        }
    }

    fn flush(&mut self) -> Result<(), IoError> {
        self.0.flush().map_err(IoError)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use embedded_io::{Error as _, ErrorKind as E, Write as _};

    /// A port that takes nothing, or times out.
    struct Stuck(Option<ErrorKind>);

    impl std::io::Write for Stuck {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            match self.0 {
                Some(kind) => Err(kind.into()),
                None => Ok(0),
            }
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What `serve()` sees of a write that fails: WriteZero for a port
    /// that takes nothing (`write_all` would panic on `Ok(0)`), TimedOut
    /// for a host that stopped reading, BrokenPipe for a vanished peer.
    #[rstest::rstest]
    #[case::a_port_that_takes_nothing_is_an_error_not_a_panic(None, E::WriteZero)]
    #[case::a_write_timeout_reaches_serve_as_timed_out(Some(ErrorKind::TimedOut), E::TimedOut)]
    #[case::a_vanished_port_keeps_its_kind(Some(ErrorKind::BrokenPipe), E::BrokenPipe)]
    fn a_failed_write_is_an_error_of_its_kind(#[case] port: Option<ErrorKind>, #[case] kind: E) {
        let err = EmbeddedIo(Stuck(port)).write_all(b"frame").unwrap_err();
        assert_eq!(err.kind(), kind);
    }
}
