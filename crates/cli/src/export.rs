//! `export FILE --png DIR | --apng FILE [--frames A..B]`: frames as pictures.
//!
//! `--png` writes one file per frame named by its index (`000042.png`):
//! raw formats converted to 8-bit gray (GRAYSCALE, BINARY) or RGB (RGB565,
//! Bayer demosaiced, YUV422/YVU422); JPEG and PNG payloads written as they
//! are (`.jpg`, `.png`). Beside them `timing.csv` lists each file with its
//! recorded elapsed time, which `import --timing` reads back.
//!
//! `--apng` writes one animated PNG (RGB, the largest frame's size, smaller
//! frames padded with black) whose frame delays are the recorded intervals:
//! frame i stays up for the elapsed time recorded before frame i + 1 (the
//! last frame of the stream for the interval before it), so a browser plays
//! it at the recorded speed.

use crate::error::{CliError, Result};
use crate::pixels::{decode, Picture, Pixels};
use crate::table::{walk, Walk};
use omv_imageio::{FrameInfo, PixFormat, StdIo};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A half-open range of frame indices, `A..B`; `A..` and `..B` leave an end
/// open, `N` alone is one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRange {
    /// First frame.
    pub start: u32,
    /// One past the last frame; `None`: to the end.
    pub end: Option<u32>,
}

impl FrameRange {
    /// Every frame.
    pub const ALL: FrameRange = FrameRange {
        start: 0,
        end: None,
    };

    /// The indices of a stream of `count` frames, or why they do not exist.
    pub fn resolve(self, count: u32) -> Result<std::ops::Range<u32>> {
        if count == 0 {
            return Err(CliError::Usage {
                what: "FILE",
                expected: "a stream with at least one complete frame".into(),
                found: "no frames".into(),
            });
        }
        let end = self.end.unwrap_or(count);
        if self.start >= end || end > count {
            return Err(CliError::Usage {
                what: "--frames",
                expected: format!("a non-empty range within 0..{count}"),
                found: format!("{}..{end}", self.start),
            });
        }
        Ok(self.start..end)
    }
}

impl FromStr for FrameRange {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let num = |t: &str| {
            t.trim()
                .parse::<u32>()
                .map_err(|_| format!("expected A..B, A.., ..B or N (frame indices), found {s:?}"))
        };
        let (start, end) = match s.split_once("..") {
            None => {
                let n = num(s)?;
                (n, Some(n.saturating_add(1)))
            }
            Some((a, b)) => (
                if a.trim().is_empty() { 0 } else { num(a)? },
                if b.trim().is_empty() {
                    None
                } else {
                    Some(num(b)?)
                },
            ),
        };
        Ok(FrameRange { start, end })
    }
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// Files written (PNG/JPEG per frame, `timing.csv`, the APNG).
    pub files: Vec<PathBuf>,
    /// Frames exported.
    pub frames: u32,
    /// How reading the stream ended (its fault, if damaged).
    pub walk: Walk,
}

/// Read the frame infos of `path` (first pass; payloads are not kept).
fn infos(path: &Path) -> Result<(Vec<FrameInfo>, Walk)> {
    let mut infos = Vec::new();
    let w = walk_file(path, |info, _| {
        infos.push(*info);
        Ok(())
    })?;
    Ok((infos, w))
}

/// Walk the frames of the file at `path`.
pub fn walk_file(path: &Path, visit: impl FnMut(&FrameInfo, &[u8]) -> Result<()>) -> Result<Walk> {
    let f = File::open(path).map_err(|e| CliError::io(path, e))?;
    walk(StdIo(f), visit).map_err(|e| e.into_error(path))
}

/// The pixels of one frame, or an error naming the frame.
pub fn frame_picture(path: &Path, info: &FrameInfo, payload: &[u8]) -> Result<Picture> {
    decode(info.width, info.height, info.pixformat, payload).map_err(|reason| CliError::Frame {
        path: path.to_owned(),
        index: info.index,
        offset: info.offset,
        pixformat: info.pixformat.name(),
        width: info.width,
        height: info.height,
        reason,
    })
}

/// Write frames `range` of the stream at `path` to `dir`, one file each, and `dir/timing.csv`.
pub fn to_png_dir(path: &Path, dir: &Path, range: FrameRange) -> Result<Exported> {
    let (infos, _) = infos(path)?;
    let range = range.resolve(infos.len() as u32)?;
    std::fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
    let mut files = Vec::new();
    let mut csv = String::from("index,file,elapsed_us,width,height,pixformat\n");
    let w = walk_file(path, |info, payload| {
        if !range.contains(&info.index) {
            return Ok(());
        }
        let name = match info.pixformat {
            PixFormat::Jpeg => format!("{:06}.jpg", info.index),
            _ => format!("{:06}.png", info.index),
        };
        let out = dir.join(&name);
        let bytes = match info.pixformat {
            PixFormat::Jpeg | PixFormat::Png => payload.to_vec(),
            _ => encode_png(&frame_picture(path, info, payload)?)
                .map_err(|e| CliError::io(&out, e))?,
        };
        std::fs::write(&out, bytes).map_err(|e| CliError::io(&out, e))?;
        csv.push_str(&format!(
            "{},{name},{},{},{},{}\n",
            info.index,
            info.elapsed_us,
            info.width,
            info.height,
            info.pixformat.name()
        ));
        files.push(out);
        Ok(())
    })?;
    let timing = dir.join("timing.csv");
    std::fs::write(&timing, csv).map_err(|e| CliError::io(&timing, e))?;
    let frames = files.len() as u32;
    files.push(timing);
    Ok(Exported {
        files,
        frames,
        walk: w,
    })
}

