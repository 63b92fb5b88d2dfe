//! Small value types shared by steps, results and events: pixel formats,
//! stream types and sensor content (the owning crates' types), bounded strings.

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

/// The pixel format of a frame or stream: omv-imageio's own type, sent with
/// its `serde` feature (postcard writes the variant index, 0 = `Binary` …
/// 11 = `Png`; `tests/roundtrip.rs` pins those bytes).
pub use omv_imageio::PixFormat;

/// What the software sensor draws: omv-pattern's own type, sent with its
/// `serde` feature (variant index 0 = `ColorBars` … 3 = `Noise`). Every frame
/// is a pure function of (content, seed, frame number, size, format), so
/// recordings are byte-identical on every board.
pub use omv_pattern::Content;

/// The two kinds of stream (`ImageIO.type()`): omv-imageio's own type, sent
/// with its `serde` feature (variant index 0 = `File`, 1 = `Memory`;
/// `tests/roundtrip.rs` pins those bytes).
pub use omv_imageio::StreamType;
