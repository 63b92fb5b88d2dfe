//! [`ImageIo`]: OpenMV's `image.ImageIO` (docs/api.md), one type over file and memory streams.

use crate::container::Version;
use crate::error::Result;
use crate::file::{FileOptions, FileStream};
use crate::frame::{Frame, FrameInfo, Image, ReadOptions};
use crate::memory::MemoryStream;
use crate::pixformat::PixFormat;
use crate::storage::Storage;
use crate::time::Wait;

/// `ImageIO.FILE_STREAM` / `ImageIO.MEMORY_STREAM`.
///
/// With the `serde` feature it is `Serialize`/`Deserialize` (omv-proto sends
/// it as a step's value): postcard writes the variant index, which is the
/// OpenMV value, so the declaration order is part of the wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum StreamType {
    /// Backed by a file (value 0 in OpenMV).
    File = 0,
    /// Backed by a fixed buffer (value 1 in OpenMV).
    Memory = 1,
}

impl StreamType {
    /// OpenMV's constant name: `FILE_STREAM` or `MEMORY_STREAM`.
    pub const fn name(self) -> &'static str {
        match self {
            StreamType::File => "FILE_STREAM",
            StreamType::Memory => "MEMORY_STREAM",
        }
    }
}

/// `image.ImageIO`: a file stream or a memory stream.
///
/// `copy_to_fb` in Rust: [`read`](Self::read) copies the payload into the
/// caller's frame buffer (`copy_to_fb = True`). For memory streams,
/// [`MemoryStream::read_view`] returns a view into the stream's own buffer
/// without copying (`copy_to_fb = False`); with no heap there is nothing
/// else for `False` to mean on a file stream, so it reads into the buffer too.
#[derive(Debug)]
pub enum ImageIo<'m, F, T, const N: usize = 256> {
    /// A file stream.
    File(FileStream<F, T, N>),
    /// A memory stream.
    Memory(MemoryStream<'m, T>),
}

impl<'m, F: Storage, T: Wait, const N: usize> ImageIo<'m, F, T, N> {
    /// `ImageIO(path, mode)` on an opened file: `"r"` or `"w"`.
    pub fn open(file: F, mode: &str, time: T) -> Result<Self> {
        FileStream::open(file, mode, time, FileOptions::default()).map(ImageIo::File)
    }

    /// `ImageIO((w, h, pixformat), count)` over `buf` (see
    /// [`memory_stream_bytes`](crate::memory_stream_bytes)).
    pub fn memory(
        buf: &'m mut [u8],
        w: u32,
        h: u32,
        pixformat: PixFormat,
        count: u32,
        time: T,
    ) -> Result<Self> {
        let max_wait = FileOptions::default().max_wait_us;
        MemoryStream::new(buf, w, h, pixformat, count, time, max_wait).map(ImageIo::Memory)
    }

    /// `type()`.
    pub fn stream_type(&self) -> StreamType {
        match self {
            ImageIo::File(_) => StreamType::File,
            ImageIo::Memory(_) => StreamType::Memory,
        }
    }

    /// `is_closed()`: a bool (OpenMV returns 0/1, Q17).
    pub fn is_closed(&self) -> bool {
        match self {
            ImageIo::File(s) => s.is_closed(),
            ImageIo::Memory(s) => s.is_closed(),
        }
    }

    /// `count()`.
    pub fn count(&self) -> Result<u32> {
        match self {
            ImageIo::File(s) => s.count(),
            ImageIo::Memory(s) => s.count(),
        }
    }

    /// `offset()`.
    pub fn offset(&self) -> Result<u32> {
        match self {
            ImageIo::File(s) => s.offset(),
            ImageIo::Memory(s) => s.offset(),
        }
    }

    /// `version()`: the container version for file streams, `None` for memory.
    pub fn version(&self) -> Result<Option<Version>> {
        match self {
            ImageIo::File(s) => s.version().map(Some),
            ImageIo::Memory(s) => s.offset().map(|_| None),
        }
    }

    /// `buffer_size()`: payload bytes per slot for memory streams, `None` for files.
    pub fn buffer_size(&self) -> Result<Option<u64>> {
        match self {
            ImageIo::File(s) => s.size().map(|_| None),
            ImageIo::Memory(s) => s.buffer_size().map(Some),
        }
    }

    /// `size()`: file length, or the memory buffer's size including slot headers.
    pub fn size(&self) -> Result<u64> {
        match self {
            ImageIo::File(s) => s.size(),
            ImageIo::Memory(s) => s.size(),
        }
    }

    /// The stream's time source (to read or, in tests, move its clock).
    pub fn time_mut(&mut self) -> &mut T {
        match self {
            ImageIo::File(s) => s.time_mut(),
            ImageIo::Memory(s) => s.time_mut(),
        }
    }

    /// `write(image)`.
    pub fn write(&mut self, img: &Image<'_>) -> Result<()> {
        match self {
            ImageIo::File(s) => s.write(img),
            ImageIo::Memory(s) => s.write(img),
        }
    }

    /// `read(copy_to_fb=True, loop=…, pause=…)` into `fb`. `None` at the end
    /// of a file stream with `loop_ = false`; memory streams end with `EndOfStream`.
    pub fn read(&mut self, fb: &mut [u8], opts: ReadOptions) -> Result<Option<FrameInfo>> {
        match self {
            ImageIo::File(s) => s.read(fb, opts),
            ImageIo::Memory(s) => s.read(fb, opts).map(Some),
        }
    }

    /// `read(copy_to_fb, loop, pause)` as one call, returning a view of the
    /// frame's pixels.
    ///
    /// What `copy_to_fb` means here: with `true` the payload is copied into
    /// `fb`, the caller's frame buffer (on a device, the sensor's), and the
    /// view borrows `fb`. With `false` a memory stream returns a view of its
    /// own slot without copying (OpenMV returns an image over the slot); a
    /// file stream has no heap to allocate a new image from, so it still
    /// reads into `fb` (OpenMV allocates one there).
    pub fn read_frame<'a>(
        &'a mut self,
        fb: &'a mut [u8],
        opts: ReadOptions,
        copy_to_fb: bool,
    ) -> Result<Option<Frame<'a>>> {
        fn view(info: FrameInfo, fb: &[u8]) -> Frame<'_> {
            let data = fb.get(..info.payload_len as usize).unwrap_or_default();
            Frame { info, data }
        }
        match self {
            ImageIo::Memory(s) if copy_to_fb => Ok(Some(view(s.read(fb, opts)?, fb))),
            ImageIo::Memory(s) => s.read_view(opts).map(Some),
            ImageIo::File(s) => Ok(s.read(fb, opts)?.map(|info| view(info, fb))),
        }
    }

    /// `seek(offset)`.
    pub fn seek(&mut self, offset: u32) -> Result<()> {
        match self {
            ImageIo::File(s) => s.seek(offset),
            ImageIo::Memory(s) => s.seek(offset),
        }
    }

    /// `sync()`.
    pub fn sync(&mut self) -> Result<()> {
        match self {
            ImageIo::File(s) => s.sync(),
            ImageIo::Memory(s) => s.sync(),
        }
    }

    /// `close()`: idempotent.
    pub fn close(&mut self) -> Result<()> {
        match self {
            ImageIo::File(s) => s.close(),
            ImageIo::Memory(s) => s.close(),
        }
    }
}
