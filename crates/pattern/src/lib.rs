//! Deterministic camera frame content, shared by the host simulator
//! (`imageio-sim`) and the agent firmware so that a recording made on either
//! is byte-identical.
//!
//! [`render`] fills a caller buffer with the raw payload of frame `seq` for
//! one of the [`Content`] kinds, in any uncompressed OpenMV pixel format
//! (GRAYSCALE, RGB565, BAYER_*, YUV422/YVU422, BINARY). Nothing here
//! allocates; the optional `jpeg` feature (needs `alloc`) adds
//! [`encode_jpeg`], which compresses the same frame with the pure-Rust
//! `jpeg-encoder` crate.
//!
//! Every frame carries its sequence number: the first [`STAMP_BITS`] pixels
//! of the first [`STAMP_ROWS`] rows are white (bit set) or black (bit clear)
//! for the bits of `seq`, most significant first (see [`stamp`]), so no two
//! frames of a stream are equal.
//!
//! ```
//! use omv_pattern::{render, Content};
//! use omv_imageio::PixFormat;
//!
//! let mut buf = [0u8; 32 * 24 * 2];
//! let n = render(Content::MovingBox, 7, 3, 32, 24, PixFormat::Rgb565, &mut buf).unwrap();
//! assert_eq!(n, 32 * 24 * 2);
//! // Same inputs, same bytes.
//! let mut again = [0u8; 32 * 24 * 2];
//! render(Content::MovingBox, 7, 3, 32, 24, PixFormat::Rgb565, &mut again).unwrap();
//! assert_eq!(buf, again);
//! ```
#![no_std]
#![cfg_attr(test, allow(clippy::unwrap_used))]

#[cfg(feature = "jpeg")]
extern crate alloc;

mod convert;
mod error;
#[cfg(feature = "jpeg")]
mod jpeg;
mod rng;
mod scene;

pub use convert::{payload_len, render_with, Rgb};
pub use error::PatternError;
#[cfg(feature = "jpeg")]
pub use jpeg::{encode_jpeg, encode_rgb_jpeg, render_rgb888};
pub use rng::SplitMix64;
pub use scene::{stamp, Content, STAMP_BITS, STAMP_ROWS};

use omv_imageio::PixFormat;

/// Every format [`render`] takes, in [`PixFormat::ALL`]'s order: all but
/// the compressed ones (JPEG, PNG) and ARGB8 (no payload, Q14).
pub const RENDER_FORMATS: [PixFormat; 9] = {
    let mut out = [PixFormat::Binary; 9];
    let (mut i, mut n) = (0, 0);
    while i < PixFormat::ALL.len() {
        let p = PixFormat::ALL[i];
        if !p.is_compressed() && p.code() != PixFormat::Argb8.code() {
            out[n] = p;
            n += 1;
        }
        i += 1;
    }
    assert!(n == out.len());
    out
};

/// Fill `out` with the raw payload of frame number `seq` of `content`
/// (seeded by `seed`), `width × height` pixels in `pixformat`; returns the
/// bytes written (OpenMV's `image_size()`).
///
/// Errors: [`PatternError::Unsupported`] for JPEG, PNG and ARGB8 (use
/// [`encode_jpeg`] for JPEG), [`PatternError::ZeroSize`] for an empty frame,
/// [`PatternError::BufferTooSmall`] if `out` is shorter than the payload.
pub fn render(
    content: Content,
    seed: u64,
    seq: u32,
    width: u16,
    height: u16,
    pixformat: PixFormat,
    out: &mut [u8],
) -> Result<usize, PatternError> {
    let scene = scene::Scene::new(content, seed, seq, width, height);
    // Rows outside the stamp that look alike are rendered once and copied.
    convert::render_rows(
        width,
        height,
        pixformat,
        out,
        |x, y| stamp(seq, x, y).unwrap_or_else(|| scene.pixel(x, y)),
        |y| (y >= STAMP_ROWS).then(|| scene.row_class(y)).flatten(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copied_rows_equal_rendering_every_pixel() {
        let mut fast = [0u8; 70 * 50 * 2];
        let mut slow = [0u8; 70 * 50 * 2];
        for content in Content::ALL {
            for pf in RENDER_FORMATS {
                for (w, h) in [(70, 50), (33, 7), (5, 3), (1, 1), (8, 300)] {
                    for seq in [0, 1, 17, 40] {
                        let scene = scene::Scene::new(content, 3, seq, w, h);
                        let a = render(content, 3, seq, w, h, pf, &mut fast[..]);
                        let b = render_with(w, h, pf, &mut slow[..], |x, y| {
                            stamp(seq, x, y).unwrap_or_else(|| scene.pixel(x, y))
                        });
                        let n = a.unwrap();
                        assert_eq!(Ok(n), b, "{content:?} {pf:?} {w}x{h}");
                        assert_eq!(fast[..n], slow[..n], "{content:?} {pf:?} {w}x{h} #{seq}");
                    }
                }
            }
        }
    }
}
