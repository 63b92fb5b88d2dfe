//! Storage for file streams: any `embedded-io` `Read + Write + Seek` object
//! that can also be cut short ([`Truncate`]).
//!
//! [`SliceFile`] keeps a "file" in a caller-provided byte buffer (no
//! allocator); with the `std` feature, [`StdIo`] adapts `std::fs::File` and
//! `std::io::Cursor<Vec<u8>>`.

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
pub use std_io::{StdIo, StdIoError};

#[cfg(feature = "std")]
mod std_io {
    use super::Truncate;
    use embedded_io::{ErrorType, Read, Seek, SeekFrom, Write};

    /// A `std::io` error carried through `embedded-io`.
    #[derive(Debug)]
    pub struct StdIoError(pub std::io::Error);

    impl embedded_io::Error for StdIoError {
        fn kind(&self) -> embedded_io::ErrorKind {
            use embedded_io::ErrorKind as E;
            use std::io::ErrorKind as S;
            match self.0.kind() {
                S::NotFound => E::NotFound,
                S::PermissionDenied => E::PermissionDenied,
                S::InvalidInput => E::InvalidInput,
                S::InvalidData => E::InvalidData,
                S::TimedOut => E::TimedOut,
                S::Interrupted => E::Interrupted,
                S::Unsupported => E::Unsupported,
                S::OutOfMemory | S::StorageFull => E::OutOfMemory,
                S::WriteZero => E::WriteZero,
                _ => E::Other,
            }
        }
    }

    impl std::error::Error for StdIoError {}

    impl core::fmt::Display for StdIoError {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            self.0.fmt(f)
        }
    }

    /// Adapts a `std::io` object (a `File`, a `Cursor<Vec<u8>>`) to the
    /// `embedded-io` traits file streams use.
    #[derive(Debug)]
    pub struct StdIo<T>(pub T);

    impl<T> ErrorType for StdIo<T> {
        type Error = StdIoError;
    }

    impl<T: std::io::Read> Read for StdIo<T> {
        fn read(&mut self, buf: &mut [u8]) -> Result<usize, StdIoError> {
            self.0.read(buf).map_err(StdIoError)
        }
    }

    impl<T: std::io::Write> Write for StdIo<T> {
        fn write(&mut self, buf: &[u8]) -> Result<usize, StdIoError> {
            self.0.write(buf).map_err(StdIoError)
        }
        fn flush(&mut self) -> Result<(), StdIoError> {
            self.0.flush().map_err(StdIoError)
        }
    }

    impl<T: std::io::Seek> Seek for StdIo<T> {
        fn seek(&mut self, pos: SeekFrom) -> Result<u64, StdIoError> {
            let pos = match pos {
                SeekFrom::Start(p) => std::io::SeekFrom::Start(p),
                SeekFrom::End(p) => std::io::SeekFrom::End(p),
                SeekFrom::Current(p) => std::io::SeekFrom::Current(p),
            };
            self.0.seek(pos).map_err(StdIoError)
        }
    }

    impl Truncate for StdIo<std::fs::File> {
        fn truncate(&mut self) -> Result<(), StdIoError> {
            use std::io::Seek as _;
            let pos = self.0.stream_position().map_err(StdIoError)?;
            self.0.set_len(pos).map_err(StdIoError)
        }
    }

    impl Truncate for StdIo<std::io::Cursor<Vec<u8>>> {
        fn truncate(&mut self) -> Result<(), StdIoError> {
            let pos = usize::try_from(self.0.position()).unwrap_or(usize::MAX);
            self.0.get_mut().truncate(pos);
            Ok(())
        }
    }
}
