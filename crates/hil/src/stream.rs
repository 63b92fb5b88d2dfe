//! The frame table of a captured stream file: `omvstream`'s, the same table
//! `omvstream inspect` and `cargo xtask inspect` print, read with the same
//! `omv-imageio` crate the boards use.

pub use omvstream::table::{hex, FrameRow, StreamTable};
