//! From a frame's payload to pixels a viewer shows: 8-bit grayscale or RGB.
//!
//! The inverse of `omv_pattern::render_with` (whose docs give each raw
//! layout), plus JPEG (`jpeg-decoder`) and PNG (`png`) payloads.

use omv_imageio::PixFormat;
use omv_pattern::Rgb;

/// Decoded pixels, rows top to bottom, no padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pixels {
    /// One luma byte per pixel.
    Gray(Vec<u8>),
    /// Three bytes per pixel: red, green, blue.
    Rgb(Vec<u8>),
}

/// A decoded picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The pixels.
    pub pixels: Pixels,
}

impl Picture {
    /// Packed RGB888, grayscale expanded.
    pub fn to_rgb(&self) -> Vec<u8> {
        match &self.pixels {
            Pixels::Rgb(v) => v.clone(),
            Pixels::Gray(v) => v.iter().flat_map(|&g| [g, g, g]).collect(),
        }
    }

    /// The colour at `(x, y)`; black outside the picture.
    pub fn pixel(&self, x: u32, y: u32) -> Rgb {
        if x >= self.width || y >= self.height {
            return Rgb::BLACK;
        }
        let i = y as usize * self.width as usize + x as usize;
        match &self.pixels {
            Pixels::Gray(v) => v.get(i).map_or(Rgb::BLACK, |&g| Rgb::new(g, g, g)),
            Pixels::Rgb(v) => v
                .get(3 * i..3 * i + 3)
                .map_or(Rgb::BLACK, |p| Rgb::new(p[0], p[1], p[2])),
        }
    }
}

/// Turn a `width × height` payload in `pixformat` into pixels. JPEG and PNG
/// payloads are decoded (their own dimensions win); ARGB8 has no pixel data
/// in this container (quirk Q14) and is an error, as is a payload shorter
/// than the layout needs.
pub fn decode(
    width: u32,
    height: u32,
    pixformat: PixFormat,
    payload: &[u8],
) -> Result<Picture, String> {
    let (w, h) = (width as usize, height as usize);
    if let Some(needed) = pixformat.raw_payload_len(width, height) {
        if pixformat == PixFormat::Argb8 {
            return Err("ARGB8 frames carry no pixel data in this container (quirk Q14)".into());
        }
        if (payload.len() as u64) < needed {
            return Err(format!(
                "payload: expected {needed} bytes, found {}",
                payload.len()
            ));
        }
    }
    let gray = |v: Vec<u8>| Picture {
        width,
        height,
        pixels: Pixels::Gray(v),
    };
    let rgb = |v: Vec<u8>| Picture {
        width,
        height,
        pixels: Pixels::Rgb(v),
    };
    Ok(match pixformat {
        PixFormat::Grayscale => gray(payload[..w * h].to_vec()),
        PixFormat::Binary => {
            let stride = w.div_ceil(32) * 4;
            let mut out = Vec::with_capacity(w * h);
            for row in payload.chunks_exact(stride).take(h) {
                out.extend((0..w).map(|x| 255 * ((row[x / 8] >> (x % 8)) & 1)));
            }
            gray(out)
        }
        PixFormat::Rgb565 => rgb(payload[..2 * w * h]
            .chunks_exact(2)
            .flat_map(|p| rgb565(u16::from_le_bytes([p[0], p[1]])))
            .collect()),
        PixFormat::Yuv422 | PixFormat::Yvu422 => rgb(yuv422(
            w,
            h,
            &payload[..2 * w * h],
            pixformat == PixFormat::Yvu422,
        )),
        PixFormat::BayerBggr
        | PixFormat::BayerGbrg
        | PixFormat::BayerGrbg
        | PixFormat::BayerRggb => rgb(demosaic(w, h, &payload[..w * h], cfa(pixformat))),
        PixFormat::Jpeg => jpeg(payload)?,
        PixFormat::Png => png_pixels(payload)?,
        PixFormat::Argb8 => return Err("ARGB8 has no pixel data".into()),
    })
}

/// RGB565 to RGB888, the low bits filled by repeating the high ones (so
/// 0x1F becomes 255, 0 stays 0).
fn rgb565(v: u16) -> [u8; 3] {
    let (r, g, b) = ((v >> 11) & 0x1F, (v >> 5) & 0x3F, v & 0x1F);
    [
        ((r << 3) | (r >> 2)) as u8,
        ((g << 2) | (g >> 4)) as u8,
        ((b << 3) | (b >> 2)) as u8,
    ]
}

/// BT.601 full-range YCbCr to RGB (the inverse of `omv_pattern::Rgb::chroma`).
fn ycbcr(y: u8, u: u8, v: u8) -> [u8; 3] {
    let (y, u, v) = (f32::from(y), f32::from(u) - 128.0, f32::from(v) - 128.0);
    let c = |x: f32| x.round().clamp(0.0, 255.0) as u8;
    [
        c(y + 1.402 * v),
        c(y - 0.344_136 * u - 0.714_136 * v),
        c(y + 1.772 * u),
    ]
}

