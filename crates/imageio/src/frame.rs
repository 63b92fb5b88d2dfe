//! Frames going in ([`Image`]) and coming out ([`FrameInfo`]) of a stream.

use crate::error::{Error, ErrorKind, Result};
use crate::pixformat::PixFormat;
use crate::MAX_DIMENSION;

/// An image to write: dimensions, format and the raw payload (`image_t.data`).
///
/// For uncompressed formats `data.len()` must equal the size OpenMV's
/// `image_size()` gives for `width × height`; for JPEG/PNG it is the
/// compressed byte count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Image<'a> {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixel format.
    pub pixformat: PixFormat,
    /// Payload bytes.
    pub data: &'a [u8],
}

impl<'a> Image<'a> {
    /// An image over `data`.
    pub const fn new(width: u32, height: u32, pixformat: PixFormat, data: &'a [u8]) -> Self {
        Image {
            width,
            height,
            pixformat,
            data,
        }
    }

    /// Check the dimensions and the data length; returns the payload length.
    ///
    /// ARGB8 has a zero-byte payload in this container (Q14): an ARGB8 image
    /// with data is rejected rather than written without its pixels.
    pub fn validate(&self) -> Result<u32> {
        check_dimensions(self.width, self.height)?;
        let len = self.data.len() as u64;
        match self.pixformat.raw_payload_len(self.width, self.height) {
            Some(expected) if expected != len => Err(Error::new(ErrorKind::InvalidFrameSize {
                size: len,
                allowed: expected,
            })),
            _ => u32::try_from(len).map_err(|_| {
                Error::new(ErrorKind::InvalidFrameSize {
                    size: len,
                    allowed: u64::from(u32::MAX),
                })
            }),
        }
    }
}

/// Reject dimensions above [`MAX_DIMENSION`].
pub fn check_dimensions(width: u32, height: u32) -> Result<()> {
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(Error::new(ErrorKind::DimensionTooLarge { width, height }));
    }
    Ok(())
}

/// What a read returned: the frame's place in the stream, its timing and its
/// shape. The payload itself is in the caller's buffer (`payload_len` bytes)
/// or in the borrowed view of [`Frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameInfo {
    /// Frame index (0-based).
    pub index: u32,
    /// Byte offset of the chunk header in the file, or of the slot in a memory buffer.
    pub offset: u64,
    /// The elapsed field as stored (ms, or µs in V2.1).
    pub elapsed: u32,
    /// The elapsed time in microseconds.
    pub elapsed_us: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixel format.
    pub pixformat: PixFormat,
    /// Payload bytes (without padding).
    pub payload_len: u32,
    /// The V2 size field as stored (0 for V1 and memory streams' uncompressed frames).
    pub size_field: u32,
    /// True when `pause` waited less than the recorded interval because the
    /// interval exceeded the stream's `max_wait_us` (Q19).
    pub wait_clamped: bool,
}

/// A frame borrowed from a memory stream, without copying (`copy_to_fb = false`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Where the frame is and what it is.
    pub info: FrameInfo,
    /// The payload.
    pub data: &'a [u8],
}

impl Frame<'_> {
    /// The frame as an [`Image`], e.g. to write it to another stream.
    pub fn image(&self) -> Image<'_> {
        Image::new(
            self.info.width,
            self.info.height,
            self.info.pixformat,
            self.data,
        )
    }
}

/// Options of `read` (OpenMV's `read(copy_to_fb, *, loop, pause)`, docs/api.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// At the end of a file stream, rewind to the first frame instead of returning `None`.
    pub loop_: bool,
    /// Wait until the frame's recorded time before returning it.
    pub pause: bool,
}

impl Default for ReadOptions {
    /// OpenMV's defaults: `loop=True, pause=True`.
    fn default() -> Self {
        ReadOptions {
            loop_: true,
            pause: true,
        }
    }
}

impl ReadOptions {
    /// `loop=False, pause=False`: every frame once, as fast as possible.
    pub const FAST_ONCE: ReadOptions = ReadOptions {
        loop_: false,
        pause: false,
    };
    /// `loop=False, pause=True`: every frame once, at the recorded pace.
    pub const PACED_ONCE: ReadOptions = ReadOptions {
        loop_: false,
        pause: true,
    };
}
