//! The host ↔ agent wire protocol of the ImageIO harness (`no_std`, no alloc).
//!
//! * [`Op`]: one scenario step (OpenMV's `image.ImageIO` API, sensor
//!   settings, `record`, `replay`, frame differencing, faults).
//! * [`Outcome`]: a step's result, a [`Value`] or an [`OpError`] with a
//!   stable [`ErrorName`].
//! * [`Event`]: the timing trace, stamped with the board's own clock.
//! * [`Request`] / [`Response`]: the messages, with request ids, the
//!   [`PROTOCOL_VERSION`] handshake, chunked downloads (bulk data flows from
//!   the agent) and event pages.
//! * [`ResetReport`]: why the agent last restarted (fault, panic,
//!   watchdog), in its next [`Hello`]; [`LogPage`]: its log lines.
//! * [`frame`]: `0x00, COBS(postcard ‖ CRC-32), 0x00` framing and a
//!   streaming [`FrameDecoder`] that reports garbage, truncated frames and
//!   bad CRCs and resynchronises at the next delimiter.
//!
//! All sizes are bounded ([`MAX_PATH`], [`MAX_CHUNK`], [`MAX_FRAME_LEN`]...).
#![no_std]

pub mod event;
pub mod frame;
pub mod message;
pub mod op;
pub mod outcome;
pub mod report;
pub mod types;

pub use event::{Event, EventKind};
pub use frame::{
    crc32, FrameDecoder, FrameError, CRC32, MAX_ENCODED_LEN, MAX_FRAME_LEN, MAX_MESSAGE_LEN,
};
pub use message::{
    Capabilities, EventPage, Hello, ProtoError, ProtoErrorKind, Request, RequestBody, Response,
    ResponseBody, MAX_CHUNK, MAX_EVENTS_PER_PAGE, MAX_UPLOAD_CHUNK, PROTOCOL_VERSION,
};
pub use op::{Fault, Op, Query, ReadArgs, SensorSettings};
pub use outcome::{
    DiffSummary, ErrorName, FrameSummary, OpError, Outcome, RecordSummary, ReplaySummary, Value,
};
pub use report::{
    CrashKind, FaultReport, LogLine, LogPage, LogText, PanicReport, ResetReport, MAX_LOG_LINE,
    MAX_LOG_LINES_PER_PAGE, MAX_PANIC_FILE,
};
pub use types::{
    bounded, format_bounded, Content, Message, ModeStr, Name, Path, PixFormat, StreamType,
    MAX_MESSAGE, MAX_MODE, MAX_NAME, MAX_PATH,
};
