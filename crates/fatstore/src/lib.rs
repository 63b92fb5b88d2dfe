//! FAT file storage for OpenMV streams on an SD card, shared by the host
//! simulator and the agent firmware so that both write through the same
//! layers: `omv-imageio` → [`FatFile`] → the recording writer (files
//! opened for writing) or `embedded-sdmmc` (mounting, directories, reading,
//! appending) → a [`BlockDevice`](embedded_sdmmc::BlockDevice).
//!
//! * [`FatStore::mount`] opens volume 0 of an MBR-partitioned device (FAT16
//!   or FAT32; `embedded-sdmmc` cannot read a bare volume).
//! * [`FatStore::open`] maps OpenMV paths such as `/sdcard/stream.bin` onto
//!   the volume (`STREAM.BIN` in the root; 8.3 names, upper-cased).
//! * [`FatFile`] is an open file: `embedded-io` `Read + Write + Seek` plus
//!   `omv_imageio::Truncate`, i.e. an `omv_imageio::Storage`.
//!
//! # Keeping a file open across steps
//!
//! `embedded-sdmmc` 0.10 keeps its state in a `RefCell` inside the
//! `VolumeManager` (every call takes `&self`) and hands out `RawFile` ids.
//! A [`FatFile<R>`] holds such an id and *any* shared reference `R` to the
//! store — `&FatStore` (firmware: a `static` or a long-lived stack frame),
//! or `Rc<FatStore>`/`Arc<FatStore>` (host: owned by a board object) — so a
//! stream can own its file and live as long as the executor needs, next to
//! other open files, with no self-reference.
//!
//! ```
//! # #[cfg(feature = "std")] {
//! use omv_fatstore::{format::{format_card, MemCard}, FatStore, OpenMode};
//! use omv_imageio::{FileOptions, FileStream, Image, ManualClock, PixFormat};
//!
//! let card = MemCard::new(format_card(8 * 1024 * 1024).unwrap());
//! let store = FatStore::mount(card).unwrap();
//! let file = store.open("/sdcard/stream.bin", OpenMode::Write).unwrap();
//! let mut s: FileStream<_, _> =
//!     FileStream::create(file, ManualClock::new(0), FileOptions::default()).unwrap();
//! s.write(&Image::new(4, 2, PixFormat::Grayscale, &[7; 8])).unwrap();
//! s.close().unwrap();
//! drop(s);
//! // File header, chunk header, 8 payload bytes padded to 16.
//! assert_eq!(store.file_len("/sdcard/stream.bin").unwrap(), 16 + 32 + 16);
//! # }
//! ```
//!
//! # Writing: the recording writer
//!
//! A file opened with [`OpenMode::Write`] does not write through
//! `embedded-sdmmc` (which sends one block per command, writes a modified
//! block back at once and rewrites both FATs for every cluster): it gets a
//! recording writer (module `rec`) that reserves contiguous clusters in
//! memory (4 MiB at a time), writes whole blocks with one multi-block
//! `BlockDevice::write` straight from the caller's buffer (one 512-byte
//! stage for a partial head or tail, so a stream's header, payload and
//! padding never make a block be written twice) and writes the FAT chain and
//! the directory entry only at [`FatFile::flush`]/close, in the order data,
//! FAT1, FAT2, directory entry (FSInfo's next-free hint at close). A power
//! cut between flushes leaves the card exactly as at the last flush and
//! `fsck.fat -n` clean: unsynced data lies in clusters the FAT still calls
//! free. This is what `sync()` means here. [`MAX_RECORDERS`] file (one)
//! can be open for writing at a time; [`OpenMode::Append`] still goes
//! through `embedded-sdmmc` and excludes it (see [`FatStore`]). A file
//! opened for reading takes the writer's slot when it is free and then
//! reads each contiguous run in one multi-block command.
//!
//! # Truncation
//!
//! A recording writer truncates anywhere (the FAT is cut at the next
//! flush). For appended files `embedded-sdmmc` can only truncate a file
//! to zero: [`FatFile`]'s `truncate` at the end of the file does nothing, at 0 reopens the file
//! truncated, and in the middle copies the kept prefix through a scratch file
//! `OMVTRUNC.TMP` in the same directory (two passes over the prefix). The
//! scratch file is left holding one byte: deleting a file in
//! `embedded-sdmmc` does not free its clusters, which `fsck.fat` would
//! report. Only a write into the middle of a stream (OpenMV's seek + write,
//! Q6) needs this.
#![cfg_attr(not(feature = "std"), no_std)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod blocks;
mod error;
mod file;
#[cfg(feature = "std")]
pub mod format;
mod layout;
mod path;
mod rec;
mod store;
#[cfg(feature = "std")]
pub mod tools;

pub use error::{FsError, StoreError};
pub use file::{FatFile, StoreRef, SCRATCH_NAME};
pub use path::{FatPath, PathError, MAX_DEPTH};
pub use store::{FatStore, FixedTime, OpenMode, MAX_RECORDERS};

/// Re-exported so users name the same `embedded-sdmmc` types.
pub use embedded_sdmmc;
