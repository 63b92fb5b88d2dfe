//! Storage for file streams: any `embedded-io` `Read + Write + Seek` object
//! that can also be cut short ([`Truncate`]).
//!
//! [`SliceFile`] keeps a "file" in a caller-provided byte buffer (no
//! allocator); with the `std` feature, [`StdIo`] adapts `std::fs::File`,
//! `std::io::Cursor<Vec<u8>>` and either of them behind a `BufWriter` or
//! `BufReader`.

use embedded_io::{ErrorKind, ErrorType, Read, Seek, SeekFrom, Write};

/// Cut the file at the current position: everything after it is discarded.
/// Needed because writing in the middle of a stream discards the frames
/// after the written one (Q6).
pub trait Truncate: ErrorType {
    /// Set the file length to the current position.
    fn truncate(&mut self) -> Result<(), Self::Error>;
}

impl<T: Truncate + ?Sized> Truncate for &mut T {
    fn truncate(&mut self) -> Result<(), Self::Error> {
        (**self).truncate()
    }
}

/// What a file stream needs from its storage.
pub trait Storage: Read + Write + Seek + Truncate {}
impl<T: Read + Write + Seek + Truncate + ?Sized> Storage for T {}

/// Errors of [`SliceFile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SliceFileError {
    /// A write or seek went past the end of the buffer.
    Full,
    /// A seek to a negative position.
    InvalidSeek,
}

impl core::fmt::Display for SliceFileError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            SliceFileError::Full => "the buffer is full",
            SliceFileError::InvalidSeek => "seek to a negative position",
        })
    }
}

impl core::error::Error for SliceFileError {}

impl embedded_io::Error for SliceFileError {
    fn kind(&self) -> ErrorKind {
        match self {
            SliceFileError::Full => ErrorKind::OutOfMemory,
            SliceFileError::InvalidSeek => ErrorKind::InvalidInput,
        }
    }
}

/// A file held in a fixed byte buffer: the file's bytes are `buf[..len]`.
#[derive(Debug)]
pub struct SliceFile<'a> {
    buf: &'a mut [u8],
    len: usize,
    pos: usize,
}

impl<'a> SliceFile<'a> {
    /// An empty file that can grow to `buf.len()` bytes.
    pub fn empty(buf: &'a mut [u8]) -> Self {
        SliceFile {
            buf,
            len: 0,
            pos: 0,
        }
    }

    /// A file whose current content is `buf[..len]` (`len` is clamped to the buffer).
    pub fn with_len(buf: &'a mut [u8], len: usize) -> Self {
        let len = len.min(buf.len());
        SliceFile { buf, len, pos: 0 }
    }

    /// The file's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The file length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl ErrorType for SliceFile<'_> {
    type Error = SliceFileError;
}

impl Read for SliceFile<'_> {
    fn read(&mut self, out: &mut [u8]) -> Result<usize, Self::Error> {
        let avail = self.len.saturating_sub(self.pos);
        let n = avail.min(out.len());
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Write for SliceFile<'_> {
    fn write(&mut self, data: &[u8]) -> Result<usize, Self::Error> {
        if data.is_empty() {
            return Ok(0);
        }
        let room = self.buf.len().saturating_sub(self.pos);
        if room == 0 {
            return Err(SliceFileError::Full);
        }
        let n = room.min(data.len());
        if self.pos > self.len {
            // A seek past the end leaves a hole: it reads as zeros.
            self.buf[self.len..self.pos].fill(0);
        }
        self.buf[self.pos..self.pos + n].copy_from_slice(&data[..n]);
        self.pos += n;
        self.len = self.len.max(self.pos);
        Ok(n)
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

impl Seek for SliceFile<'_> {
    fn seek(&mut self, pos: SeekFrom) -> Result<u64, Self::Error> {
        let target = match pos {
            SeekFrom::Start(p) => i128::from(p),
            SeekFrom::End(d) => self.len as i128 + i128::from(d),
            SeekFrom::Current(d) => self.pos as i128 + i128::from(d),
        };
        if target < 0 {
            return Err(SliceFileError::InvalidSeek);
        }
        let target = usize::try_from(target).map_err(|_| SliceFileError::Full)?;
        if target > self.buf.len() {
            return Err(SliceFileError::Full);
        }
        self.pos = target;
        Ok(target as u64)
    }
}

impl Truncate for SliceFile<'_> {
    fn truncate(&mut self) -> Result<(), Self::Error> {
        self.len = self.pos.min(self.len);
        Ok(())
    }
}

#[cfg(feature = "std")]
pub use crate::std_io::{StdFile, StdIo, StdIoError};
