//! The `std` adapter: [`StdIo`] drives a `std::io` file for a file stream.
//!
//! # Files, buffered or not
//!
//! `StdIo` takes any [`StdFile`] (`std::fs::File`, `Cursor<Vec<u8>>`, or a
//! `&mut` to one) directly, behind a `std::io::BufWriter`, or behind a
//! `std::io::BufReader`. Each wrapper buffers one direction and passes the
//! other through after settling its buffer, so no byte is lost or read stale:
//!
//! | | plain `T` | `BufWriter<T>` (for `"w"`) | `BufReader<T>` (for `"r"`) |
//! |---|---|---|---|
//! | write | `T` | buffered | read-ahead dropped (the file is repositioned to the logical position), then `T` |
//! | read | `T` | buffer written out, then `T` | buffered |
//! | seek | `T` | buffer written out, then `T` | read-ahead dropped, then `T` |
//! | truncate | `T::set_len` at the position | buffer written out, then `set_len` | read-ahead dropped, then `set_len` |
//! | flush (`sync`, `close`) | `T::sync_data` | buffer written out, then `sync_data` | `sync_data` |
//!
//! `flush` — what a stream's `sync()` and `close()` call — makes the data
//! durable (`File::sync_data`), as OpenMV's `sync` does on the card; a read
//! stream does not flush at all. A file stream seeks only when it must, so
//! reading or writing frames in order keeps the buffer: the call sequence
//! reaching `T` is the one plain sequential `std::io` code makes (see
//! `tests/io_calls.rs` and `benches/hostio.rs`).

use crate::storage::Truncate;
use embedded_io::{ErrorType, Read, Seek, SeekFrom, Write};
use std::io::{self, BufReader, BufWriter, Cursor, Seek as _};

/// A `std::io` error carried through `embedded-io`.
#[derive(Debug)]
pub struct StdIoError(pub io::Error);

impl embedded_io::Error for StdIoError {
    /// embedded-io's own mapping of `std` kinds, except that a full disk
    /// is `OutOfMemory` (a full card, as `SliceFile` and the FAT store say).
    fn kind(&self) -> embedded_io::ErrorKind {
        match self.0.kind() {
            io::ErrorKind::StorageFull => embedded_io::ErrorKind::OutOfMemory,
            kind => kind.into(),
        }
    }
}

impl std::error::Error for StdIoError {}

impl core::fmt::Display for StdIoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.fmt(f)
    }
}

/// A `std::io` file [`StdIo`] can drive: readable, writable, seekable, and
/// able to change its length and make its data durable.
pub trait StdFile: io::Read + io::Write + io::Seek {
    /// Set the file's length to `len` bytes (as `File::set_len`).
    fn set_len(&mut self, len: u64) -> io::Result<()>;
    /// Make the written data durable (as `File::sync_data`).
    fn sync_data(&mut self) -> io::Result<()>;
}

impl StdFile for std::fs::File {
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        std::fs::File::set_len(self, len)
    }
    fn sync_data(&mut self) -> io::Result<()> {
        std::fs::File::sync_data(self)
    }
}

impl StdFile for Cursor<Vec<u8>> {
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        let len = usize::try_from(len).map_err(|_| io::ErrorKind::OutOfMemory)?;
        self.get_mut().resize(len, 0);
        Ok(())
    }
    /// Memory is as durable as it gets.
    fn sync_data(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<T: StdFile + ?Sized> StdFile for &mut T {
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        (**self).set_len(len)
    }
    fn sync_data(&mut self) -> io::Result<()> {
        (**self).sync_data()
    }
}

/// Adapts a `std::io` file to the `embedded-io` traits file streams use:
/// `StdIo<T>`, `StdIo<BufWriter<T>>` or `StdIo<BufReader<T>>` for any
/// [`StdFile`] `T` (see the module docs for what each does with its buffer).
#[derive(Debug)]
pub struct StdIo<T>(pub T);

impl<T> ErrorType for StdIo<T> {
    type Error = StdIoError;
}

