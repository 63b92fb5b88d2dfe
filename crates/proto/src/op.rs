//! [`Op`]: one scenario step, as the harness sends it and the agent runs it.

use serde::{Deserialize, Serialize};

use crate::types::{Content, ModeStr, Path, PixFormat};

/// One step of a scenario: OpenMV's `image.ImageIO` API, the sensor's
/// settings, and the harness's compound steps (record, replay, diff).
///
/// At most one stream is open at a time: an `Open*` while a stream is open
/// closes the old one first. Steps on a stream when none is open fail with
/// [`ErrorName::NoStream`](crate::ErrorName::NoStream).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Change some sensor settings; `None` fields keep their value. Takes
    /// effect at once: the frame counter restarts at 0 and the sensor's
    /// frame clock starts at this step's time, as a real sensor starts
    /// streaming when configured (so the time the following steps take
    /// decides which frame the first snapshot gets).
    Sensor(SensorSettings),
    /// `ImageIO(path, mode)`: open a file stream. `mode` is passed through
    /// unchanged so invalid modes can be tested (`"W"`, `"rw"`).
    /// `write_version` is 20 (V2.0, default) or 21 (V2.1, µs elapsed).
    OpenFile {
        /// Path on the card, e.g. `/sdcard/stream.bin`.
        path: Path,
        /// `"r"` or `"w"`.
        mode: ModeStr,
        /// Container version written by `"w"`: 20 or 21; `None` = 20.
        write_version: Option<u8>,
    },
    /// `ImageIO((w, h, pixformat), count)`: open a memory stream in the
    /// board's memory-stream buffer.
    OpenMemory {
        /// Slot width in pixels.
        width: u32,
        /// Slot height in pixels.
        height: u32,
        /// Slot pixel format.
        pixformat: PixFormat,
        /// Number of slots.
        count: u32,
    },
    /// `stream.write(sensor.snapshot())`: one snapshot, one write.
    /// Result: [`Value::Frame`](crate::Value::Frame) of the written frame.
    Write,
    /// `record N`: N times snapshot + write, paced by the sensor's frame
    /// rate on the board's clock. Stops at the first failed write (the
    /// error is the result; frames written before it stay and are in the
    /// trace). Result: [`Value::Record`](crate::Value::Record).
    Record {
        /// Frames to write.
        frames: u32,
    },
    /// `stream.read(copy_to_fb, loop=, pause=)`. Result: the frame, or
    /// [`Value::None`](crate::Value::None) at the end of a file stream.
    Read(ReadArgs),
    /// `replay`: read repeatedly until `frames` frames were read or, with
    /// `frames = None`, until the end of the stream (a `None` read, or
    /// `EndOfStream` on a memory stream, ends it without error). With
    /// `loop = true`, `frames` must be given. Result:
    /// [`Value::Replay`](crate::Value::Replay).
    Replay {
        /// Frames to read; `None` = until the end.
        frames: Option<u32>,
        /// Read options of every read.
        args: ReadArgs,
    },
    /// `stream.seek(offset)`.
    Seek {
        /// Target frame index.
        offset: u32,
    },
    /// `stream.sync()`.
    Sync,
    /// `stream.close()`.
    Close,
    /// A query of the open stream.
    Query(Query),
    /// Take one snapshot without writing it (advances the sensor; the
    /// frame lands in the frame buffer). Result: the frame's summary.
    Snapshot,
    /// Frame differencing (OpenMV's in-memory example, docs/api.md §1): take a snapshot,
    /// read the stream's next frame with `args`, and compare them byte by
    /// byte. Result: [`Value::Diff`](crate::Value::Diff).
    Diff {
        /// Read options of the read.
        args: ReadArgs,
        /// A byte counts as changed when |a − b| > `threshold`.
        threshold: u8,
    },
    /// Let time pass on the board's clock (the board's `Wait`); at most
    /// 10 minutes (longer is a `BadStep` error).
    Sleep {
        /// Microseconds to wait.
        us: u64,
    },
    /// A fault the board can produce itself.
    Fault(Fault),
}

/// Options of a read: OpenMV's `read(copy_to_fb, *, loop, pause)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadArgs {
    /// Load the frame into the frame buffer (always true on file streams:
    /// without a heap there is nowhere else to put it).
    pub copy_to_fb: bool,
    /// Rewind at the end instead of returning `None`.
    pub loop_: bool,
    /// Honour the recorded timing.
    pub pause: bool,
}

impl Default for ReadArgs {
    /// OpenMV's defaults: `copy_to_fb=True, loop=True, pause=True`.
    fn default() -> Self {
        ReadArgs {
            copy_to_fb: true,
            loop_: true,
            pause: true,
        }
    }
}

/// Queries of the open stream (OpenMV's accessors, docs/api.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Query {
    /// `count()`: [`Value::Number`](crate::Value::Number).
    Count,
    /// `offset()`: `Number`.
    Offset,
    /// `size()`: `Number` (bytes).
    Size,
    /// `version()`: `Number` (10, 11, 20, 21) or `None` for memory streams.
    Version,
    /// `buffer_size()`: `Number` for memory streams, `None` for files.
    BufferSize,
    /// `type()`: [`Value::Stream`](crate::Value::Stream).
    Type,
    /// `is_closed()`: [`Value::Bool`](crate::Value::Bool); also true when
    /// no stream is held (none opened yet, or dropped by a power cut, a
    /// reset or a download).
    IsClosed,
}

impl Query {
    /// Every query.
    pub const ALL: [Query; 7] = [
        Query::Count,
        Query::Offset,
        Query::Size,
        Query::Version,
        Query::BufferSize,
        Query::Type,
        Query::IsClosed,
    ];

    /// OpenMV's method name (`count`, `buffer_size`, `is_closed`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Query::Count => "count",
            Query::Offset => "offset",
            Query::Size => "size",
            Query::Version => "version",
            Query::BufferSize => "buffer_size",
            Query::Type => "type",
            Query::IsClosed => "is_closed",
        }
    }

    /// Parse a method name.
    pub fn from_name(name: &str) -> Option<Self> {
        Query::ALL.into_iter().find(|q| q.name() == name)
    }
}

/// Sensor settings; `None` keeps the current value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SensorSettings {
    /// Frame width in pixels (default 320).
    pub width: Option<u16>,
    /// Frame height in pixels (default 240).
    pub height: Option<u16>,
    /// Pixel format (default RGB565).
    pub pixformat: Option<PixFormat>,
    /// Frames per second; 0 = unpaced (every snapshot is immediate). Default 30.
    pub fps: Option<u16>,
    /// What the frames show (default colour bars).
    pub content: Option<Content>,
    /// Seed of the content (default 0).
    pub seed: Option<u64>,
}

/// Faults an agent can cause on its own storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Fault {
    /// Power cut: the open stream is dropped without flushing or closing,
    /// the card's volume is unmounted without writing anything more, and
    /// remounted. Unflushed data is lost as on a real card.
    PowerCut,
    /// The card accepts this many more block writes, then fails every
    /// write (a full or broken card). `None` removes the limit.
    WriteLimit {
        /// Block writes still accepted; `None` = no limit.
        blocks: Option<u32>,
    },
}
