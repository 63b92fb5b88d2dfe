//! The one error type of the crate: what failed, and where in the stream.

use core::fmt;

/// Where a failure happened and why. `offset` is the byte offset in the
/// file (or memory buffer) where the fault was found, when there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error {
    /// What went wrong.
    pub kind: ErrorKind,
    /// Byte offset of the fault in the stream, if it is tied to one.
    pub offset: Option<u64>,
    /// Frames the failed operation cut from the stream, if any: a failed
    /// write before the end loses the frames it was to replace.
    pub discarded: Option<Discarded>,
}

/// Frames `first..end` (end exclusive) that are no longer in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discarded {
    /// The first frame lost.
    pub first: u32,
    /// One past the last frame lost.
    pub end: u32,
}

/// The reasons an operation fails. OpenMV's exception for each is in the
/// variant's docs (docs/api.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// OSError "Stream closed": the stream was closed.
    Closed,
    /// ValueError "Invalid stream mode, expected 'r' or 'w'".
    InvalidMode,
    /// OSError "Unexpected value read!": the 16-byte magic is wrong.
    BadMagic,
    /// ValueError "Expected version V1.0, V1.1, or V2.0": the version bytes
    /// are not two ASCII digits (Q13) or name a version we do not read.
    UnsupportedVersion {
        /// The major version byte as found.
        major: u8,
        /// The minor version byte as found.
        minor: u8,
    },
    /// OSError "Failed to read requested bytes!": the data ends inside a
    /// field. `expected` bytes were needed, `found` were there.
    Truncated {
        /// The field being read.
        field: Field,
        /// Bytes needed.
        expected: u64,
        /// Bytes available.
        found: u64,
    },
    /// OSError "Invalid image stream pixformat".
    InvalidPixformat(u32),
    /// OSError "Invalid image stream bpp": a V1 bpp field ≥ 0x8000_0000 (Q2).
    InvalidBpp(u32),
    /// A frame dimension above [`MAX_DIMENSION`](crate::MAX_DIMENSION).
    DimensionTooLarge {
        /// Width found.
        width: u32,
        /// Height found.
        height: u32,
    },
    /// EOFError "End of stream".
    EndOfStream,
    /// ValueError "Invalid frame size": the payload does not fit a memory
    /// slot, or the image data length does not match its dimensions.
    InvalidFrameSize {
        /// Payload bytes of the frame.
        size: u64,
        /// Bytes allowed (slot payload size, or the length implied by w×h).
        allowed: u64,
    },
    /// ValueError "Invalid stream offset".
    InvalidOffset {
        /// The offset asked for.
        offset: u32,
        /// Frames in the stream.
        count: u32,
    },
    /// The caller's buffer is too small for the frame or the stream.
    BufferTooSmall {
        /// Bytes needed.
        needed: u64,
        /// Bytes provided.
        available: u64,
    },
    /// A memory-stream constructor argument is out of range (Q15).
    InvalidArgument(&'static str),
    /// A memory slot that was never written (Q9 fixed: OpenMV reads garbage).
    EmptySlot(u32),
    /// The stream was opened with "r" and cannot be written.
    ReadOnly,
    /// The frame cannot be written in this container version.
    Unsupported(&'static str),
    /// A `pause` wait was cancelled; the frame was not consumed.
    Cancelled,
    /// The storage failed (OSError "Read failed"/"Write failed"/...).
    Io(IoOp, embedded_io::ErrorKind),
}

/// A field of the container, named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The 16-byte file header.
    Magic,
    /// A chunk header (16 or 32 bytes).
    ChunkHeader,
    /// A frame payload.
    Payload,
    /// Zero padding after a payload.
    Padding,
}

/// The storage operation that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoOp {
    /// Reading.
    Read,
    /// Writing.
    Write,
    /// Seeking.
    Seek,
    /// Flushing (`sync`).
    Flush,
    /// Truncating.
    Truncate,
}

