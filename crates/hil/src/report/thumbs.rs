//! Frames as small pictures: the stream read with `omv-imageio` (through
//! `omvstream`'s walker), each picked frame converted to RGB by
//! `omvstream`'s pixel converters (every pixformat, as `export` does) and
//! shrunk to a thumbnail, PNG-encoded for the page.

use std::path::PathBuf;

use omv_imageio::FrameInfo;
use omvstream::export::{encode_png, frame_picture, walk_file};
use omvstream::pixels::{Picture, Pixels};

/// A small RGB888 picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumb {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Packed RGB, rows top to bottom.
    pub rgb: Vec<u8>,
}

impl Thumb {
    /// A black `width × height` picture.
    pub fn black(width: u32, height: u32) -> Thumb {
        Thumb {
            width,
            height,
            rgb: vec![0; width as usize * height as usize * 3],
        }
    }

    /// The RGB of `(x, y)`; black outside.
    pub fn at(&self, x: u32, y: u32) -> [u8; 3] {
        if x >= self.width || y >= self.height {
            return [0; 3];
        }
        let i = 3 * (y as usize * self.width as usize + x as usize);
        self.rgb
            .get(i..i + 3)
            .map_or([0; 3], |p| [p[0], p[1], p[2]])
    }

    /// The picture as PNG bytes.
    pub fn png(&self) -> std::io::Result<Vec<u8>> {
        encode_png(&Picture {
            width: self.width,
            height: self.height,
            pixels: Pixels::Rgb(self.rgb.clone()),
        })
    }
}

/// `src` shrunk to fit inside `max_w × max_h`, aspect kept; letterboxed
/// (black borders) into exactly that size when `fill` is set. Each pixel
/// is the mean of a 3 × 3 grid of samples spread over the area it covers,
/// so thin lines and noise average out instead of aliasing.
pub fn shrink(src: &Picture, max_w: u32, max_h: u32, fill: bool) -> Thumb {
    let (data, bpp) = match &src.pixels {
        Pixels::Rgb(v) => (v.as_slice(), 3),
        Pixels::Gray(v) => (v.as_slice(), 1),
    };
    let (w, h) = (src.width.max(1), src.height.max(1));
    let scale = (f64::from(max_w) / f64::from(w)).min(f64::from(max_h) / f64::from(h));
    let tw = ((f64::from(w) * scale).round() as u32).clamp(1, max_w.max(1));
    let th = ((f64::from(h) * scale).round() as u32).clamp(1, max_h.max(1));
    let (ow, oh) = if fill { (max_w, max_h) } else { (tw, th) };
    let (dx, dy) = ((ow - tw) / 2, (oh - th) / 2);
    let mut out = Thumb::black(ow, oh);
    let (xs, ys) = (grid(w, tw), grid(h, th));
    // A payload shorter than its size says (never from the decoder) stays black.
    if data.len() < w as usize * h as usize * bpp {
        return out;
    }
    // Plain indexing loops: this runs for every frame of a sheet, and
    // omv-hil is not optimised in dev builds.
    for (y, yy) in ys.iter().enumerate() {
        let o = 3 * ((y + dy as usize) * ow as usize + dx as usize);
        for (x, xx) in xs.iter().enumerate() {
            let (mut r, mut g, mut b) = (0u32, 0u32, 0u32);
            for &sy in yy {
                let row = sy as usize * w as usize;
                for &sx in xx {
                    let i = (row + sx as usize) * bpp;
                    r += u32::from(data[i]);
                    if bpp == 3 {
                        g += u32::from(data[i + 1]);
                        b += u32::from(data[i + 2]);
                    }
                }
            }
            if bpp == 1 {
                (g, b) = (r, r);
            }
            let i = o + 3 * x;
            out.rgb[i] = (r / 9) as u8;
            out.rgb[i + 1] = (g / 9) as u8;
            out.rgb[i + 2] = (b / 9) as u8;
        }
    }
    out
}

/// For each of `t` target pixels along an axis of `n` source pixels, the
/// 3 source coordinates sampled (at 1/6, 3/6 and 5/6 of its span).
fn grid(n: u32, t: u32) -> Vec<[u32; 3]> {
    (0..t)
        .map(|k| {
            [1u64, 3, 5].map(|j| {
                let c = (u64::from(k) * 6 + j) * u64::from(n) / (6 * u64::from(t));
                (c as u32).min(n - 1)
            })
        })
        .collect()
}

/// `t` shrunk (or copied) into exactly `w × h`, letterboxed.
pub fn refit(t: &Thumb, w: u32, h: u32) -> Thumb {
    shrink(
        &Picture {
            width: t.width,
            height: t.height,
            pixels: Pixels::Rgb(t.rgb.clone()),
        },
        w,
        h,
        true,
    )
}

