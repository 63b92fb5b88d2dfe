//! `import DIR_OR_FILES -o FILE --fps N | --timing FILE.csv [--pixformat P]`:
//! PNG/JPEG images to a V2.0 stream, written by `omv-imageio`'s writer.
//!
//! A folder contributes its `.png`, `.jpg` and `.jpeg` files sorted by name;
//! files are taken in the order given. Each image becomes one frame of its
//! own size, in `--pixformat` (default RGB565): raw formats are rendered
//! with `omv_pattern::render_with` (the simulator's and firmware's layouts);
//! `JPEG` keeps JPEG files as they are and compresses PNGs; `PNG` keeps PNG
//! files as they are and re-encodes JPEGs.
//!
//! Timing: `--fps N` spaces frames 1/N s apart (the first frame too);
//! `--timing` reads a CSV with a header line and a column `elapsed_us` or
//! `elapsed_ms` (the time before each frame), one row per image; other
//! columns are ignored, except `file`, which must then name each image.
//! `export --png` writes such a file (`timing.csv`). Times accumulate in µs
//! and the writer stores whole milliseconds, so rounding never drifts.

use crate::error::{CliError, Result};
use crate::export::encode_png;
use crate::pixels::{jpeg, png_pixels, Picture};
use omv_imageio::{
    FileOptions, FileStream, Image, ManualClock, PixFormat, StdIo, Version, MAX_DIMENSION,
};
use std::fs::File;
use std::path::{Path, PathBuf};

/// How the frames are spaced.
#[derive(Debug, Clone, PartialEq)]
pub enum Timing {
    /// A constant rate, frames per second.
    Fps(f64),
    /// Elapsed time before each frame, µs.
    Elapsed(Vec<u64>),
}

/// The images named by `inputs` (folders expanded), in import order.
pub fn images(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let is_image = |p: &Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| ["png", "jpg", "jpeg"].contains(&e.to_ascii_lowercase().as_str()))
    };
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(input)
                .map_err(|e| CliError::io(input, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && is_image(p))
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(input.clone());
        }
    }
    if out.is_empty() {
        return Err(CliError::Usage {
            what: "DIR_OR_FILES",
            expected: "at least one .png, .jpg or .jpeg image".into(),
            found: format!("none in {inputs:?}"),
        });
    }
    Ok(out)
}

/// Read a timing CSV: the `elapsed_us` or `elapsed_ms` column; where a
/// `file` column exists, its names must be those of `images`, in order.
pub fn read_timing(path: &Path, images: &[PathBuf]) -> Result<Vec<u64>> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::io(path, e))?;
    let bad = |line: usize, expected: &str, found: &str| CliError::Timing {
        path: path.to_owned(),
        line,
        expected: expected.to_owned(),
        found: found.to_owned(),
    };
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines
        .next()
        .ok_or_else(|| bad(1, "a header line with elapsed_us or elapsed_ms", ""))?;
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    let find = |name: &str| cols.iter().position(|c| *c == name);
    let (col, scale) = match (find("elapsed_us"), find("elapsed_ms")) {
        (Some(c), _) => (c, 1),
        (None, Some(c)) => (c, 1_000),
        _ => {
            return Err(bad(
                1,
                "a header with a column elapsed_us or elapsed_ms",
                header,
            ))
        }
    };
    let file_col = find("file");
    let mut out = Vec::new();
    for (i, line) in lines {
        let n = i + 1;
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let value = fields.get(col).copied().unwrap_or("");
        let v: u64 = value
            .parse()
            .map_err(|_| bad(n, &format!("a whole number in column {}", cols[col]), value))?;
        if let (Some(fc), Some(img)) = (file_col, images.get(out.len())) {
            let want = img.file_name().and_then(|f| f.to_str()).unwrap_or("");
            let got = fields.get(fc).copied().unwrap_or("");
            if got != want {
                return Err(bad(n, &format!("file {want}"), got));
            }
        }
        out.push(v.saturating_mul(scale));
    }
    if out.len() != images.len() {
        return Err(bad(
            text.lines().count(),
            &format!("{} rows, one per image", images.len()),
            &format!("{} rows", out.len()),
        ));
    }
    Ok(out)
}