/// A picture as a PNG file's bytes: 8-bit gray or RGB.
pub fn encode_png(p: &Picture) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, p.width, p.height);
    enc.set_depth(png::BitDepth::Eight);
    let data = match &p.pixels {
        Pixels::Gray(v) => {
            enc.set_color(png::ColorType::Grayscale);
            v
        }
        Pixels::Rgb(v) => {
            enc.set_color(png::ColorType::Rgb);
            v
        }
    };
    let mut w = enc.write_header().map_err(std::io::Error::other)?;
    w.write_image_data(data).map_err(std::io::Error::other)?;
    w.finish().map_err(std::io::Error::other)?;
    Ok(out)
}

/// An APNG frame delay for `us` microseconds: milliseconds when they fit
/// the 16-bit numerator, else hundredths, else whole seconds (capped).
pub fn delay_fraction(us: u64) -> (u16, u16) {
    let round = |unit: u64| (us + unit / 2) / unit;
    if let Ok(ms) = u16::try_from(round(1_000)) {
        (ms, 1_000)
    } else if let Ok(cs) = u16::try_from(round(10_000)) {
        (cs, 100)
    } else {
        (u16::try_from(round(1_000_000)).unwrap_or(u16::MAX), 1)
    }
}

/// Write frames `range` of the stream at `path` as one animated PNG `out`.
pub fn to_apng(path: &Path, out: &Path, range: FrameRange) -> Result<Exported> {
    let (infos, _) = infos(path)?;
    let count = infos.len() as u32;
    let range = range.resolve(count)?;
    let shown = &infos[range.start as usize..range.end as usize];
    let width = shown.iter().map(|i| i.width).max().unwrap_or(1).max(1);
    let height = shown.iter().map(|i| i.height).max().unwrap_or(1).max(1);
    if u64::from(width) * u64::from(height) > crate::pixels::MAX_PIXELS {
        return Err(CliError::Usage {
            what: "--apng canvas (the largest frame)",
            expected: format!("at most {} pixels", crate::pixels::MAX_PIXELS),
            found: format!("{width}x{height}"),
        });
    }
    // Frame i is shown for the interval recorded before frame i + 1.
    let delays: Vec<u64> = (range.start..range.end)
        .map(|i| {
            let next = infos.get(i as usize + 1).unwrap_or(&infos[i as usize]);
            next.elapsed_us
        })
        .collect();
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
    }
    let file = File::create(out).map_err(|e| CliError::io(out, e))?;
    let png_err = |e: png::EncodingError| CliError::io(out, std::io::Error::other(e));
    let mut enc = png::Encoder::new(BufWriter::new(file), width, height);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_animated(range.len() as u32, 0).map_err(png_err)?;
    let mut writer = enc.write_header().map_err(png_err)?;
    let mut written = 0u32;
    let w = walk_file(path, |info, payload| {
        if !range.contains(&info.index) {
            return Ok(());
        }
        let pic = frame_picture(path, info, payload)?;
        let (num, den) = delay_fraction(delays[(info.index - range.start) as usize]);
        writer.set_frame_delay(num, den).map_err(png_err)?;
        writer
            .write_image_data(&canvas(&pic, width, height))
            .map_err(png_err)?;
        written += 1;
        Ok(())
    })?;
    writer.finish().map_err(png_err)?;
    Ok(Exported {
        files: vec![out.to_owned()],
        frames: written,
        walk: w,
    })
}

/// `pic` as RGB on a black `width × height` canvas, top-left aligned.
fn canvas(pic: &Picture, width: u32, height: u32) -> Vec<u8> {
    if (pic.width, pic.height) == (width, height) {
        return pic.to_rgb();
    }
    let mut out = Vec::with_capacity(3 * width as usize * height as usize);
    for y in 0..height {
        for x in 0..width {
            let c = pic.pixel(x, y);
            out.extend([c.r, c.g, c.b]);
        }
    }
    out
}

/// Print what was written; a damaged input is reported and gives exit status 1.
pub fn report(e: &Exported, mut out: impl Write, mut err: impl Write) -> i32 {
    let _ = writeln!(
        out,
        "exported {} frames to {} files",
        e.frames,
        e.files.len()
    );
    match e.walk.fault() {
        None => 0,
        Some(f) => {
            let _ = writeln!(
                err,
                "error: the stream is damaged after {} complete frames: {f}",
                e.walk.frames
            );
            1
        }
    }
}
