//! Host-file I/O shared by `tests/io_calls.rs` and `benches/hostio.rs`: a
//! file that counts the calls made on it, the frame sets, and the baseline —
//! plain sequential `std::io` code writing and reading the same bytes.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod counted;
pub mod raw;

pub use counted::{Calls, Counted, Counter};

use omv_imageio::PixFormat;

/// A kind of frame: its shape and the payload length of frame `i`.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// Name printed by the bench.
    pub name: &'static str,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Pixel format.
    pub pixformat: PixFormat,
    /// Payload length of every frame (raw formats), or the smallest (JPEG).
    pub len: usize,
    /// JPEG frames vary in length over `len .. len + spread`.
    pub spread: usize,
}

/// VGA RGB565: 614 400-byte payloads.
pub const VGA_RGB565: Kind = Kind {
    name: "VGA RGB565",
    width: 640,
    height: 480,
    pixformat: PixFormat::Rgb565,
    len: 640 * 480 * 2,
    spread: 0,
};

/// QQVGA grayscale: 19 200-byte payloads.
pub const QQVGA_GRAY: Kind = Kind {
    name: "QQVGA GRAYSCALE",
    width: 160,
    height: 120,
    pixformat: PixFormat::Grayscale,
    len: 160 * 120,
    spread: 0,
};

/// QVGA JPEG frames of 20–40 KB, of every length modulo 16 (so every padding).
pub const JPEG: Kind = Kind {
    name: "JPEG 20-40 KB",
    width: 320,
    height: 240,
    pixformat: PixFormat::Jpeg,
    len: 20_000,
    spread: 20_000,
};

impl Kind {
    /// Payload length of frame `i`.
    pub fn len_of(&self, i: u32) -> usize {
        if self.spread == 0 {
            self.len
        } else {
            self.len + (i as usize * 7919) % self.spread
        }
    }

    /// The largest payload.
    pub fn max_len(&self) -> usize {
        self.len + self.spread
    }
}

/// Payload bytes: frame `i` is `data[..kind.len_of(i)]`.
pub fn payload(kind: &Kind) -> Vec<u8> {
    (0..kind.max_len()).map(|i| (i * 31 % 251) as u8).collect()
}

use omv_imageio::{FileOptions, FileStream, Image, ManualClock, ReadOptions, Storage};
use std::io::{Read, Write};

/// Calls made by opening (or creating) and by the frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// Calls made before the first frame.
    pub open: Calls,
    /// Calls made by the frames.
    pub frames: Calls,
}

/// Create a stream on `file` and write `frames` frames of `kind` (the clock
/// advances [`raw::ELAPSED_MS`] before each). The stream is left open.
pub fn stream_write<S: Storage>(
    file: S,
    calls: &Counter,
    kind: &Kind,
    frames: u32,
    data: &[u8],
) -> (FileStream<S, ManualClock>, Split) {
    let c0 = calls.get();
    let mut s =
        FileStream::create(file, ManualClock::new(0), FileOptions::default()).expect("create");
    let c1 = calls.get();
    for i in 0..frames {
        s.time_mut().advance_ms(u64::from(raw::ELAPSED_MS));
        let img = Image::new(
            kind.width,
            kind.height,
            kind.pixformat,
            &data[..kind.len_of(i)],
        );
        s.write(&img).expect("write");
    }
    let split = Split {
        open: c1 - c0,
        frames: calls.get() - c1,
    };
    (s, split)
}

/// Open `file` as a stream and read every frame (unpaced) into `fb`;
/// returns the payload bytes read.
pub fn stream_read<S: Storage>(file: S, calls: &Counter, fb: &mut [u8]) -> (u64, Split) {
    let c0 = calls.get();
    let mut s: FileStream<S, ManualClock> =
        FileStream::open_read(file, ManualClock::new(0), FileOptions::default()).expect("open");
    let c1 = calls.get();
    let mut total = 0;
    while let Some(f) = s.read(fb, ReadOptions::FAST_ONCE).expect("read") {
        total += u64::from(f.payload_len);
    }
    let split = Split {
        open: c1 - c0,
        frames: calls.get() - c1,
    };
    (total, split)
}

/// The baseline writer: the file header, then the frames, on `w`.
pub fn raw_write<W: Write>(
    w: &mut W,
    calls: &Counter,
    kind: &Kind,
    frames: u32,
    data: &[u8],
) -> Split {
    let c0 = calls.get();
    raw::write_magic(w).expect("magic");
    let c1 = calls.get();
    raw::write_frames(w, kind, frames, data).expect("frames");
    Split {
        open: c1 - c0,
        frames: calls.get() - c1,
    }
}

/// The baseline reader: the file header, then `frames` frames, from `r`.
pub fn raw_read<R: Read>(r: &mut R, calls: &Counter, frames: u32, fb: &mut [u8]) -> (u64, Split) {
    let c0 = calls.get();
    raw::read_magic(r).expect("magic");
    let c1 = calls.get();
    let total = raw::read_frames(r, frames, fb).expect("frames");
    let split = Split {
        open: c1 - c0,
        frames: calls.get() - c1,
    };
    (total, split)
}
