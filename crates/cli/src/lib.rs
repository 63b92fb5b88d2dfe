//! `omvstream`: look into, convert and repair OpenMV "OMV IMG STR" stream
//! files, over the same `omv-imageio` reader and writer the boards use.
//!
//! Each subcommand of the `omvstream` binary (and of `cargo xtask inspect` /
//! `cargo xtask export`) is one function here:
//!
//! * [`inspect`]: the container version and one row per frame, as a table or JSON;
//! * [`export`]: one PNG per frame, or one animated PNG at the recorded pace;
//! * [`import`]: PNG/JPEG images to a V2.0 stream with given timing;
//! * [`recover`]: every complete frame of a damaged or truncated stream.
//!
//! [`table::StreamTable`] is the frame table the HIL snapshots show too.

pub mod cli;
pub mod error;
pub mod export;
pub mod import;
pub mod inspect;
pub mod pixels;
pub mod recover;
pub mod table;

pub use error::{CliError, Result};
pub use table::{FrameRow, StreamTable};
