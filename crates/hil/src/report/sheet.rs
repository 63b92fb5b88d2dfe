//! Golden thumbnail sheets: `golden/<board>/<scenario>.thumbs.png` beside
//! the `.snap`, one cell per recorded frame (every stream file the
//! scenario writes, in order), so a changed snapshot's report can show the
//! golden frames next to the captured ones. Kept only where the snapshot
//! keeps content hashes (frames equal by hash look equal), at most
//! [`MAX_BYTES`]: the cell shrinks until the sheet fits.
//!
//! The sheet's layout is in a PNG `tEXt` chunk ([`KEY`]):
//! `frames=N cell=WxH cols=C hashes=D`, `D` the digest of the snapshot's
//! frame hashes it was made for ([`super::hashes`]). A candidate is written as
//! `<scenario>.thumbs.new.png` for review, never in CI, like `.snap.new`.

use std::path::{Path, PathBuf};

use super::thumbs::{refit, Thumb};

/// Largest sheet file, bytes.
pub const MAX_BYTES: usize = 64 * 1024;
/// The `tEXt` keyword holding the layout.
pub const KEY: &str = "omv-thumbs";
/// Cell sizes tried, largest first (4:3, the sensors' aspect).
pub const CELLS: &[(u32, u32)] = &[
    (64, 48),
    (48, 36),
    (32, 24),
    (24, 18),
    (16, 12),
    (12, 9),
    (8, 6),
];
/// Cells per row at most.
pub const MAX_COLS: u32 = 16;

/// `golden/<board>/<scenario>.thumbs.png` under `root`.
pub fn path(root: &Path, board: &str, scenario: &str) -> PathBuf {
    root.join("golden")
        .join(board)
        .join(format!("{scenario}.thumbs.png"))
}

/// The candidate for review beside it: `<scenario>.thumbs.new.png`.
pub fn new_path(golden: &Path) -> PathBuf {
    golden.with_extension("new.png")
}

/// A sheet file that does not read back.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    /// Not a PNG the decoder reads.
    #[error("not a readable PNG: {0}")]
    Png(String),
    /// The layout chunk is missing or does not fit the picture.
    #[error("layout ({KEY} tEXt chunk): expected {expected}, found {found}")]
    Layout {
        /// What a sheet must have.
        expected: String,
        /// What this one has.
        found: String,
    },
    /// No frames at all: nothing to keep.
    #[error("no frames to put on a sheet")]
    Empty,
    /// Even the smallest cell does not fit the size limit.
    #[error(
        "{frames} frames need {bytes} bytes at {w}x{h} per frame, over the {MAX_BYTES}-byte limit"
    )]
    TooLarge {
        /// Frames on the sheet.
        frames: u32,
        /// Bytes at the smallest cell.
        bytes: usize,
        /// Smallest cell width.
        w: u32,
        /// Smallest cell height.
        h: u32,
    },
}

/// A grid of frame thumbnails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    /// Frames on the sheet.
    pub frames: u32,
    /// One cell, pixels.
    pub cell: (u32, u32),
    /// Cells per row.
    pub cols: u32,
    /// Digest of the frame hashes of the snapshot the sheet shows.
    pub hashes: String,
    /// The whole sheet.
    pub image: Thumb,
}

impl Sheet {
    /// The frames of `thumbs` (any size) laid out at `cell`, made for
    /// the snapshot whose frame hashes digest to `hashes`.
    pub fn compose(thumbs: &[Thumb], cell: (u32, u32), hashes: &str) -> Sheet {
        let frames = thumbs.len() as u32;
        let cols = frames.clamp(1, MAX_COLS);
        let rows = frames.div_ceil(cols).max(1);
        let (cw, ch) = cell;
        let mut image = Thumb::black(cols * cw, rows * ch);
        for (i, t) in thumbs.iter().enumerate() {
            let t = if (t.width, t.height) == cell {
                t.clone()
            } else {
                refit(t, cw, ch)
            };
            let (ox, oy) = ((i as u32 % cols) * cw, (i as u32 / cols) * ch);
            for y in 0..ch {
                let src = 3 * (y * cw) as usize;
                let dst = 3 * ((oy + y) * image.width + ox) as usize;
                let n = 3 * cw as usize;
                image.rgb[dst..dst + n].copy_from_slice(&t.rgb[src..src + n]);
            }
        }
        Sheet {
            frames,
            cell,
            cols,
            hashes: hashes.to_owned(),
            image,
        }
    }

