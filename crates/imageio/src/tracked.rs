//! Storage access that remembers where the storage's position is, so a file
//! stream seeks only when the next access is somewhere else.
//!
//! Reading frames in order needs no seek at all: the header follows the
//! previous payload's padding, and the padding (at most 15 bytes) is read and
//! dropped instead of sought over — one call either way on an unbuffered
//! file, but a buffered reader keeps its buffer. Writing frames in order
//! needs no seek either. A buffered adapter ([`StdIo`](crate::StdIo) over a
//! `BufWriter` or `BufReader`) therefore sees the same call sequence as plain
//! sequential `std::io` code would make.

use embedded_io::SeekFrom;

use crate::error::{Error, ErrorKind, Field, IoOp, Result};
use crate::storage::Storage;

/// The longest forward gap read and dropped instead of sought over: the
/// largest padding after a payload.
const SKIP_MAX: u64 = 15;

/// A storage and its position, when known (`None` after any failed call:
/// the next access seeks).
#[derive(Debug)]
pub(crate) struct Tracked<F> {
    file: F,
    at: Option<u64>,
}

/// How far a failed write got: the bytes the storage accepted before it
/// failed, and the error.
pub(crate) struct WriteFailure {
    pub written: u64,
    pub error: Error,
}

impl<F: Storage> Tracked<F> {
    /// Wrap `file`; its position is not known yet.
    pub fn new(file: F) -> Self {
        Tracked { file, at: None }
    }

    /// Give back the storage.
    pub fn into_inner(self) -> F {
        self.file
    }

    /// Move to the end; returns the file length.
    pub fn seek_end(&mut self) -> Result<u64> {
        self.at = None;
        let len = self
            .file
            .seek(SeekFrom::End(0))
            .map_err(|e| Error::io(IoOp::Seek, e, 0))?;
        self.at = Some(len);
        Ok(len)
    }

    /// Move to `pos`: nothing if already there, a short forward gap is read
    /// and dropped, anything else is a seek.
    fn go(&mut self, pos: u64) -> Result<()> {
        if let Some(at) = self.at {
            if at == pos {
                return Ok(());
            }
            if at < pos && pos - at <= SKIP_MAX && self.skip(pos - at) {
                return Ok(());
            }
        }
        self.at = None;
        self.file
            .seek(SeekFrom::Start(pos))
            .map_err(|e| Error::io(IoOp::Seek, e, pos))?;
        self.at = Some(pos);
        Ok(())
    }

    /// Read and drop `n` ≤ [`SKIP_MAX`] bytes. False if they could not all
    /// be read (the position is then unknown and the caller seeks).
    fn skip(&mut self, n: u64) -> bool {
        let mut buf = [0u8; SKIP_MAX as usize];
        let want = &mut buf[..n as usize];
        let mut done = 0;
        while done < want.len() {
            match self.file.read(&mut want[done..]) {
                Ok(k) if k > 0 => done += k,
                _ => {
                    self.at = None;
                    return false;
                }
            }
        }
        self.at = self.at.map(|a| a + n);
        true
    }

    /// Read exactly `buf.len()` bytes at `pos` of a file of `len` bytes.
    pub fn read_at(&mut self, pos: u64, buf: &mut [u8], len: u64, field: Field) -> Result<()> {
        let have = len.saturating_sub(pos);
        if (buf.len() as u64) > have {
            return Err(Error::at(
                ErrorKind::Truncated {
                    field,
                    expected: buf.len() as u64,
                    found: have,
                },
                pos,
            ));
        }
        self.go(pos)?;
        let mut done = 0;
        while done < buf.len() {
            match self.file.read(&mut buf[done..]) {
                Ok(0) => {
                    self.at = Some(pos + done as u64);
                    return Err(Error::at(
                        ErrorKind::Truncated {
                            field,
                            expected: buf.len() as u64,
                            found: done as u64,
                        },
                        pos,
                    ));
                }
                Ok(k) => done += k,
                Err(e) => {
                    self.at = None;
                    return Err(Error::io(IoOp::Read, e, pos + done as u64));
                }
            }
        }
        self.at = Some(pos + done as u64);
        Ok(())
    }

    /// Write `parts` one after the other from `pos`. A failure reports the
    /// bytes accepted before it (errors are placed at `pos`).
    pub fn write_at(
        &mut self,
        pos: u64,
        parts: &[&[u8]],
    ) -> core::result::Result<(), WriteFailure> {
        let fail = |written, error| WriteFailure { written, error };
        self.go(pos).map_err(|e| fail(0, e))?;
        let mut written = 0u64;
        for part in parts {
            let mut done = 0;
            while done < part.len() {
                match self.file.write(&part[done..]) {
                    Ok(0) => {
                        self.at = Some(pos + written);
                        let kind = ErrorKind::Io(IoOp::Write, embedded_io::ErrorKind::WriteZero);
                        return Err(fail(written, Error::at(kind, pos)));
                    }
                    Ok(k) => {
                        done += k;
                        written += k as u64;
                    }
                    Err(e) => {
                        self.at = None;
                        return Err(fail(written, Error::io(IoOp::Write, e, pos)));
                    }
                }
            }
        }
        self.at = Some(pos + written);
        Ok(())
    }

    /// Cut the file at `pos`.
    pub fn truncate_at(&mut self, pos: u64) -> Result<()> {
        self.go(pos)?;
        self.file.truncate().map_err(|e| {
            self.at = None;
            Error::io(IoOp::Truncate, e, pos)
        })
    }

    /// Flush the storage (for [`StdIo`](crate::StdIo): buffers written, then
    /// the data made durable). Errors are placed at `pos`.
    pub fn flush(&mut self, pos: u64) -> Result<()> {
        self.file.flush().map_err(|e| {
            self.at = None;
            Error::io(IoOp::Flush, e, pos)
        })
    }
}
