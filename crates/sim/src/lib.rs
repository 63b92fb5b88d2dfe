//! A host simulator of an OpenMV camera for `omv-imageio`: how many frames
//! reach the card, how late, what a slow card or a power cut costs, and
//! whether replay reproduces the recorded timing — deterministically (same
//! seeds, same bytes and figures) and much faster than real time.
//!
//! The parts work alone or together:
//!
//! * [`SimClock`] — virtual time (`omv_imageio::Clock` + `Wait`) that moves
//!   only when a part consumes it. Clones share one clock.
//! * [`SimSensor`] — the agent's own software sensor (`omv_agent::SoftSensor`,
//!   the one sensor model every board runs: frame rate, start-up delay,
//!   seeded jitter, 1–3 frame buffers with OpenMV's policy, a dropped
//!   count), set with the agent's [`SensorConfig`] and [`SensorModel`]
//!   inside a [`SimSensorConfig`], drawing frame sizes and pixel formats
//!   (GRAYSCALE, RGB565, BAYER, YUV422, JPEG via `jpeg-encoder`) from
//!   `omv-pattern` or a folder of PNG/JPEG files ([`SimFrames`]). Its
//!   [`Snapshot`] and [`SensorStats`] are the agent's too.
//! * [`SimCard`] — an `embedded_sdmmc::BlockDevice` with a timing model
//!   ([`CardProfile`]: command overhead, bus throughput, seeded busy times,
//!   random-write cost, stalls up to the SD 250 ms time-out), statistics
//!   ([`CardStats`]), faults ([`Faults`]: power cut at a time or after N
//!   block writes with an optional torn block, write/read errors, a write
//!   limit), in memory or in a sparse file, and image saving.
//! * A real FAT file system through `omv-fatstore` (the same code the agent
//!   firmware runs), checked with `fsck.fat` and `mdir`.
//! * [`SimBoard`] — all of it behind one small API; the harness's `sim`
//!   board runs the agent's executor on one (its clock, card and sensor).
//!
//! ```
//! use imageio_sim::{BoardConfig, CardProfile, SimBoard};
//!
//! let mut board = SimBoard::new(BoardConfig {
//!     card: CardProfile::ideal(2_000_000),
//!     card_bytes: 256 << 20,
//!     ..BoardConfig::default()
//! })
//! .unwrap();
//! let mut fb = vec![0u8; board.sensor().max_frame_len()];
//! let mut s = board.open_file("/sdcard/stream.bin", "w").unwrap();
//! let rep = board.record_for(&mut s, 1_000_000, &mut fb);
//! // QVGA RGB565 (153 632-byte chunks) through FAT on a 2 MB/s card: about
//! // 13 of the sensor's 30 frames per second are kept (one write takes
//! // ~77 ms; frame 0 is there at once), the rest dropped.
//! assert!((10..=14).contains(&rep.written), "{rep:?}");
//! assert!(rep.dropped >= 15);
//! ```
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod board;
pub mod card;
mod clock;
mod error;
mod frame_cache;
mod frame_size;
pub mod sensor;
mod source;
pub mod sweep;

pub use board::{BoardConfig, FrameSink, RecordReport, SimBoard, SimFile, SimFileStream, SimStore};
pub use card::{BlockFault, CardError, CardProfile, CardStats, Faults, SimCard};
pub use clock::SimClock;
pub use error::SimError;
pub use frame_size::{frame_size_name, parse_frame_size, FRAME_SIZES};
pub use omv_agent::sensor::{SensorConfig, SensorModel, SensorStats, Snapshot};
pub use sensor::{SimFrames, SimSensor, SimSensorConfig};
pub use source::{image_files, PngFrames, Source};

pub use omv_fatstore;
pub use omv_proto::Content;
