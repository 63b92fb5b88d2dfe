//! Frames that differ only in their sequence stamp, drawn once.
//!
//! Colour bars (and a PNG source of one picture) show the same picture in
//! every frame; only `omv-pattern`'s sequence stamp (the first
//! [`STAMP_BITS`] pixels of the first [`STAMP_ROWS`] rows) changes. A
//! [`FrameCache`] renders such a frame once per configuration (source,
//! seed, size, format) and then gives each frame as a copy of it with the
//! stamp drawn anew for its `seq`: the same bytes as
//! [`Source::render`](crate::Source::render), at the cost of one copy.
//! Every other source or format (JPEG, moving content) is rendered as
//! before.
//!
//! The stamp covers whole bytes in every raw format: its 32 pixels are a
//! multiple of 8 (BINARY's bits), of 2 (YUV422's pixel pairs) and of the
//! BAYER tile, and it starts at (0, 0). So it is rendered as an image of
//! its own (`min(w, 32)` × `min(h, 2)`, the same layout rules) and each of
//! its rows is copied to the start of the frame's row.

use omv_imageio::PixFormat;
use omv_pattern::{payload_len, render_with, stamp, Content, Rgb, STAMP_BITS, STAMP_ROWS};

use crate::error::SimError;
use crate::source::Source;

/// Width, height, pixel format and JPEG quality of a frame.
pub(crate) type FrameSpec = (u16, u16, PixFormat, u8);

/// The configuration a cached frame was drawn for.
#[derive(Debug, Clone, PartialEq)]
struct Key {
    source: Source,
    seed: u64,
    width: u16,
    height: u16,
    pixformat: PixFormat,
}

/// A frame drawn once (see the [module docs](self)).
#[derive(Debug, Default)]
pub(crate) struct FrameCache {
    frame: Option<(Key, Vec<u8>)>,
    /// The stamp's own small image, drawn per frame.
    stamp: Vec<u8>,
}

/// True for sources whose frames differ only in the stamp.
fn is_static(source: &Source) -> bool {
    match source {
        Source::Pattern(c) => *c == Content::ColorBars,
        Source::Png(p) => p.len() == 1,
    }
}

impl FrameCache {
    /// Frame `seq` of `source` into `out`, as [`Source::render`] would
    /// write it; returns the payload length.
    pub(crate) fn render(
        &mut self,
        source: &Source,
        seed: u64,
        seq: u32,
        spec: FrameSpec,
        out: &mut [u8],
    ) -> Result<usize, SimError> {
        let (width, height, pixformat, _) = spec;
        if pixformat == PixFormat::Jpeg || !is_static(source) {
            return source.render(seed, seq, spec, out);
        }
        let fits = |k: &Key| {
            (k.seed, k.width, k.height, k.pixformat) == (seed, width, height, pixformat)
                && k.source == *source
        };
        let frame = match &mut self.frame {
            Some((k, frame)) if fits(k) => frame,
            slot => {
                let mut frame = vec![0u8; payload_len(width, height, pixformat)?];
                source.render(seed, 0, spec, &mut frame)?;
                let key = Key {
                    source: source.clone(),
                    seed,
                    width,
                    height,
                    pixformat,
                };
                &mut slot.insert((key, frame)).1
            }
        };
        let (n, available) = (frame.len(), out.len());
        let dst = out
            .get_mut(..n)
            .ok_or(omv_pattern::PatternError::BufferTooSmall {
                needed: n,
                available,
            })?;
        dst.copy_from_slice(frame);
        let (sw, sh) = (width.min(STAMP_BITS), height.min(STAMP_ROWS));
        self.stamp.resize(payload_len(sw, sh, pixformat)?, 0);
        render_with(sw, sh, pixformat, &mut self.stamp, |x, y| {
            stamp(seq, x, y).unwrap_or(Rgb::BLACK)
        })?;
        let row = payload_len(width, 1, pixformat)?;
        let part = payload_len(sw, 1, pixformat)?;
        for (src, at) in self.stamp.chunks_exact(part).zip((0..).step_by(row)) {
            dst[at..at + part].copy_from_slice(src);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::PngFrames;

    /// A 3×2 RGB PNG.
    fn png() -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut enc = png::Encoder::new(&mut bytes, 3, 2);
        enc.set_color(png::ColorType::Rgb);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&[
            10, 20, 30, 250, 0, 7, 99, 98, 97, 0, 0, 0, 255, 255, 255, 1, 200, 3,
        ])
        .unwrap();
        w.finish().unwrap();
        bytes
    }

    /// Wider and narrower than the stamp, odd, one row, two rows.
    const SIZES: [(u16, u16); 7] = [
        (320, 240),
        (33, 7),
        (40, 2),
        (31, 1),
        (5, 3),
        (1, 1),
        (64, 9),
    ];

    #[test]
    fn cached_frames_are_the_bytes_the_source_renders() {
        let one = PngFrames::from_bytes([&png()[..]]).unwrap();
        let sources = [
            Source::Pattern(Content::ColorBars),
            Source::Png(Arc::new(one)),
            // Not cached: rendered as they are, through the same call.
            Source::Pattern(Content::MovingBox),
        ];
        let mut cache = FrameCache::default();
        let mut got = vec![0xA5u8; 330 * 250 * 2];
        let mut want = vec![0x5Au8; 330 * 250 * 2];
        for source in &sources {
            for pf in omv_pattern::RENDER_FORMATS {
                for (w, h) in SIZES {
                    for seq in [0, 1, 17, 0x8000_0001, u32::MAX, 2] {
                        let spec = (w, h, pf, 90);
                        let n = cache.render(source, 3, seq, spec, &mut got).unwrap();
                        let m = source.render(3, seq, spec, &mut want).unwrap();
                        assert_eq!(n, m);
                        assert_eq!(got[..n], want[..n], "{pf:?} {w}x{h} #{seq}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_new_seed_or_a_short_buffer_is_not_served_stale() {
        let bars = Source::Pattern(Content::ColorBars);
        let mut cache = FrameCache::default();
        let spec = (16, 4, PixFormat::Rgb565, 90);
        let mut got = [0u8; 16 * 4 * 2];
        let mut want = [0u8; 16 * 4 * 2];
        cache.render(&bars, 1, 5, spec, &mut got).unwrap();
        // Colour bars do not depend on the seed, but the key does: the
        // frame is drawn again and still right.
        cache.render(&bars, 2, 6, spec, &mut got).unwrap();
        bars.render(2, 6, spec, &mut want).unwrap();
        assert_eq!(got, want);
        let short = cache.render(&bars, 2, 7, spec, &mut got[..10]);
        assert!(matches!(short, Err(SimError::Pattern(_))), "{short:?}");
    }
}