/// `Ok` for an open stream, [`ErrorKind::Closed`] once `closed` (every
/// stream operation after `close()`).
pub(crate) fn ensure_open(closed: bool) -> Result<()> {
    if closed {
        return Err(Error::new(ErrorKind::Closed));
    }
    Ok(())
}

impl Error {
    /// An error with no byte offset.
    pub const fn new(kind: ErrorKind) -> Self {
        Error {
            kind,
            offset: None,
            discarded: None,
        }
    }

    /// An error found at byte `offset`.
    pub const fn at(kind: ErrorKind, offset: u64) -> Self {
        Error {
            kind,
            offset: Some(offset),
            discarded: None,
        }
    }

    /// The same error, saying that frames `first..end` were lost with it
    /// (nothing is added when the range is empty).
    pub const fn discarding(mut self, first: u32, end: u32) -> Self {
        if first < end {
            self.discarded = Some(Discarded { first, end });
        }
        self
    }

    /// A storage failure during `op`.
    pub fn io<E: embedded_io::Error>(op: IoOp, e: E, offset: u64) -> Self {
        Error::at(ErrorKind::Io(op, e.kind()), offset)
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Magic => "file header",
            Field::ChunkHeader => "chunk header",
            Field::Payload => "payload",
            Field::Padding => "padding",
        })
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ErrorKind::Closed => write!(f, "stream closed"),
            ErrorKind::InvalidMode => write!(f, "invalid stream mode, expected 'r' or 'w'"),
            ErrorKind::BadMagic => write!(f, "not an OMV IMG STR stream (bad magic)"),
            ErrorKind::UnsupportedVersion { major, minor } => write!(
                f,
                "unsupported version bytes {:?}.{:?} (expected V1.0, V1.1, V2.0 or V2.1)",
                char::from(major),
                char::from(minor)
            ),
            ErrorKind::Truncated {
                field,
                expected,
                found,
            } => write!(
                f,
                "data ends inside the {field}: expected {expected} bytes, found {found}"
            ),
            ErrorKind::InvalidPixformat(c) => write!(f, "invalid pixformat 0x{c:08X}"),
            ErrorKind::InvalidBpp(b) => write!(f, "invalid V1 bpp field 0x{b:08X}"),
            ErrorKind::DimensionTooLarge { width, height } => write!(
                f,
                "frame {width}x{height} exceeds the {} pixel limit",
                crate::MAX_DIMENSION
            ),
            ErrorKind::EndOfStream => write!(f, "end of stream"),
            ErrorKind::InvalidFrameSize { size, allowed } => {
                write!(f, "invalid frame size: {size} bytes, allowed {allowed}")
            }
            ErrorKind::InvalidOffset { offset, count } => {
                write!(f, "invalid stream offset {offset} (count {count})")
            }
            ErrorKind::BufferTooSmall { needed, available } => {
                write!(f, "buffer too small: need {needed} bytes, have {available}")
            }
            ErrorKind::InvalidArgument(what) => write!(f, "invalid argument: {what}"),
            ErrorKind::EmptySlot(i) => write!(f, "memory slot {i} was never written"),
            ErrorKind::ReadOnly => write!(f, "stream opened for reading cannot be written"),
            ErrorKind::Unsupported(what) => write!(f, "unsupported: {what}"),
            ErrorKind::Cancelled => write!(f, "wait cancelled"),
            ErrorKind::Io(op, kind) => write!(f, "{op:?} failed: {kind:?}"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(o) => write!(f, "at byte {o}: {}", self.kind)?,
            None => write!(f, "{}", self.kind)?,
        }
        match self.discarded {
            Some(Discarded { first, end }) => write!(f, "; frames {first}..{end} truncated"),
            None => Ok(()),
        }
    }
}

impl core::error::Error for Error {}

/// Result with the crate's [`Error`].
pub type Result<T> = core::result::Result<T, Error>;
