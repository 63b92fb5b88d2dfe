//! [`Outcome`]: what a step returned, a value or a typed error.

use serde::{Deserialize, Serialize};

use crate::types::{format_bounded, Message, PixFormat, StreamType};

/// The result of one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// The step succeeded.
    Ok(Value),
    /// The step failed.
    Err(OpError),
}

impl Outcome {
    /// True for [`Outcome::Ok`].
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Ok(_))
    }

    /// The error's stable name, if the step failed.
    pub fn error_name(&self) -> Option<ErrorName> {
        match self {
            Outcome::Ok(_) => None,
            Outcome::Err(e) => Some(e.name),
        }
    }
}

/// A successful step's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Value {
    /// Nothing (open, seek, sync, close, sensor, sleep, fault).
    Unit,
    /// Python's `None` (a read at the end, `version()` of a memory stream...).
    None,
    /// A boolean (`is_closed()`).
    Bool(bool),
    /// A number (`count()`, `offset()`, `size()`, `version()`, `buffer_size()`).
    Number(u64),
    /// A stream type (`type()`).
    Stream(StreamType),
    /// One frame (write, read, snapshot).
    Frame(FrameSummary),
    /// A `record` step.
    Record(RecordSummary),
    /// A `replay` step.
    Replay(ReplaySummary),
    /// A `diff` step.
    Diff(DiffSummary),
}

/// One frame written, read or captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameSummary {
    /// Frame index in the stream (for a snapshot: the sensor's frame number).
    pub index: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixel format.
    pub pixformat: PixFormat,
    /// Elapsed time before this frame as recorded (µs) for reads; 0 for a
    /// snapshot and for a write (the stream stores it: read it back from
    /// the file's frame table).
    pub elapsed_us: u64,
    /// Payload bytes.
    pub payload_len: u32,
    /// CRC-32 (ISO-HDLC, as zlib) of the payload.
    pub crc32: u32,
    /// Board time (µs) when the frame was written, released or captured.
    pub t_us: u64,
}

/// What a `record N` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSummary {
    /// Frames written.
    pub frames: u32,
    /// Stream index of the first frame written.
    pub first_index: u32,
    /// Sensor frames skipped because a write took longer than a frame period.
    pub dropped: u32,
    /// Board time of the first snapshot (µs).
    pub t_start_us: u64,
    /// Board time after the last write (µs).
    pub t_end_us: u64,
}

/// What a `replay` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplaySummary {
    /// Frames read.
    pub frames: u32,
    /// Stream index of the first frame read (`None` if none was read).
    pub first_index: Option<u32>,
    /// The replay stopped at the end of the stream.
    pub reached_end: bool,
    /// The largest |release time − scheduled time| over the frames (µs).
    pub max_lateness_us: u64,
    /// Board time before the first read (µs).
    pub t_start_us: u64,
    /// Board time after the last read (µs).
    pub t_end_us: u64,
}

/// What a frame-differencing step found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffSummary {
    /// The stream frame compared with the snapshot.
    pub frame: FrameSummary,
    /// The sensor frame number of the snapshot.
    pub snapshot_seq: u32,
    /// Bytes compared (the shorter of the two payloads).
    pub compared: u32,
    /// Bytes whose absolute difference exceeds the threshold.
    pub changed: u32,
    /// Mean absolute byte difference × 1000 (integer, board-independent).
    pub mean_abs_diff_milli: u32,
}

/// A failed step: a stable name, the byte offset when there is one, and a
/// human-readable message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpError {
    /// Stable machine-readable name.
    pub name: ErrorName,
    /// Byte offset in the stream where the fault was found.
    pub offset: Option<u64>,
    /// What happened, for people (may be cut at [`MAX_MESSAGE`](crate::MAX_MESSAGE) bytes).
    pub message: Message,
}

impl OpError {
    /// An error with a message.
    pub fn new(name: ErrorName, message: &str) -> Self {
        OpError {
            name,
            offset: None,
            message: crate::types::bounded(message),
        }
    }
}

impl From<omv_imageio::Error> for OpError {
    fn from(e: omv_imageio::Error) -> Self {
        OpError {
            name: e.kind.into(),
            offset: e.offset,
            message: format_bounded(format_args!("{}", e.kind)),
        }
    }
}

