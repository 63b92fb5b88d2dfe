//! From RGB colours to OpenMV's raw pixel formats.

use crate::error::PatternError;
use omv_imageio::PixFormat;

/// An 8-bit-per-channel colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
}

impl Rgb {
    /// White.
    pub const WHITE: Rgb = Rgb::new(255, 255, 255);
    /// Black.
    pub const BLACK: Rgb = Rgb::new(0, 0, 0);

    /// A colour.
    pub const fn new(r: u8, g: u8, b: u8) -> Self {
        Rgb { r, g, b }
    }

    /// Luma, BT.601 weights in 8-bit fixed point: `(77 r + 150 g + 29 b) >> 8`
    /// (the weights sum to 256, so white stays 255).
    pub const fn luma(self) -> u8 {
        ((77 * self.r as u32 + 150 * self.g as u32 + 29 * self.b as u32) >> 8) as u8
    }

    /// RGB565 as a `u16` (red in the high 5 bits).
    pub const fn rgb565(self) -> u16 {
        ((self.r as u16 >> 3) << 11) | ((self.g as u16 >> 2) << 5) | (self.b as u16 >> 3)
    }

    /// BT.601 chroma (U = Cb, V = Cr), full range, centred on 128.
    pub fn chroma(self) -> (u8, u8) {
        let (r, g, b) = (i32::from(self.r), i32::from(self.g), i32::from(self.b));
        let u = ((-43 * r - 85 * g + 128 * b) >> 8) + 128;
        let v = ((128 * r - 107 * g - 21 * b) >> 8) + 128;
        (u.clamp(0, 255) as u8, v.clamp(0, 255) as u8)
    }

    fn average(self, o: Rgb) -> Rgb {
        let avg = |a: u8, b: u8| ((u16::from(a) + u16::from(b)) / 2) as u8;
        Rgb::new(avg(self.r, o.r), avg(self.g, o.g), avg(self.b, o.b))
    }
}

/// Payload bytes of a raw `width × height` frame in `pixformat` (OpenMV's
/// `image_size()`), or why it cannot be rendered.
pub fn payload_len(width: u16, height: u16, pixformat: PixFormat) -> Result<usize, PatternError> {
    if width == 0 || height == 0 {
        return Err(PatternError::ZeroSize);
    }
    let n = match pixformat {
        PixFormat::Argb8 | PixFormat::Jpeg | PixFormat::Png => {
            return Err(PatternError::Unsupported(pixformat))
        }
        p => p
            .raw_payload_len(u32::from(width), u32::from(height))
            .ok_or(PatternError::Unsupported(pixformat))?,
    };
    usize::try_from(n).map_err(|_| PatternError::TooLarge)
}

/// Render any picture: `pixel(x, y)` gives each pixel's colour, written to
/// `out` in `pixformat`. Returns the bytes written.
///
/// Layouts: GRAYSCALE one luma byte; RGB565 little-endian `u16`; BAYER_xxxx
/// the channel of the 2×2 pattern at (x mod 2, y mod 2), e.g. BGGR has blue
/// at (0,0); YUV422 `Y0 U Y1 V` (YVU422 `Y0 V Y1 U`) with chroma averaged
/// over the pixel pair (an odd last pixel pairs with itself); BINARY one bit
/// per pixel (luma > 127), bit `x mod 8` of byte `x / 8`, rows padded to
/// 32 bits, as OpenMV's `IMAGE_GET_BINARY_PIXEL`.
///
/// ```
/// use omv_pattern::{render_with, Rgb};
/// use omv_imageio::PixFormat;
/// let mut out = [0u8; 4];
/// render_with(2, 2, PixFormat::Grayscale, &mut out, |x, _| Rgb::new(x as u8 * 255, 0, 0)).unwrap();
/// assert_eq!(out, [0, 76, 0, 76]);
/// ```
pub fn render_with<F: FnMut(u16, u16) -> Rgb>(
    width: u16,
    height: u16,
    pixformat: PixFormat,
    out: &mut [u8],
    pixel: F,
) -> Result<usize, PatternError> {
    render_rows(width, height, pixformat, out, pixel, |_| None)
}

/// [`render_with`], told which pixel rows are alike: rows `y` for which
/// `row_class(y)` is the same `Some(c)` have the same colours, pixel for
/// pixel. Such a row is copied from the last row of its class that gives
/// the same bytes (the previous one, or two rows up for BAYER, whose bytes
/// depend on `y mod 2`) instead of being rendered again. `None`: always
/// rendered.
pub(crate) fn render_rows<F, C>(
    width: u16,
    height: u16,
    pixformat: PixFormat,
    out: &mut [u8],
    mut pixel: F,
    row_class: C,
) -> Result<usize, PatternError>
where
    F: FnMut(u16, u16) -> Rgb,
    C: Fn(u16) -> Option<u32>,
{
    let needed = payload_len(width, height, pixformat)?;
    if out.len() < needed {
        return Err(PatternError::BufferTooSmall {
            needed,
            available: out.len(),
        });
    }
    let w = usize::from(width);
    let stride = match pixformat {
        PixFormat::Grayscale
        | PixFormat::BayerBggr
        | PixFormat::BayerGbrg
        | PixFormat::BayerGrbg
        | PixFormat::BayerRggb => w,
        PixFormat::Rgb565 | PixFormat::Yuv422 | PixFormat::Yvu422 => 2 * w,
        PixFormat::Binary => w.div_ceil(32) * 4,
        PixFormat::Argb8 | PixFormat::Jpeg | PixFormat::Png => {
            return Err(PatternError::Unsupported(pixformat))
        }
    };
    let bayer = stride == w && pixformat != PixFormat::Grayscale;
    let back: u16 = if bayer { 2 } else { 1 };
    let span = usize::from(back) * stride;
    let out = &mut out[..needed];
    for y in 0..height {
        let at = usize::from(y) * stride;
        let class = row_class(y);
        if class.is_some() && y >= back && row_class(y - back) == class {
            out.copy_within(at - span..at - span + stride, at);
            continue;
        }
        let row = &mut out[at..at + stride];
        render_row(width, y, pixformat, row, &mut pixel);
    }
    Ok(needed)
}