/// Cut `file` at its position.
fn cut_here<T: StdFile + ?Sized>(file: &mut T) -> io::Result<()> {
    let pos = file.stream_position()?;
    file.set_len(pos)
}

impl<T: StdFile> Read for StdIo<T> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, StdIoError> {
        self.0.read(buf).map_err(StdIoError)
    }
}

impl<T: StdFile> Write for StdIo<T> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, StdIoError> {
        self.0.write(buf).map_err(StdIoError)
    }
    fn flush(&mut self) -> Result<(), StdIoError> {
        self.0.flush().map_err(StdIoError)?;
        self.0.sync_data().map_err(StdIoError)
    }
}

impl<T: StdFile> Seek for StdIo<T> {
    fn seek(&mut self, pos: SeekFrom) -> Result<u64, StdIoError> {
        self.0.seek(pos.into()).map_err(StdIoError)
    }
}

impl<T: StdFile> Truncate for StdIo<T> {
    fn truncate(&mut self) -> Result<(), StdIoError> {
        cut_here(&mut self.0).map_err(StdIoError)
    }
}

impl<T: StdFile> Read for StdIo<BufWriter<T>> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, StdIoError> {
        io::Write::flush(&mut self.0).map_err(StdIoError)?;
        self.0.get_mut().read(buf).map_err(StdIoError)
    }
}

impl<T: StdFile> Write for StdIo<BufWriter<T>> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, StdIoError> {
        io::Write::write(&mut self.0, buf).map_err(StdIoError)
    }
    fn flush(&mut self) -> Result<(), StdIoError> {
        io::Write::flush(&mut self.0).map_err(StdIoError)?;
        self.0.get_mut().sync_data().map_err(StdIoError)
    }
}

impl<T: StdFile> Seek for StdIo<BufWriter<T>> {
    fn seek(&mut self, pos: SeekFrom) -> Result<u64, StdIoError> {
        io::Seek::seek(&mut self.0, pos.into()).map_err(StdIoError)
    }
}

impl<T: StdFile> Truncate for StdIo<BufWriter<T>> {
    fn truncate(&mut self) -> Result<(), StdIoError> {
        io::Write::flush(&mut self.0).map_err(StdIoError)?;
        cut_here(self.0.get_mut()).map_err(StdIoError)
    }
}

/// Drop a `BufReader`'s read-ahead: the file is moved back to the logical
/// position (one seek, only if anything was buffered).
fn settle<T: StdFile>(r: &mut BufReader<T>) -> io::Result<()> {
    if !r.buffer().is_empty() {
        // Not `stream_position`: BufReader's keeps the buffer; a seek drops it.
        #[allow(clippy::seek_from_current)]
        r.seek(io::SeekFrom::Current(0))?;
    }
    Ok(())
}

impl<T: StdFile> Read for StdIo<BufReader<T>> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, StdIoError> {
        io::Read::read(&mut self.0, buf).map_err(StdIoError)
    }
}

impl<T: StdFile> Write for StdIo<BufReader<T>> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, StdIoError> {
        settle(&mut self.0).map_err(StdIoError)?;
        self.0.get_mut().write(buf).map_err(StdIoError)
    }
    fn flush(&mut self) -> Result<(), StdIoError> {
        let file = self.0.get_mut();
        file.flush().map_err(StdIoError)?;
        file.sync_data().map_err(StdIoError)
    }
}

impl<T: StdFile> Seek for StdIo<BufReader<T>> {
    fn seek(&mut self, pos: SeekFrom) -> Result<u64, StdIoError> {
        io::Seek::seek(&mut self.0, pos.into()).map_err(StdIoError)
    }
}

impl<T: StdFile> Truncate for StdIo<BufReader<T>> {
    fn truncate(&mut self) -> Result<(), StdIoError> {
        settle(&mut self.0).map_err(StdIoError)?;
        cut_here(self.0.get_mut()).map_err(StdIoError)
    }
}
