//! JPEG frames (feature `jpeg`): the same picture as [`render`](crate::render),
//! compressed with `jpeg-encoder` so host and firmware produce identical bytes.

use alloc::vec::Vec;

use crate::convert::Rgb;
use crate::error::PatternError;
use crate::scene::{stamp, Content, Scene};

/// Bytes of a packed RGB888 `width × height` picture, or why there is none.
fn rgb888_len(width: u16, height: u16) -> Result<usize, PatternError> {
    if width == 0 || height == 0 {
        return Err(PatternError::ZeroSize);
    }
    usize::from(width)
        .checked_mul(usize::from(height))
        .and_then(|p| p.checked_mul(3))
        .ok_or(PatternError::TooLarge)
}

/// Frame `seq` as packed RGB888 (3 bytes per pixel, rows top to bottom),
/// sequence stamp included.
pub fn render_rgb888(
    content: Content,
    seed: u64,
    seq: u32,
    width: u16,
    height: u16,
) -> Result<Vec<u8>, PatternError> {
    let n = rgb888_len(width, height)?;
    let scene = Scene::new(content, seed, seq, width, height);
    let mut out = Vec::with_capacity(n);
    for y in 0..height {
        for x in 0..width {
            let c: Rgb = stamp(seq, x, y).unwrap_or_else(|| scene.pixel(x, y));
            out.extend_from_slice(&[c.r, c.g, c.b]);
        }
    }
    Ok(out)
}

/// Compress packed RGB888 pixels (`width × height × 3` bytes) to a baseline
/// JPEG at `quality` (1–100, clamped) with 4:2:0 chroma sampling, the
/// encoder's defaults otherwise.
pub fn encode_rgb_jpeg(
    rgb: &[u8],
    width: u16,
    height: u16,
    quality: u8,
) -> Result<Vec<u8>, PatternError> {
    let needed = rgb888_len(width, height)?;
    if rgb.len() < needed {
        return Err(PatternError::BufferTooSmall {
            needed,
            available: rgb.len(),
        });
    }
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, quality.clamp(1, 100));
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    enc.encode(&rgb[..needed], width, height, jpeg_encoder::ColorType::Rgb)
        .map_err(|_| PatternError::Jpeg)?;
    Ok(out)
}

/// Frame `seq` of `content` as a JPEG file's bytes (see [`encode_rgb_jpeg`]).
///
/// ```
/// let jpg = omv_pattern::encode_jpeg(omv_pattern::Content::Noise, 1, 0, 64, 48, 90).unwrap();
/// assert_eq!(&jpg[..2], &[0xFF, 0xD8]);
/// ```
pub fn encode_jpeg(
    content: Content,
    seed: u64,
    seq: u32,
    width: u16,
    height: u16,
    quality: u8,
) -> Result<Vec<u8>, PatternError> {
    let rgb = render_rgb888(content, seed, seq, width, height)?;
    encode_rgb_jpeg(&rgb, width, height, quality)
}