/// `Y0 U Y1 V` pairs (`Y0 V Y1 U` when `swap`); an odd last pixel has only
/// `Y U` (or `Y V`), its missing chroma taken as neutral.
fn yuv422(w: usize, h: usize, data: &[u8], swap: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(3 * w * h);
    for row in data.chunks_exact(2 * w).take(h) {
        for pair in row.chunks(4) {
            let at = |i: usize| pair.get(i).copied().unwrap_or(128);
            let (c0, c1) = (at(1), at(3));
            let (u, v) = if swap { (c1, c0) } else { (c0, c1) };
            out.extend(ycbcr(at(0), u, v));
            if pair.len() == 4 {
                out.extend(ycbcr(pair[2], u, v));
            }
        }
    }
    out
}

/// The channel (0 R, 1 G, 2 B) at (x mod 2, y mod 2) = (0,0), (1,0), (0,1), (1,1).
fn cfa(pixformat: PixFormat) -> [u8; 4] {
    match pixformat {
        PixFormat::BayerBggr => [2, 1, 1, 0],
        PixFormat::BayerGbrg => [1, 2, 0, 1],
        PixFormat::BayerGrbg => [1, 0, 2, 1],
        _ => [0, 1, 1, 2],
    }
}

/// Bilinear demosaicing: each channel of each pixel is the sample itself
/// where the filter has that channel, else the mean of the same-channel
/// samples in its 3×3 neighbourhood (cut at the edges).
fn demosaic(w: usize, h: usize, data: &[u8], cfa: [u8; 4]) -> Vec<u8> {
    let channel = |x: usize, y: usize| cfa[(x & 1) + 2 * (y & 1)];
    let mut out = Vec::with_capacity(3 * w * h);
    for y in 0..h {
        for x in 0..w {
            let own = channel(x, y);
            let mut sum = [0u32; 3];
            let mut n = [0u32; 3];
            for ny in y.saturating_sub(1)..(y + 2).min(h) {
                for nx in x.saturating_sub(1)..(x + 2).min(w) {
                    let c = usize::from(channel(nx, ny));
                    sum[c] += u32::from(data[ny * w + nx]);
                    n[c] += 1;
                }
            }
            for c in 0..3u8 {
                let i = usize::from(c);
                out.push(if c == own {
                    data[y * w + x]
                } else {
                    // Every 3x3 window of a 2x2 pattern holds each channel
                    // unless the picture is 1 pixel wide or high.
                    (sum[i] + n[i] / 2).checked_div(n[i]).unwrap_or(0) as u8
                });
            }
        }
    }
    out
}

/// The most pixels a decoded picture may have (an APNG canvas, a JPEG):
/// 64 Mpixel, 192 MiB as RGB. A corrupt size field then gives an error
/// instead of exhausting memory.
pub const MAX_PIXELS: u64 = 64 << 20;

/// A JPEG payload to pixels.
pub fn jpeg(data: &[u8]) -> Result<Picture, String> {
    let mut dec = jpeg_decoder::Decoder::new(data);
    dec.set_max_decoding_buffer_size(MAX_PIXELS as usize * 4);
    let pixels = dec.decode().map_err(|e| format!("JPEG: {e}"))?;
    let info = dec.info().ok_or("JPEG: no frame header")?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let pixels = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => Pixels::Gray(pixels),
        jpeg_decoder::PixelFormat::L16 => {
            Pixels::Gray(pixels.chunks_exact(2).map(|p| p[0]).collect())
        }
        jpeg_decoder::PixelFormat::RGB24 => Pixels::Rgb(pixels),
        jpeg_decoder::PixelFormat::CMYK32 => Pixels::Rgb(
            pixels
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = u16::from(255 - p[3]);
                    [0, 1, 2].map(|i| ((u16::from(255 - p[i]) * k) / 255) as u8)
                })
                .collect(),
        ),
    };
    Ok(Picture {
        width,
        height,
        pixels,
    })
}

/// A PNG payload to 8-bit gray or RGB pixels (palette expanded, 16-bit
/// stripped, alpha dropped).
pub fn png_pixels(data: &[u8]) -> Result<Picture, String> {
    let mut dec = png::Decoder::new(std::io::Cursor::new(data));
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = dec.read_info().map_err(|e| format!("PNG: {e}"))?;
    let size = reader
        .output_buffer_size()
        .ok_or("PNG: image too large for memory")?;
    let mut buf = vec![0; size];
    let out = reader
        .next_frame(&mut buf)
        .map_err(|e| format!("PNG: {e}"))?;
    let (w, h) = (out.width as usize, out.height as usize);
    let rows = buf.chunks_exact(out.line_size.max(1)).take(h);
    let pick = |bpp: usize, take: &[usize]| -> Vec<u8> {
        rows.clone()
            .flat_map(|r| r.chunks_exact(bpp).take(w))
            .flat_map(|p| take.iter().map(|&i| p[i]).collect::<Vec<_>>())
            .collect()
    };
    let pixels = match out.color_type {
        png::ColorType::Grayscale => Pixels::Gray(pick(1, &[0])),
        png::ColorType::GrayscaleAlpha => Pixels::Gray(pick(2, &[0])),
        png::ColorType::Rgb => Pixels::Rgb(pick(3, &[0, 1, 2])),
        png::ColorType::Rgba => Pixels::Rgb(pick(4, &[0, 1, 2])),
        png::ColorType::Indexed => return Err("PNG: palette not expanded".into()),
    };
    Ok(Picture {
        width: out.width,
        height: out.height,
        pixels,
    })
}

#[cfg(test)]
#[path = "pixels_tests.rs"]
mod tests;
