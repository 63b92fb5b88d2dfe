//! Helpers shared by the integration tests.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use omv_imageio::{FileOptions, FileStream, ManualClock, StdIo};
use std::io::Cursor;

/// An in-memory file.
pub type Mem = StdIo<Cursor<Vec<u8>>>;
/// A file stream over an in-memory file and a manual clock.
pub type Stream = FileStream<Mem, ManualClock>;

/// A test vector's bytes.
pub fn vector(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Open `bytes` for reading with the clock at `t0` µs.
pub fn reader(bytes: Vec<u8>, t0: u64) -> Stream {
    FileStream::open_read(
        StdIo(Cursor::new(bytes)),
        ManualClock::new(t0),
        FileOptions::default(),
    )
    .expect("open for reading")
}

/// A new, empty write stream with the clock at `t0` µs.
pub fn writer(t0: u64) -> Stream {
    writer_with(t0, FileOptions::default())
}

/// A new write stream with options.
pub fn writer_with(t0: u64, opts: FileOptions) -> Stream {
    FileStream::create(StdIo(Cursor::new(Vec::new())), ManualClock::new(t0), opts).expect("create")
}

/// The bytes of a stream's file.
pub fn bytes(s: Stream) -> Vec<u8> {
    s.into_inner().0.into_inner()
}