/// Render row `y` (`row` is exactly one row of `pixformat`).
fn render_row<F: FnMut(u16, u16) -> Rgb>(
    width: u16,
    y: u16,
    pixformat: PixFormat,
    row: &mut [u8],
    pixel: &mut F,
) {
    match pixformat {
        PixFormat::Grayscale => {
            for (x, px) in (0..width).zip(row.iter_mut()) {
                *px = pixel(x, y).luma();
            }
        }
        PixFormat::Rgb565 => {
            for (x, px) in (0..width).zip(row.chunks_exact_mut(2)) {
                px.copy_from_slice(&pixel(x, y).rgb565().to_le_bytes());
            }
        }
        PixFormat::Yuv422 | PixFormat::Yvu422 => {
            let swap = pixformat == PixFormat::Yvu422;
            for (pair, bytes) in (0..width).step_by(2).zip(row.chunks_mut(4)) {
                let a = pixel(pair, y);
                let b = if pair + 1 < width {
                    pixel(pair + 1, y)
                } else {
                    a
                };
                let (u, v) = a.average(b).chroma();
                let (c0, c1) = if swap { (v, u) } else { (u, v) };
                let vals = [a.luma(), c0, b.luma(), c1];
                for (dst, src) in bytes.iter_mut().zip(vals) {
                    *dst = src;
                }
            }
        }
        PixFormat::Binary => {
            row.fill(0);
            for x in 0..width {
                if pixel(x, y).luma() > 127 {
                    row[usize::from(x / 8)] |= 1 << (x % 8);
                }
            }
        }
        // BAYER_* (the other formats never reach here).
        _ => {
            // Channel at (0,0), (1,0), (0,1), (1,1): 0 = R, 1 = G, 2 = B.
            let cfa: [u8; 4] = match pixformat {
                PixFormat::BayerBggr => [2, 1, 1, 0],
                PixFormat::BayerGbrg => [1, 2, 0, 1],
                PixFormat::BayerGrbg => [1, 0, 2, 1],
                _ => [0, 1, 1, 2],
            };
            for (x, px) in (0..width).zip(row.iter_mut()) {
                let c = pixel(x, y);
                let at = usize::from(x & 1) + 2 * usize::from(y & 1);
                *px = match cfa[at] {
                    0 => c.r,
                    1 => c.g,
                    _ => c.b,
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_conversions() {
        assert_eq!(Rgb::WHITE.luma(), 255);
        assert_eq!(Rgb::BLACK.luma(), 0);
        assert_eq!(Rgb::WHITE.rgb565(), 0xFFFF);
        assert_eq!(Rgb::new(255, 0, 0).rgb565(), 0xF800);
        assert_eq!(Rgb::new(0, 255, 0).rgb565(), 0x07E0);
        assert_eq!(Rgb::new(0, 0, 255).rgb565(), 0x001F);
        assert_eq!(Rgb::WHITE.chroma(), (128, 128));
        assert_eq!(Rgb::BLACK.chroma(), (128, 128));
        let (u, v) = Rgb::new(0, 0, 255).chroma();
        assert!(u > 200 && v < 128);
    }

    #[test]
    fn bayer_bggr_layout() {
        let mut out = [0u8; 4];
        render_with(2, 2, PixFormat::BayerBggr, &mut out, |_, _| {
            Rgb::new(10, 20, 30)
        })
        .unwrap();
        assert_eq!(out, [30, 20, 20, 10]);
        render_with(2, 2, PixFormat::BayerRggb, &mut out, |_, _| {
            Rgb::new(10, 20, 30)
        })
        .unwrap();
        assert_eq!(out, [10, 20, 20, 30]);
    }

    #[test]
    fn yuv_layout_and_odd_width() {
        let mut out = [0u8; 6];
        render_with(3, 1, PixFormat::Yuv422, &mut out, |x, _| {
            if x == 1 {
                Rgb::WHITE
            } else {
                Rgb::BLACK
            }
        })
        .unwrap();
        assert_eq!(out, [0, 128, 255, 128, 0, 128]);
    }

    #[test]
    fn binary_bits_and_padding() {
        // 33 px wide: two 32-bit words per row.
        let mut out = [0xAAu8; 16];
        let n = render_with(33, 2, PixFormat::Binary, &mut out, |x, _| {
            if x == 0 || x == 9 || x == 32 {
                Rgb::WHITE
            } else {
                Rgb::BLACK
            }
        })
        .unwrap();
        assert_eq!(n, 16);
        assert_eq!(&out[..8], &[0x01, 0x02, 0, 0, 0x01, 0, 0, 0]);
        let (first, second) = out.split_at(8);
        assert_eq!(first, second);
    }
}