/// The board time (µs since the stream was created) at which each of `n`
/// frames is written.
pub fn schedule(timing: &Timing, n: usize) -> Result<Vec<u64>> {
    match timing {
        Timing::Fps(fps) if !(fps.is_finite() && *fps > 0.0 && *fps <= 1e6) => {
            Err(CliError::Usage {
                what: "--fps",
                expected: "a rate above 0 and at most 1000000".into(),
                found: fps.to_string(),
            })
        }
        Timing::Fps(fps) => Ok((1..=n)
            .map(|i| (i as f64 * 1e6 / fps).round() as u64)
            .collect()),
        Timing::Elapsed(e) => Ok(e
            .iter()
            .scan(0u64, |t, d| {
                *t = t.saturating_add(*d);
                Some(*t)
            })
            .collect()),
    }
}

/// One image as a frame payload in `pixformat`: (width, height, bytes).
fn payload(path: &Path, pixformat: PixFormat) -> Result<(u32, u32, Vec<u8>)> {
    let bad = |reason: String| CliError::Image {
        path: path.to_owned(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| CliError::io(path, e))?;
    let is_jpeg = bytes.starts_with(&[0xFF, 0xD8]);
    let is_png = bytes.starts_with(b"\x89PNG\r\n\x1a\n");
    if !is_jpeg && !is_png {
        return Err(bad("expected a PNG or JPEG file (by its signature)".into()));
    }
    let pic: Picture = if is_jpeg {
        jpeg(&bytes)
    } else {
        png_pixels(&bytes)
    }
    .map_err(bad)?;
    let (w, h) = (pic.width, pic.height);
    if w == 0 || h == 0 || w > MAX_DIMENSION || h > MAX_DIMENSION {
        return Err(bad(format!(
            "size {w}x{h}: expected 1..={MAX_DIMENSION} pixels each way"
        )));
    }
    let data = match pixformat {
        PixFormat::Jpeg if is_jpeg => bytes,
        PixFormat::Png if is_png => bytes,
        PixFormat::Png => encode_png(&pic).map_err(|e| bad(e.to_string()))?,
        PixFormat::Jpeg => omv_pattern::encode_rgb_jpeg(&pic.to_rgb(), w as u16, h as u16, 90)
            .map_err(|e| bad(e.to_string()))?,
        raw => {
            let n = omv_pattern::payload_len(w as u16, h as u16, raw)
                .map_err(|e| bad(e.to_string()))?;
            let mut out = vec![0u8; n];
            omv_pattern::render_with(w as u16, h as u16, raw, &mut out, |x, y| {
                pic.pixel(u32::from(x), u32::from(y))
            })
            .map_err(|e| bad(e.to_string()))?;
            out
        }
    };
    Ok((w, h, data))
}

/// Write `images` to a new V2.0 stream `out`, frame i at `times[i]` µs.
/// Returns the frames written.
pub fn import(images: &[PathBuf], times: &[u64], pixformat: PixFormat, out: &Path) -> Result<u32> {
    if pixformat == PixFormat::Argb8 {
        return Err(CliError::Usage {
            what: "--pixformat",
            expected: "a format with pixel data (not ARGB8, quirk Q14)".into(),
            found: pixformat.name().into(),
        });
    }
    let mut s = create(out, Version::V2_0)?;
    let stream_err = |source| CliError::Stream {
        path: out.to_owned(),
        source,
    };
    let mut now = 0u64;
    for (img, &t) in images.iter().zip(times) {
        let (w, h, data) = payload(img, pixformat)?;
        s.time_mut().advance_us(t.saturating_sub(now));
        now = now.max(t);
        s.write(&Image::new(w, h, pixformat, &data))
            .map_err(stream_err)?;
    }
    s.close().map_err(stream_err)?;
    Ok(images.len().min(times.len()) as u32)
}

/// A new stream file `out` in `version` (V2.0 or V2.1), written on a manual
/// clock that starts at 0: advance it by each frame's interval before writing.
pub fn create(out: &Path, version: Version) -> Result<FileStream<StdIo<File>, ManualClock, 16>> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(out)
        .map_err(|e| CliError::io(out, e))?;
    let opts = FileOptions {
        write_version: version,
        ..FileOptions::default()
    };
    FileStream::create(StdIo(file), ManualClock::new(0), opts).map_err(|source| CliError::Stream {
        path: out.to_owned(),
        source,
    })
}