/// One frame of a stream as the report shows it.
#[derive(Debug, Clone)]
pub struct FrameThumb {
    /// The frame's header fields.
    pub info: FrameInfo,
    /// Its thumbnail, or why its pixels could not be shown.
    pub thumb: Result<Thumb, String>,
}

/// What reading a stream for thumbnails found.
#[derive(Debug, Clone)]
pub struct StreamThumbs {
    /// Complete frames in the file.
    pub frames: u32,
    /// The picked frames, in index order.
    pub picked: Vec<FrameThumb>,
    /// The stream's fault (truncated tail, corrupt chunk), if any.
    pub fault: Option<String>,
}

/// Frame indices to show of `n` frames: all if `n <= max`, else `max`
/// spread evenly, first and last included.
pub fn pick(n: u32, max: u32) -> Vec<u32> {
    if n <= max || max < 2 {
        return (0..n.min(max)).collect();
    }
    let step = f64::from(n - 1) / f64::from(max - 1);
    let mut v: Vec<u32> = (0..max)
        .map(|i| (f64::from(i) * step).round() as u32)
        .collect();
    v.dedup();
    v
}

/// A stream file of a capture (not `omv_agent::executor::Stream`, the open
/// stream on a board) and its complete frames, counted once
/// (reading a 30 s recording is the slow part of a report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedStream {
    /// The local copy of the file.
    pub path: PathBuf,
    /// Its complete frames, or why it is not a stream.
    pub frames: Result<u32, String>,
}

impl CapturedStream {
    /// Count the frames of the stream file at `path`.
    pub fn open(path: PathBuf) -> CapturedStream {
        let mut n = 0u32;
        let frames = walk_file(&path, |_, _| {
            n += 1;
            Ok(())
        })
        .map(|_| n)
        .map_err(|e| e.to_string());
        CapturedStream { path, frames }
    }
}

/// Thumbnails (fitting `w × h`, letterboxed when `fill`) of up to `max`
/// frames of `stream`, spread over it.
pub fn stream_thumbs(
    stream: &CapturedStream,
    max: u32,
    (w, h): (u32, u32),
    fill: bool,
) -> Result<StreamThumbs, String> {
    let n = stream.frames.clone()?;
    let path = stream.path.as_path();
    let wanted = pick(n, max);
    let mut picked = Vec::with_capacity(wanted.len());
    let walk = walk_file(path, |info, payload| {
        if wanted.binary_search(&info.index).is_ok() {
            let thumb = frame_picture(path, info, payload)
                .map(|p| shrink(&p, w, h, fill))
                .map_err(|e| e.to_string());
            picked.push(FrameThumb { info: *info, thumb });
        }
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    Ok(StreamThumbs {
        frames: n,
        picked,
        fault: walk.fault().map(|e| e.to_string()),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn picture(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> Picture {
        let mut v = Vec::new();
        for y in 0..h {
            for x in 0..w {
                v.extend_from_slice(&f(x, y));
            }
        }
        Picture {
            width: w,
            height: h,
            pixels: Pixels::Rgb(v),
        }
    }

    #[test]
    fn shrinking_keeps_the_aspect_and_the_colours_of_large_areas() {
        // Left half red, right half blue, 320x240 -> 64x48.
        let p = picture(
            320,
            240,
            |x, _| if x < 160 { [255, 0, 0] } else { [0, 0, 255] },
        );
        let t = shrink(&p, 64, 64, false);
        assert_eq!((t.width, t.height), (64, 48));
        assert_eq!(t.at(5, 20), [255, 0, 0]);
        assert_eq!(t.at(60, 20), [0, 0, 255]);
        // Letterboxed into 64x64: 8 black rows above.
        let f = shrink(&p, 64, 64, true);
        assert_eq!((f.width, f.height), (64, 64));
        assert_eq!(f.at(5, 3), [0, 0, 0]);
        assert_eq!(f.at(5, 30), [255, 0, 0]);
        // Gray expands to equal channels.
        let g = Picture {
            width: 4,
            height: 4,
            pixels: Pixels::Gray(vec![100; 16]),
        };
        assert_eq!(shrink(&g, 2, 2, false).at(1, 1), [100, 100, 100]);
    }

    #[test]
    fn picking_spreads_over_the_stream_with_both_ends() {
        assert_eq!(pick(5, 40), [0, 1, 2, 3, 4]);
        assert_eq!(pick(0, 40), Vec::<u32>::new());
        let p = pick(901, 40);
        assert_eq!(p.len(), 40);
        assert_eq!((p[0], p[39]), (0, 900));
        assert!(p.windows(2).all(|w| w[0] < w[1]));
    }
}
