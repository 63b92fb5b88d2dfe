//! What a frame shows: the four [`Content`] kinds and the sequence stamp.

use crate::convert::Rgb;
use crate::rng::SplitMix64;

/// Pixels of the sequence stamp per row (one per bit of `seq`).
pub const STAMP_BITS: u16 = 32;
/// Rows carrying the sequence stamp.
pub const STAMP_ROWS: u16 = 2;

/// What the simulated sensor sees.
///
/// With the `serde` feature it is `Serialize`/`Deserialize`: the harness
/// protocol (omv-proto) sends it, and postcard writes the variant index, so
/// the declaration order below is part of the wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Content {
    /// Eight vertical bars: white, yellow, cyan, green, magenta, red, blue,
    /// black (100 % colour bars). Static apart from the stamp. The default.
    #[default]
    ColorBars,
    /// Red rises left to right, green top to bottom; blue moves with `seq`
    /// (4 levels per frame, starting at `seed mod 256`).
    Gradient,
    /// A white square (a quarter of the smaller side, at least 4 px) bouncing
    /// over a dark grey background, 3 px right and 2 px down per frame,
    /// starting at a place chosen by `seed`: frame differencing sees it move.
    MovingBox,
    /// Uniform RGB noise from [`SplitMix64::for_frame`]`(seed, seq)`, one
    /// `next_u64` per pixel (red, green, blue = its three low bytes).
    Noise,
}

impl Content {
    /// All kinds, in declaration order.
    pub const ALL: [Content; 4] = [
        Content::ColorBars,
        Content::Gradient,
        Content::MovingBox,
        Content::Noise,
    ];

    /// The snake_case name used in scenario files (`color_bars`, `gradient`,
    /// `moving_box`, `noise`).
    pub const fn name(self) -> &'static str {
        match self {
            Content::ColorBars => "color_bars",
            Content::Gradient => "gradient",
            Content::MovingBox => "moving_box",
            Content::Noise => "noise",
        }
    }

    /// The kind with this name (case-insensitive; `-` and `_` may be left out
    /// or swapped, so `colorbars`, `ColorBars` and `color-bars` all work).
    pub fn from_name(name: &str) -> Option<Content> {
        let norm = |s: &str, c: char| c != '_' && c != '-' && !s.is_empty();
        Content::ALL.iter().copied().find(|k| {
            let a = k.name().chars().filter(|&c| norm(k.name(), c));
            let b = name.chars().filter(|&c| norm(name, c));
            a.map(|c| c.to_ascii_lowercase())
                .eq(b.map(|c| c.to_ascii_lowercase()))
        })
    }
}

/// The colour of pixel (`x`, `y`) if it belongs to the sequence stamp of
/// frame `seq`: pixel `x < 32` of rows 0 and 1 is white when bit `31 - x`
/// of `seq` is set, black otherwise. `None` outside the stamp.
pub fn stamp(seq: u32, x: u16, y: u16) -> Option<Rgb> {
    if y >= STAMP_ROWS || x >= STAMP_BITS {
        return None;
    }
    let bit = (seq >> (STAMP_BITS - 1 - x)) & 1;
    Some(if bit == 1 { Rgb::WHITE } else { Rgb::BLACK })
}

const BARS: [Rgb; 8] = [
    Rgb::new(255, 255, 255),
    Rgb::new(255, 255, 0),
    Rgb::new(0, 255, 255),
    Rgb::new(0, 255, 0),
    Rgb::new(255, 0, 255),
    Rgb::new(255, 0, 0),
    Rgb::new(0, 0, 255),
    Rgb::new(0, 0, 0),
];

/// Background of the moving box.
const BOX_BACKGROUND: Rgb = Rgb::new(40, 40, 40);

/// One frame of one content kind, with everything per-frame precomputed.
#[derive(Debug, Clone)]
pub(crate) struct Scene {
    content: Content,
    width: u16,
    height: u16,
    /// Gradient blue level.
    blue: u8,
    /// Noise: the frame's base value.
    noise_base: u64,
    /// Moving box: left, top, side.
    bx: u32,
    by: u32,
    side: u32,
}

/// Position `t` on a path bouncing between 0 and `range` (inclusive).
fn bounce(t: u64, range: u32) -> u32 {
    if range == 0 {
        return 0;
    }
    let period = 2 * u64::from(range);
    let p = t % period;
    let p = if p <= u64::from(range) { p } else { period - p };
    // p <= range, which is a u32.
    u32::try_from(p).unwrap_or(range)
}

