//! OpenMV's `image.ImageIO` in `no_std` Rust, byte-compatible with OpenMV
//! firmware and the OpenMV IDE.
//!
//! * [`FileStream`] reads V1.0, V1.1, V2.0 and V2.1 "OMV IMG STR" files and
//!   writes V2.0 byte for byte as OpenMV does (V2.1 on request).
//! * [`MemoryStream`] keeps frames in slots of a caller-provided buffer,
//!   sized as OpenMV sizes them ([`memory_stream_bytes`]).
//! * [`ImageIo`] is OpenMV's `image.ImageIO` API over both (docs/api.md).
//!
//! There is no allocator: storage is any `embedded-io` `Read + Write + Seek`
//! that can [`Truncate`]; time is injected through [`Clock`] and [`Wait`].
//! The `std` feature adds [`StdIo`] (a `File` or `Cursor`,
//! plain or behind a `BufWriter`/`BufReader`) and `StdClock`. A file stream
//! seeks only when the next access is elsewhere, so frames read or written
//! in order cost the calls plain sequential `std::io` code makes.
//!
//! # Decisions on OpenMV's quirks (docs/format.md §6)
//!
//! | Quirk | Decision |
//! |---|---|
//! | Q1 V1.x JPEG read with size 0 | **Fixed**: payload length = the bpp field. |
//! | Q2 V1 bpp ≥ 0x8000_0000 | **Fixed** as esp-vision: `InvalidBpp`. |
//! | Q3 `seek` sets count from the old offset | **Fixed**: count = max(count, frames proven to exist); never shrinks. |
//! | Q4 memory write checked against the slot, overflows | **Fixed**: payload must fit `buffer_size()`. |
//! | Q5 `pause=false` and seek push the schedule ahead of real time | **Fixed**: an unpaced read or a seek moves the schedule to now; paced reads keep `ms += elapsed`. |
//! | Q6 mid-file write truncates via a missing `truncate()` | **Fixed**: the file is cut at the current frame, then the chunk is appended; count = offset + 1. A write that fails leaves count, index, `size()` and the file agreeing: the frames from offset on are gone and named by [`Error::discarded`]; what reached the storage is a truncated tail (Q7). |
//! | Q7 short read closes the file, stream left broken | **Fixed**: a truncated last chunk ends the stream like EOF and is reported by `truncated_tail()`; earlier frames intact. Other I/O errors leave the stream where it was. |
//! | Q8 a failed write still moves the time reference | **Fixed**: the reference moves only on success. |
//! | Q9 unwritten memory slots read garbage | **Fixed**: `EmptySlot` error. |
//! | Q10 invalid pixformat leaves the stream desynchronised | **Fixed**: whole header read and checked before anything moves. |
//! | Q11 mode `'W'` gives a stream without a file | **Fixed**: `InvalidMode`. |
//! | Q12 only `mode[0]` checked | **Fixed**: exactly `"r"` or `"w"`. |
//! | Q13 version bytes not checked to be digits | **Fixed**: digits required; V2.1 accepted (µs). |
//! | Q14 ARGB8 payload size 0 | **Replicated** for compatibility; writing ARGB8 with pixel data is refused rather than silently dropped. |
//! | Q15 memory constructor arguments unchecked | **Fixed**: w, h, count ≥ 1, dimensions ≤ [`MAX_DIMENSION`], overflow-checked sizes. |
//! | Q16 V1.x writes (dead code in C) | **Not provided**: V1.x is read-only; writers emit V2.0/V2.1. |
//! | Q17 `is_closed()` returns an int | `bool` in Rust. |
//! | Q18 memory `size()` includes slot headers | **Replicated** (`size() = count × slot`). |
//! | Q19 a corrupt elapsed value blocks for up to 49 days | **Fixed**: waits are cancellable ([`Wait`]) and capped at `max_wait_us` (default 1000 s). |
//! | Q20 `fb_alloc` LIFO frees the wrong stream | **Not applicable**: each stream borrows its own buffer. |
//! | Q21 `'w'` streams cannot read or seek (≥ 4.8) | **Fixed** as v4.2–4.7: `"w"` streams read and seek; `"r"` streams are read-only (`ReadOnly`). |
//! | Q22 V2 size field unspecified for raw frames | Written as 0, ignored on read. |
//! | Q23 historical bad files (2017 BINARY, V1.0 LE RGB565, 4.1.2 bpp) | Undetectable; read as their header says (V1.0 RGB565 is swapped). |
//! | Q24 `seek` past the end walks to EOF, banks every elapsed time, raises; the next read gives `None` or rewinds | **Fixed**: `EndOfStream` and nothing moves (offset, position, schedule); the next read is the frame at the old offset. |
//! | Q25 `count()`, `offset()`, `version()`, `buffer_size()`, `size()` after `close()` give stale values; `size()` reads the closed file | **Fixed**: all are `Closed`, as every other call on a closed stream (a stale value would look like a live stream; `size()` has no file to ask). |
//! | Q26 a last frame whose padding is missing is lost (short padding read) | **Fixed**: it is read (its payload is complete; padding carries no data) and the stream ends there as at EOF. A short payload is Q7. |
//! | Q27 no dimension check on read (w or h > 32767 accepted) | **Fixed** as the OpenMV IDE: `DimensionTooLarge` above [`MAX_DIMENSION`] on read and write, the stream left where it was (the IDE calls such a file corrupt). |
//!
//! Memory streams replicate OpenMV where it is not a bug: `count()` is the
//! capacity, `read` at the end raises `EndOfStream` whatever `loop` says.
#![cfg_attr(not(feature = "std"), no_std)]

pub mod container;
pub mod error;
pub mod file;
pub mod frame;
pub mod index;
pub mod memory;
pub mod pixformat;
pub mod schedule;
#[cfg(feature = "test-util")]
mod shared_clock;
#[cfg(feature = "std")]
mod std_io;
pub mod storage;
pub mod stream;
pub mod time;
mod tracked;

pub use container::{ChunkHeader, Version};
pub use error::{Discarded, Error, ErrorKind, Field, IoOp, Result};
pub use file::{FileOptions, FileStream, Mode};
pub use frame::{Frame, FrameInfo, Image, ReadOptions};
pub use memory::{memory_stream_bytes, MemoryLayout, MemoryStream};
pub use pixformat::PixFormat;
#[cfg(feature = "test-util")]
pub use shared_clock::SharedClock;
pub use storage::{SliceFile, Storage, Truncate};
#[cfg(feature = "std")]
pub use storage::{StdFile, StdIo, StdIoError};
pub use stream::{ImageIo, StreamType};
#[cfg(feature = "std")]
pub use time::StdClock;
pub use time::{Cancelled, Clock, ManualClock, Wait};

/// The largest width or height accepted, read or written (the OpenMV IDE's limit).
pub const MAX_DIMENSION: u32 = 32767;
