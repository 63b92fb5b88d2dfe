//! Why a frame could not be rendered.

use core::fmt;
use omv_imageio::PixFormat;

/// Why [`render`](crate::render) or [`encode_jpeg`](crate) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatternError {
    /// The output buffer is shorter than the frame's payload.
    BufferTooSmall {
        /// Bytes the frame needs.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// The pixel format has no raw rendering (JPEG, PNG, ARGB8).
    Unsupported(PixFormat),
    /// Width or height is zero.
    ZeroSize,
    /// The payload size does not fit in `usize` on this target.
    TooLarge,
    /// The JPEG encoder failed.
    Jpeg,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PatternError::BufferTooSmall { needed, available } => write!(
                f,
                "frame buffer too small: need {needed} bytes, have {available}"
            ),
            PatternError::Unsupported(p) => write!(f, "pixel format {p} cannot be rendered raw"),
            PatternError::ZeroSize => write!(f, "frame width and height must be at least 1"),
            PatternError::TooLarge => write!(f, "frame payload does not fit in memory"),
            PatternError::Jpeg => write!(f, "JPEG encoding failed"),
        }
    }
}

impl core::error::Error for PatternError {}