impl core::fmt::Display for OpError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.name.as_str())?;
        if let Some(o) = self.offset {
            write!(f, " at byte {o}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Stable names of errors: every `omv_imageio::ErrorKind`, then the agent's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ErrorName {
    /// `ErrorKind::Closed`.
    Closed,
    /// `ErrorKind::InvalidMode`.
    InvalidMode,
    /// `ErrorKind::BadMagic`.
    BadMagic,
    /// `ErrorKind::UnsupportedVersion`.
    UnsupportedVersion,
    /// `ErrorKind::Truncated`.
    Truncated,
    /// `ErrorKind::InvalidPixformat`.
    InvalidPixformat,
    /// `ErrorKind::InvalidBpp`.
    InvalidBpp,
    /// `ErrorKind::DimensionTooLarge`.
    DimensionTooLarge,
    /// `ErrorKind::EndOfStream`.
    EndOfStream,
    /// `ErrorKind::InvalidFrameSize`.
    InvalidFrameSize,
    /// `ErrorKind::InvalidOffset`.
    InvalidOffset,
    /// `ErrorKind::BufferTooSmall`.
    BufferTooSmall,
    /// `ErrorKind::InvalidArgument`.
    InvalidArgument,
    /// `ErrorKind::EmptySlot`.
    EmptySlot,
    /// `ErrorKind::ReadOnly`.
    ReadOnly,
    /// `ErrorKind::Unsupported`.
    Unsupported,
    /// `ErrorKind::Cancelled`.
    Cancelled,
    /// `ErrorKind::Io`: the storage failed (the message names the operation and kind).
    Io,
    /// A step on a stream when no stream is open.
    NoStream,
    /// The file could not be opened (not found, bad name, no volume).
    OpenFailed,
    /// The storage is not available (no card, mount failed).
    Storage,
    /// The sensor could not produce a frame (e.g. the frame buffer is too small).
    Sensor,
    /// The step's arguments are invalid for this agent.
    BadStep,
    /// The board cannot do this step (e.g. a fault it cannot produce).
    NotSupported,
}

impl ErrorName {
    /// The name as text, e.g. `EndOfStream`: stable, used in golden snapshots.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorName::Closed => "Closed",
            ErrorName::InvalidMode => "InvalidMode",
            ErrorName::BadMagic => "BadMagic",
            ErrorName::UnsupportedVersion => "UnsupportedVersion",
            ErrorName::Truncated => "Truncated",
            ErrorName::InvalidPixformat => "InvalidPixformat",
            ErrorName::InvalidBpp => "InvalidBpp",
            ErrorName::DimensionTooLarge => "DimensionTooLarge",
            ErrorName::EndOfStream => "EndOfStream",
            ErrorName::InvalidFrameSize => "InvalidFrameSize",
            ErrorName::InvalidOffset => "InvalidOffset",
            ErrorName::BufferTooSmall => "BufferTooSmall",
            ErrorName::InvalidArgument => "InvalidArgument",
            ErrorName::EmptySlot => "EmptySlot",
            ErrorName::ReadOnly => "ReadOnly",
            ErrorName::Unsupported => "Unsupported",
            ErrorName::Cancelled => "Cancelled",
            ErrorName::Io => "Io",
            ErrorName::NoStream => "NoStream",
            ErrorName::OpenFailed => "OpenFailed",
            ErrorName::Storage => "Storage",
            ErrorName::Sensor => "Sensor",
            ErrorName::BadStep => "BadStep",
            ErrorName::NotSupported => "NotSupported",
        }
    }

    /// Every name.
    pub const ALL: [ErrorName; 24] = [
        ErrorName::Closed,
        ErrorName::InvalidMode,
        ErrorName::BadMagic,
        ErrorName::UnsupportedVersion,
        ErrorName::Truncated,
        ErrorName::InvalidPixformat,
        ErrorName::InvalidBpp,
        ErrorName::DimensionTooLarge,
        ErrorName::EndOfStream,
        ErrorName::InvalidFrameSize,
        ErrorName::InvalidOffset,
        ErrorName::BufferTooSmall,
        ErrorName::InvalidArgument,
        ErrorName::EmptySlot,
        ErrorName::ReadOnly,
        ErrorName::Unsupported,
        ErrorName::Cancelled,
        ErrorName::Io,
        ErrorName::NoStream,
        ErrorName::OpenFailed,
        ErrorName::Storage,
        ErrorName::Sensor,
        ErrorName::BadStep,
        ErrorName::NotSupported,
    ];

    /// Parse a name as given by [`as_str`](Self::as_str) (for scenario expectations).
    pub fn from_name(s: &str) -> Option<Self> {
        ErrorName::ALL.into_iter().find(|n| n.as_str() == s)
    }
}

impl From<omv_imageio::ErrorKind> for ErrorName {
    fn from(k: omv_imageio::ErrorKind) -> Self {
        use omv_imageio::ErrorKind as K;
        match k {
            K::Closed => ErrorName::Closed,
            K::InvalidMode => ErrorName::InvalidMode,
            K::BadMagic => ErrorName::BadMagic,
            K::UnsupportedVersion { .. } => ErrorName::UnsupportedVersion,
            K::Truncated { .. } => ErrorName::Truncated,
            K::InvalidPixformat(_) => ErrorName::InvalidPixformat,
            K::InvalidBpp(_) => ErrorName::InvalidBpp,
            K::DimensionTooLarge { .. } => ErrorName::DimensionTooLarge,
            K::EndOfStream => ErrorName::EndOfStream,
            K::InvalidFrameSize { .. } => ErrorName::InvalidFrameSize,
            K::InvalidOffset { .. } => ErrorName::InvalidOffset,
            K::BufferTooSmall { .. } => ErrorName::BufferTooSmall,
            K::InvalidArgument(_) => ErrorName::InvalidArgument,
            K::EmptySlot(_) => ErrorName::EmptySlot,
            K::ReadOnly => ErrorName::ReadOnly,
            K::Unsupported(_) => ErrorName::Unsupported,
            K::Cancelled => ErrorName::Cancelled,
            K::Io(..) => ErrorName::Io,
            // ErrorKind is non_exhaustive: a future kind is reported, not lost.
            _ => ErrorName::Unsupported,
        }
    }
}

impl core::fmt::Display for ErrorName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}
