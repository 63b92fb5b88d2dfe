//! What the simulated sensor sees: an `omv-pattern` content, or the frames
//! of a folder of PNG or JPEG files (real footage).

use std::path::Path;
use std::sync::Arc;

use omv_imageio::PixFormat;
use omv_pattern::{render, render_with, stamp, Content, PatternError, Rgb};

use crate::error::SimError;

/// Frames decoded from PNG or JPEG files, kept as RGB888.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PngFrames {
    frames: Vec<RgbImage>,
}

/// One decoded picture.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RgbImage {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl PngFrames {
    /// Decode every `*.png`, `*.jpg` and `*.jpeg` in `dir`, in file-name
    /// order. Fails if there are none or one cannot be decoded (the error
    /// names the file).
    pub fn load_dir(dir: &Path) -> Result<Self, SimError> {
        let paths = image_files(dir)?;
        if paths.is_empty() {
            return Err(SimError::Png(format!(
                "{}: no .png, .jpg or .jpeg files",
                dir.display()
            )));
        }
        let frames = paths
            .iter()
            .map(|p| decode_png(p))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PngFrames { frames })
    }

    /// Frames from PNG files already in memory (e.g. embedded test data).
    pub fn from_bytes<'a>(files: impl IntoIterator<Item = &'a [u8]>) -> Result<Self, SimError> {
        let frames = files
            .into_iter()
            .enumerate()
            .map(|(i, b)| decode(std::io::Cursor::new(b), &format!("PNG #{i}")))
            .collect::<Result<Vec<_>, _>>()?;
        if frames.is_empty() {
            return Err(SimError::Png("no PNG frames given".into()));
        }
        Ok(PngFrames { frames })
    }

    /// Number of pictures (frame `k` shows picture `k mod len`).
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// True if there are none (never, for a loaded set).
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// The colour of (`x`, `y`) of picture `k mod len` scaled to `w × h`
    /// (nearest neighbour).
    fn pixel(&self, k: u32, w: u16, h: u16, x: u16, y: u16) -> Rgb {
        let img = &self.frames[k as usize % self.frames.len()];
        let sx = u64::from(x) * u64::from(img.width) / u64::from(w.max(1));
        let sy = u64::from(y) * u64::from(img.height) / u64::from(h.max(1));
        let i = ((sy * u64::from(img.width) + sx) * 3) as usize;
        match img.rgb.get(i..i + 3) {
            Some(p) => Rgb::new(p[0], p[1], p[2]),
            None => Rgb::BLACK,
        }
    }
}

/// The `*.png`, `*.jpg` and `*.jpeg` files of `dir`, sorted by name.
pub fn image_files(dir: &Path) -> Result<Vec<std::path::PathBuf>, SimError> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| SimError::Png(format!("{}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| ["png", "jpg", "jpeg"].contains(&x.to_ascii_lowercase().as_str()))
        })
        .collect();
    paths.sort();
    Ok(paths)
}

fn decode_png(path: &Path) -> Result<RgbImage, SimError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| SimError::Png(format!("{name}: {e}")))?;
    if bytes.starts_with(&[0xFF, 0xD8]) {
        return decode_jpeg(&bytes, &name);
    }
    decode(std::io::Cursor::new(&bytes[..]), &name)
}

/// A baseline or progressive JPEG as RGB888 (grayscale and CMYK converted).
fn decode_jpeg(bytes: &[u8], name: &str) -> Result<RgbImage, SimError> {
    let err = |e: &dyn std::fmt::Display| SimError::Png(format!("{name}: {e}"));
    let mut dec = jpeg_decoder::Decoder::new(bytes);
    let px = dec.decode().map_err(|e| err(&e))?;
    let info = dec.info().ok_or_else(|| err(&"no image information"))?;
    let rgb = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => px,
        jpeg_decoder::PixelFormat::L8 => px.iter().flat_map(|&g| [g, g, g]).collect(),
        jpeg_decoder::PixelFormat::L16 => px
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0]])
            .collect(),
        jpeg_decoder::PixelFormat::CMYK32 => px
            .chunks_exact(4)
            .flat_map(|p| {
                let k = u16::from(255 - p[3]);
                let c = |v: u8| ((u16::from(255 - v) * k) / 255) as u8;
                [c(p[0]), c(p[1]), c(p[2])]
            })
            .collect(),
    };
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    if rgb.len() != (width as usize) * (height as usize) * 3 {
        return Err(err(&"unexpected decoded size"));
    }
    Ok(RgbImage { width, height, rgb })
}

fn decode<R: std::io::BufRead + std::io::Seek>(r: R, name: &str) -> Result<RgbImage, SimError> {
    let err = |e: &dyn std::fmt::Display| SimError::Png(format!("{name}: {e}"));
    let mut dec = png::Decoder::new(r);
    dec.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = dec.read_info().map_err(|e| err(&e))?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| err(&"image too large"))?;
    let mut buf = vec![0u8; size];
    let info = reader.next_frame(&mut buf).map_err(|e| err(&e))?;
    buf.truncate(info.buffer_size());
    let px = (info.width as usize) * (info.height as usize);
    let rgb = match info.color_type {
        png::ColorType::Rgb => buf,
        png::ColorType::Rgba => buf
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect(),
        png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g]).collect(),
        png::ColorType::GrayscaleAlpha => buf
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0]])
            .collect(),
        png::ColorType::Indexed => return Err(err(&"palette not expanded")),
    };
    if rgb.len() != px * 3 {
        return Err(err(&"unexpected decoded size"));
    }
    Ok(RgbImage {
        width: info.width,
        height: info.height,
        rgb,
    })
}

/// Where frames come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// An `omv-pattern` content (deterministic from seed and frame number).
    Pattern(Content),
    /// Pictures from PNG files, scaled to the frame size, cycled.
    Png(Arc<PngFrames>),
}

impl Source {
    /// Render frame `seq` into `out`; JPEG is compressed at `quality`.
    /// Returns the payload length. Every frame carries the sequence stamp
    /// of `omv-pattern` (its first pixels encode `seq`).
    pub fn render(
        &self,
        seed: u64,
        seq: u32,
        (w, h, pixformat, quality): (u16, u16, PixFormat, u8),
        out: &mut [u8],
    ) -> Result<usize, SimError> {
        if pixformat == PixFormat::Jpeg {
            let jpg = match self {
                Source::Pattern(c) => omv_pattern::encode_jpeg(*c, seed, seq, w, h, quality)?,
                Source::Png(p) => {
                    let mut rgb = Vec::with_capacity(usize::from(w) * usize::from(h) * 3);
                    for y in 0..h {
                        for x in 0..w {
                            let c = stamp(seq, x, y).unwrap_or_else(|| p.pixel(seq, w, h, x, y));
                            rgb.extend_from_slice(&[c.r, c.g, c.b]);
                        }
                    }
                    omv_pattern::encode_rgb_jpeg(&rgb, w, h, quality)?
                }
            };
            let available = out.len();
            let dst = out
                .get_mut(..jpg.len())
                .ok_or(PatternError::BufferTooSmall {
                    needed: jpg.len(),
                    available,
                })?;
            dst.copy_from_slice(&jpg);
            return Ok(jpg.len());
        }
        Ok(match self {
            Source::Pattern(c) => render(*c, seed, seq, w, h, pixformat, out)?,
            Source::Png(p) => render_with(w, h, pixformat, out, |x, y| {
                stamp(seq, x, y).unwrap_or_else(|| p.pixel(seq, w, h, x, y))
            })?,
        })
    }
}
