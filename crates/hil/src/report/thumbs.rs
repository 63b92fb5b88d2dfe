//! Frames as small pictures: the stream read with `omv-imageio` (through
//! `omvstream`'s walker), each picked frame converted to RGB by
//! `omvstream`'s pixel converters (every pixformat, as `export` does) and
//! shrunk to a thumbnail, PNG-encoded for the page.

use std::path::Path;

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

/// The colour of `src` around `(fx, fy)` (a fraction of its size): the mean
/// of a 3 × 3 grid of samples spread over the area one target pixel covers
/// (`sx × sy`, fractions too), so thin lines and noise average out instead
/// of aliasing.
fn sample(src: &Picture, fx: f64, fy: f64, sx: f64, sy: f64) -> [u8; 3] {
    let mut sum = [0u32; 3];
    for j in 0..3 {
        for i in 0..3 {
            let x = ((fx + sx * (f64::from(i) + 0.5) / 3.0) * f64::from(src.width)) as u32;
            let y = ((fy + sy * (f64::from(j) + 0.5) / 3.0) * f64::from(src.height)) as u32;
            let p = src.pixel(
                x.min(src.width.saturating_sub(1)),
                y.min(src.height.saturating_sub(1)),
            );
            sum[0] += u32::from(p.r);
            sum[1] += u32::from(p.g);
            sum[2] += u32::from(p.b);
        }
    }
    sum.map(|s| (s / 9) as u8)
}

/// `src` shrunk to fit inside `max_w × max_h`, aspect kept; letterboxed
/// (black borders) into exactly that size when `fill` is set.
pub fn shrink(src: &Picture, max_w: u32, max_h: u32, fill: bool) -> Thumb {
    let (w, h) = (src.width.max(1), src.height.max(1));
    let scale = (f64::from(max_w) / f64::from(w)).min(f64::from(max_h) / f64::from(h));
    let tw = ((f64::from(w) * scale).round() as u32).clamp(1, max_w.max(1));
    let th = ((f64::from(h) * scale).round() as u32).clamp(1, max_h.max(1));
    let (ow, oh) = if fill { (max_w, max_h) } else { (tw, th) };
    let (dx, dy) = ((ow - tw) / 2, (oh - th) / 2);
    let mut out = Thumb::black(ow, oh);
    let (sx, sy) = (1.0 / f64::from(tw), 1.0 / f64::from(th));
    for y in 0..th {
        for x in 0..tw {
            let c = sample(src, f64::from(x) * sx, f64::from(y) * sy, sx, sy);
            let i = 3 * ((y + dy) as usize * ow as usize + (x + dx) as usize);
            out.rgb[i..i + 3].copy_from_slice(&c);
        }
    }
    out
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

/// Thumbnails (fitting `w × h`, letterboxed when `fill`) of up to `max`
/// frames of the stream file at `path`, spread over it.
pub fn stream_thumbs(
    path: &Path,
    max: u32,
    (w, h): (u32, u32),
    fill: bool,
) -> Result<StreamThumbs, String> {
    let mut n = 0u32;
    walk_file(path, |_, _| {
        n += 1;
        Ok(())
    })
    .map_err(|e| e.to_string())?;
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