impl Scene {
    pub(crate) fn new(content: Content, seed: u64, seq: u32, width: u16, height: u16) -> Self {
        let (w, h) = (u32::from(width), u32::from(height));
        let side = (w.min(h) / 4).max(4).min(w.min(h));
        let mut start = SplitMix64::new(seed);
        let (rx, ry) = (w - side, h - side);
        let t = u64::from(seq);
        let bx = bounce(start.below(2 * u64::from(rx) + 1) + 3 * t, rx);
        let by = bounce(start.below(2 * u64::from(ry) + 1) + 2 * t, ry);
        Scene {
            content,
            width,
            height,
            noise_base: SplitMix64::for_frame(seed, seq).next_u64(),
            blue: (seed as u8).wrapping_add((seq as u8).wrapping_mul(4)),
            bx,
            by,
            side,
        }
    }

    /// The colour of pixel (`x`, `y`) (stamp not included).
    pub(crate) fn pixel(&self, x: u16, y: u16) -> Rgb {
        let (x32, y32) = (u32::from(x), u32::from(y));
        match self.content {
            Content::ColorBars => {
                let i = x32 * 8 / u32::from(self.width.max(1));
                BARS[(i as usize).min(7)]
            }
            Content::Gradient => {
                let r = x32 * 255 / u32::from(self.width.max(2) - 1);
                let g = y32 * 255 / u32::from(self.height.max(2) - 1);
                Rgb::new(r.min(255) as u8, g.min(255) as u8, self.blue)
            }
            Content::MovingBox => {
                let inside = x32 >= self.bx
                    && x32 < self.bx + self.side
                    && y32 >= self.by
                    && y32 < self.by + self.side;
                if inside {
                    Rgb::WHITE
                } else {
                    BOX_BACKGROUND
                }
            }
            Content::Noise => {
                // One generator per pixel index keeps pixels independent of
                // the order they are rendered in.
                let idx = u64::from(y) * u64::from(self.width) + u64::from(x);
                let v = SplitMix64::new(self.noise_base ^ idx.wrapping_mul(0xD1B5_4A32_D192_ED03))
                    .next_u64();
                Rgb::new(v as u8, (v >> 8) as u8, (v >> 16) as u8)
            }
        }
    }

    /// Rows with the same `Some(class)` have the same colours pixel for
    /// pixel (stamp not included); `None` for rows that may be unlike any
    /// other.
    pub(crate) fn row_class(&self, y: u16) -> Option<u32> {
        let y32 = u32::from(y);
        match self.content {
            Content::ColorBars => Some(0),
            Content::Gradient => Some(y32 * 255 / u32::from(self.height.max(2) - 1)),
            Content::MovingBox => Some(u32::from(y32 >= self.by && y32 < self.by + self.side)),
            Content::Noise => None,
        }
    }

    /// Where the moving box is: (left, top, side).
    #[cfg(test)]
    pub(crate) fn box_rect(&self) -> (u32, u32, u32) {
        (self.bx, self.by, self.side)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in Content::ALL {
            assert_eq!(Content::from_name(c.name()), Some(c));
        }
        assert_eq!(Content::from_name("ColorBars"), Some(Content::ColorBars));
        assert_eq!(Content::from_name("moving-box"), Some(Content::MovingBox));
        assert_eq!(Content::from_name("boxes"), None);
    }

    #[test]
    fn bounce_reflects_at_the_ends() {
        let got: [u32; 8] = core::array::from_fn(|t| bounce(t as u64, 3));
        assert_eq!(got, [0, 1, 2, 3, 2, 1, 0, 1]);
        assert_eq!(bounce(5, 0), 0);
    }

    #[test]
    fn moving_box_moves_three_right_two_down_and_stays_inside() {
        let a = Scene::new(Content::MovingBox, 0, 0, 320, 240);
        let (x0, y0, side) = a.box_rect();
        assert_eq!(side, 60);
        for seq in 0..500 {
            let (x, y, s) = Scene::new(Content::MovingBox, 0, seq, 320, 240).box_rect();
            assert!(x + s <= 320 && y + s <= 240, "frame {seq}: box at {x},{y}");
        }
        // Seed 0 starts somewhere; one frame later it is 3 px right/left and
        // 2 px down/up (unless it bounced), i.e. it moved.
        let (x1, y1, _) = Scene::new(Content::MovingBox, 0, 1, 320, 240).box_rect();
        assert_eq!(x0.abs_diff(x1), 3);
        assert_eq!(y0.abs_diff(y1), 2);
    }

    #[test]
    fn box_fits_tiny_frames() {
        let (x, y, s) = Scene::new(Content::MovingBox, 5, 9, 3, 2).box_rect();
        assert_eq!(s, 2);
        assert!(x + s <= 3 && y + s <= 2);
    }
}
