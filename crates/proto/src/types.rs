//! Small value types shared by steps, results and events: pixel formats,
//! sensor content, bounded strings.

use serde::{Deserialize, Serialize};

/// Longest path a step may name (bytes, UTF-8), e.g. `/sdcard/stream.bin`.
pub const MAX_PATH: usize = 64;
/// Longest human-readable message carried by an error.
pub const MAX_MESSAGE: usize = 96;
/// Longest name (board, firmware) in the handshake.
pub const MAX_NAME: usize = 32;
/// Longest mode string of an `open` step (`"r"`, `"w"`, or something invalid to test).
pub const MAX_MODE: usize = 8;

/// A path on the board's storage.
pub type Path = heapless::String<MAX_PATH>;
/// A bounded message.
pub type Message = heapless::String<MAX_MESSAGE>;
/// A bounded name.
pub type Name = heapless::String<MAX_NAME>;
/// A bounded `open` mode string.
pub type ModeStr = heapless::String<MAX_MODE>;

/// Copy `s` into a bounded string, cutting it at a character boundary if it
/// is too long (never fails, never panics).
pub fn bounded<const N: usize>(s: &str) -> heapless::String<N> {
    let mut out = heapless::String::new();
    for c in s.chars() {
        if out.push(c).is_err() {
            break;
        }
    }
    out
}

/// A `core::fmt::Write` sink into a bounded string that silently drops what
/// does not fit (for error messages).
#[derive(Debug, Default)]
pub struct Truncating<const N: usize>(pub heapless::String<N>);

impl<const N: usize> core::fmt::Write for Truncating<N> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for c in s.chars() {
            if self.0.push(c).is_err() {
                break;
            }
        }
        Ok(())
    }
}

/// Format into a bounded string, truncating.
pub fn format_bounded<const N: usize>(args: core::fmt::Arguments<'_>) -> heapless::String<N> {
    let mut t = Truncating::<N>::default();
    let _ = core::fmt::write(&mut t, args);
    t.0
}

/// The pixel formats of `omv_imageio::PixFormat`, mirrored with serde
/// (same names, same order). Convert with `From`/`Into`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum PixFormat {
    Binary,
    Grayscale,
    Rgb565,
    Argb8,
    BayerBggr,
    BayerGbrg,
    BayerGrbg,
    BayerRggb,
    Yuv422,
    Yvu422,
    Jpeg,
    Png,
}

impl From<omv_imageio::PixFormat> for PixFormat {
    fn from(p: omv_imageio::PixFormat) -> Self {
        use omv_imageio::PixFormat as I;
        match p {
            I::Binary => PixFormat::Binary,
            I::Grayscale => PixFormat::Grayscale,
            I::Rgb565 => PixFormat::Rgb565,
            I::Argb8 => PixFormat::Argb8,
            I::BayerBggr => PixFormat::BayerBggr,
            I::BayerGbrg => PixFormat::BayerGbrg,
            I::BayerGrbg => PixFormat::BayerGrbg,
            I::BayerRggb => PixFormat::BayerRggb,
            I::Yuv422 => PixFormat::Yuv422,
            I::Yvu422 => PixFormat::Yvu422,
            I::Jpeg => PixFormat::Jpeg,
            I::Png => PixFormat::Png,
        }
    }
}

impl From<PixFormat> for omv_imageio::PixFormat {
    fn from(p: PixFormat) -> Self {
        use omv_imageio::PixFormat as I;
        match p {
            PixFormat::Binary => I::Binary,
            PixFormat::Grayscale => I::Grayscale,
            PixFormat::Rgb565 => I::Rgb565,
            PixFormat::Argb8 => I::Argb8,
            PixFormat::BayerBggr => I::BayerBggr,
            PixFormat::BayerGbrg => I::BayerGbrg,
            PixFormat::BayerGrbg => I::BayerGrbg,
            PixFormat::BayerRggb => I::BayerRggb,
            PixFormat::Yuv422 => I::Yuv422,
            PixFormat::Yvu422 => I::Yvu422,
            PixFormat::Jpeg => I::Jpeg,
            PixFormat::Png => I::Png,
        }
    }
}

impl PixFormat {
    /// The upper-case name (`RGB565`, `BAYER_BGGR`, ...), as omv-imageio names it.
    pub fn name(self) -> &'static str {
        omv_imageio::PixFormat::from(self).name()
    }

    /// Parse a name (case-insensitive; `BAYER` and `YUV` are aliases).
    pub fn from_name(name: &str) -> Option<Self> {
        omv_imageio::PixFormat::from_name(name).map(Into::into)
    }
}

/// What the software sensor draws; mirrors `omv_pattern::Content` (the agent
/// converts). Every frame is a pure function of (content, seed, frame
/// number, size, format), so recordings are byte-identical on every board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Content {
    /// Vertical colour bars.
    #[default]
    ColorBars,
    /// A diagonal gradient that shifts with the frame number.
    Gradient,
    /// A box moving across a plain background.
    MovingBox,
    /// Seeded pseudo-random noise, different every frame.
    Noise,
}

impl Content {
    /// All contents, in declaration order.
    pub const ALL: [Content; 4] = [
        Content::ColorBars,
        Content::Gradient,
        Content::MovingBox,
        Content::Noise,
    ];

    /// The snake_case name used in scenario files (`color_bars`, `moving_box`...).
    pub fn name(self) -> &'static str {
        match self {
            Content::ColorBars => "color_bars",
            Content::Gradient => "gradient",
            Content::MovingBox => "moving_box",
            Content::Noise => "noise",
        }
    }

    /// Parse a name as given by [`name`](Self::name) (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Content::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
    }
}

/// The two kinds of stream (`ImageIO.type()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StreamKind {
    /// `FILE_STREAM` (0).
    File,
    /// `MEMORY_STREAM` (1).
    Memory,
}

impl StreamKind {
    /// OpenMV's constant name: `FILE_STREAM` or `MEMORY_STREAM`.
    pub fn name(self) -> &'static str {
        match self {
            StreamKind::File => "FILE_STREAM",
            StreamKind::Memory => "MEMORY_STREAM",
        }
    }
}

impl From<omv_imageio::StreamType> for StreamKind {
    fn from(t: omv_imageio::StreamType) -> Self {
        match t {
            omv_imageio::StreamType::File => StreamKind::File,
            omv_imageio::StreamType::Memory => StreamKind::Memory,
        }
    }
}