    /// The smallest-step sheet of `thumbs` whose file fits [`MAX_BYTES`],
    /// trying [`CELLS`] largest first; with its file bytes.
    pub fn fitting(thumbs: &[Thumb], hashes: &str) -> Result<(Sheet, Vec<u8>), SheetError> {
        if thumbs.is_empty() {
            return Err(SheetError::Empty);
        }
        let mut last = 0;
        for &cell in CELLS {
            let s = Sheet::compose(thumbs, cell, hashes);
            let bytes = s.encode().map_err(|e| SheetError::Png(e.to_string()))?;
            if bytes.len() <= MAX_BYTES {
                return Ok((s, bytes));
            }
            last = bytes.len();
        }
        let (w, h) = CELLS[CELLS.len() - 1];
        Err(SheetError::TooLarge {
            frames: thumbs.len() as u32,
            bytes: last,
            w,
            h,
        })
    }

    /// The layout text of the `tEXt` chunk.
    pub fn layout(&self) -> String {
        format!(
            "frames={} cell={}x{} cols={} hashes={}",
            self.frames, self.cell.0, self.cell.1, self.cols, self.hashes
        )
    }

    /// The sheet as a PNG file with its layout chunk.
    pub fn encode(&self) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, self.image.width, self.image.height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::High);
        enc.add_text_chunk(KEY.to_owned(), self.layout())
            .map_err(std::io::Error::other)?;
        let mut w = enc.write_header().map_err(std::io::Error::other)?;
        w.write_image_data(&self.image.rgb)
            .map_err(std::io::Error::other)?;
        w.finish().map_err(std::io::Error::other)?;
        Ok(out)
    }

    /// A sheet file read back, its layout checked against its picture.
    pub fn decode(bytes: &[u8]) -> Result<Sheet, SheetError> {
        let png_err = |e: png::DecodingError| SheetError::Png(e.to_string());
        let mut dec = png::Decoder::new(std::io::Cursor::new(bytes));
        dec.set_transformations(png::Transformations::EXPAND);
        let mut reader = dec.read_info().map_err(png_err)?;
        let layout = reader
            .info()
            .uncompressed_latin1_text
            .iter()
            .find(|t| t.keyword == KEY)
            .map(|t| t.text.clone());
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| SheetError::Png("image too large".into()))?;
        let mut buf = vec![0; size];
        let info = reader.next_frame(&mut buf).map_err(png_err)?;
        if info.color_type != png::ColorType::Rgb || info.bit_depth != png::BitDepth::Eight {
            return Err(SheetError::Png(format!(
                "expected 8-bit RGB, found {:?} {:?}",
                info.color_type, info.bit_depth
            )));
        }
        buf.truncate(info.buffer_size());
        let layout = layout.ok_or_else(|| SheetError::Layout {
            expected: "a tEXt chunk".into(),
            found: "none".into(),
        })?;
        let bad = |why: &str| SheetError::Layout {
            expected: format!("frames=N cell=WxH cols=C hashes=D{why}"),
            found: layout.clone(),
        };
        let mut frames = None;
        let mut cell = None;
        let mut cols = None;
        let mut hashes = None;
        for part in layout.split_whitespace() {
            match part.split_once('=') {
                Some(("frames", v)) => frames = v.parse::<u32>().ok(),
                Some(("cols", v)) => cols = v.parse::<u32>().ok(),
                Some(("hashes", v)) => hashes = Some(v.to_owned()),
                Some(("cell", v)) => {
                    cell = v
                        .split_once('x')
                        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
                }
                _ => return Err(bad("")),
            }
        }
        let (Some(frames), Some((cw, ch)), Some(cols), Some(hashes)) = (frames, cell, cols, hashes)
        else {
            return Err(bad(""));
        };
        if frames == 0 || cols == 0 || cw == 0 || ch == 0 || cols > frames.max(1) {
            return Err(bad(" (all non-zero, cols <= frames)"));
        }
        let rows = frames.div_ceil(cols);
        if (info.width, info.height) != (cols * cw, rows * ch) {
            return Err(bad(&format!(
                " matching the {}x{} picture",
                info.width, info.height
            )));
        }
        Ok(Sheet {
            frames,
            cell: (cw, ch),
            cols,
            hashes,
            image: Thumb {
                width: info.width,
                height: info.height,
                rgb: buf,
            },
        })
    }

    /// Cell `i`, if the sheet has it.
    pub fn cell(&self, i: u32) -> Option<Thumb> {
        if i >= self.frames {
            return None;
        }
        let (cw, ch) = self.cell;
        let (ox, oy) = ((i % self.cols) * cw, (i / self.cols) * ch);
        let mut t = Thumb::black(cw, ch);
        for y in 0..ch {
            let src = 3 * ((oy + y) * self.image.width + ox) as usize;
            let dst = 3 * (y * cw) as usize;
            let n = 3 * cw as usize;
            t.rgb[dst..dst + n].copy_from_slice(self.image.rgb.get(src..src + n)?);
        }
        Some(t)
    }
}

/// Channel difference above which a pixel counts as changed (thumbnails
/// are averages, so encoder or rounding noise stays below it).
pub const CHANGED: u8 = 24;

/// `current` with the pixels that differ from `golden` painted magenta and
/// the rest dimmed; and how many differ. Sizes must match (else every
/// pixel counts as changed).
pub fn highlight(golden: &Thumb, current: &Thumb) -> (Thumb, u32) {
    let mut out = current.clone();
    let mut changed = 0;
    for y in 0..current.height {
        for x in 0..current.width {
            let (a, b) = (golden.at(x, y), current.at(x, y));
            let differs = (golden.width, golden.height) != (current.width, current.height)
                || a.iter().zip(b).any(|(p, q)| p.abs_diff(q) > CHANGED);
            let i = 3 * (y * current.width + x) as usize;
            if differs {
                changed += 1;
                out.rgb[i..i + 3].copy_from_slice(&[255, 0, 255]);
            } else {
                for c in &mut out.rgb[i..i + 3] {
                    *c = *c / 3 + 40;
                }
            }
        }
    }
    (out, changed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn solid(w: u32, h: u32, c: [u8; 3]) -> Thumb {
        Thumb {
            width: w,
            height: h,
            rgb: c.repeat((w * h) as usize),
        }
    }

    #[test]
    fn a_sheet_reads_back_with_its_layout_and_cells() {
        let thumbs: Vec<Thumb> = (0..20u8)
            .map(|i| solid(64, 48, [i * 10, 0, 255 - i]))
            .collect();
        let (s, bytes) = Sheet::fitting(&thumbs, "d").unwrap();
        assert!(bytes.len() <= MAX_BYTES);
        assert_eq!((s.frames, s.cols, s.cell), (20, 16, (64, 48)));
        let back = Sheet::decode(&bytes).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.cell(19).unwrap(), thumbs[19]);
        assert!(back.cell(20).is_none());
        assert!(matches!(Sheet::fitting(&[], "d"), Err(SheetError::Empty)));
    }

    #[test]
    fn a_sheet_too_large_for_big_cells_shrinks_them() {
        // Noise does not compress: 64x48 cells of 200 frames are far over 64 KB.
        let mut x = 12345u32;
        let thumbs: Vec<Thumb> = (0..200)
            .map(|_| Thumb {
                width: 64,
                height: 48,
                rgb: (0..64 * 48 * 3)
                    .map(|_| {
                        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                        (x >> 16) as u8
                    })
                    .collect(),
            })
            .collect();
        let (s, bytes) = Sheet::fitting(&thumbs, "d").unwrap();
        assert!(bytes.len() <= MAX_BYTES, "{}", bytes.len());
        assert!(s.cell.0 < 64, "{:?}", s.cell);
        assert_eq!(Sheet::decode(&bytes).unwrap().frames, 200);
    }

    #[test]
    fn a_sheet_without_or_with_a_wrong_layout_is_refused() {
        let s = Sheet::compose(&[solid(8, 6, [1, 2, 3])], (8, 6), "d");
        let mut wrong = s.clone();
        wrong.frames = 3; // 3 frames cannot fit a 1-cell picture
        wrong.cols = 3;
        let e = Sheet::decode(&wrong.encode().unwrap()).unwrap_err();
        assert!(e.to_string().contains("matching the 8x6 picture"), "{e}");
        let plain = super::super::thumbs::Thumb::png(&solid(8, 6, [0; 3])).unwrap();
        assert!(matches!(
            Sheet::decode(&plain),
            Err(SheetError::Layout { .. })
        ));
        assert!(matches!(Sheet::decode(b"nope"), Err(SheetError::Png(_))));
    }

    #[test]
    fn changed_pixels_are_highlighted_and_counted() {
        let a = solid(4, 2, [100, 100, 100]);
        let mut b = a.clone();
        b.rgb[0] = 200; // pixel (0, 0)
        b.rgb[3] = 110; // pixel (1, 0): within CHANGED
        let (h, n) = highlight(&a, &b);
        assert_eq!(n, 1);
        assert_eq!(h.at(0, 0), [255, 0, 255]);
        assert_ne!(h.at(1, 0), [255, 0, 255]);
        assert_eq!(highlight(&a, &solid(2, 2, [0; 3])).1, 4);
    }
}
