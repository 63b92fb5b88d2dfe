//! Requests (host → agent) and responses (agent → host).
//!
//! Every request carries an id; every response to it carries the same id.
//! A download is answered by several responses with the request's id:
//! [`ResponseBody::DownloadStart`], [`ResponseBody::Chunk`]s in order, then
//! [`ResponseBody::DownloadEnd`]. Bulk data only flows from the agent.

use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::op::Op;
use crate::outcome::Outcome;
use crate::report::{CrashKind, LogPage, ResetReport};
use crate::types::{Message, Name, Path};

/// The protocol version; the handshake fails if host and agent differ.
/// 2: `Hello::reset`, `Logs`, `CrashTest` (and `CardTiming`).
pub const PROTOCOL_VERSION: u16 = 2;
/// Largest payload of one download chunk.
pub const MAX_CHUNK: usize = 1024;
/// Largest payload of one upload chunk (host → agent is slow on QEMU: keep it small).
pub const MAX_UPLOAD_CHUNK: usize = 256;
/// Most events in one [`EventPage`].
pub const MAX_EVENTS_PER_PAGE: usize = 24;

/// A request from the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Chosen by the host; echoed in every response to this request.
    pub id: u32,
    /// What is asked.
    pub body: RequestBody,
}

/// What the host asks.
#[allow(clippy::large_enum_variant)] // no heap: the upload chunk is inline
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestBody {
    /// Handshake: the host's protocol version. Answered by [`ResponseBody::Hello`].
    Hello {
        /// [`PROTOCOL_VERSION`] of the host.
        protocol: u16,
    },
    /// Run one scenario step. Answered by [`ResponseBody::Done`].
    Run {
        /// Index of the step in the scenario (recorded in trace events).
        step: u32,
        /// The step.
        op: Op,
    },
    /// Send the bytes of a file from `offset` (to the end, or `max_len`
    /// bytes). Answered by `DownloadStart`, `Chunk`s, `DownloadEnd` (or
    /// `Error`). Download, `Stat` and `Upload` first drop the agent's
    /// stream (closing a file stream), so fetch files at a scenario's end.
    Download {
        /// File path.
        path: Path,
        /// First byte to send.
        offset: u64,
        /// Most bytes to send; `None` = to the end of the file.
        max_len: Option<u64>,
    },
    /// Write bytes into a file: `offset = 0` creates or truncates it, other
    /// offsets must equal the current length (append). Answered by `Ack`.
    Upload {
        /// File path.
        path: Path,
        /// Where the data goes.
        offset: u64,
        /// The data.
        data: heapless::Vec<u8, MAX_UPLOAD_CHUNK>,
    },
    /// The size of a file. Answered by [`ResponseBody::FileSize`].
    Stat {
        /// File path.
        path: Path,
    },
    /// Trace events from index `from` (0 = the oldest kept). Answered by
    /// [`ResponseBody::Events`].
    Events {
        /// Index of the first event wanted.
        from: u32,
    },
    /// Forget all trace events. Answered by `Ack`.
    ClearEvents,
    /// Close any stream (without error), forget events, restore the default
    /// sensor settings. Files on the card stay. Answered by `Ack`.
    Reset,
    /// Time the card's commands by an `omv-sdtiming` profile (`class10`,
    /// `ideal:<B/s>`, ...) seeded with `seed`, from now on. Only agents
    /// whose card is a stand-in with a timing model accept it
    /// ([`Capabilities::CARD_PROFILE`]). Answered by `Ack`, or an
    /// `Unsupported` error for an unknown profile or a real card.
    CardTiming {
        /// Profile name.
        profile: Name,
        /// Seed of the card's random figures (latency spread, stalls).
        seed: u64,
    },
    /// The agent's log lines from index `from` (0 = the oldest kept).
    /// Answered by [`ResponseBody::Logs`].
    Logs {
        /// Index of the first line wanted.
        from: u32,
    },
    /// Crash on purpose (tests of the fault path). A firmware built with
    /// its test feature faults or panics and never answers; any other
    /// agent answers `Error(Unsupported)`.
    CrashTest {
        /// How.
        kind: CrashKind,
    },
}

/// A response from the agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// The id of the request answered; 0 for reports about frames that
    /// could not be decoded (their id is unknown).
    pub id: u32,
    /// The answer.
    pub body: ResponseBody,
}

/// The agent's answers.
#[allow(clippy::large_enum_variant)] // no heap: the download chunk is inline
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseBody {
    /// The handshake answer.
    Hello(Hello),
    /// A step ran.
    Done {
        /// The step index of the request.
        step: u32,
        /// What it returned.
        outcome: Outcome,
        /// Board time when the step started (µs).
        t_start_us: u64,
        /// Board time when it ended (µs).
        t_end_us: u64,
    },
    /// A download begins: the file's total size and the bytes that follow.
    DownloadStart {
        /// File size in bytes.
        file_size: u64,
        /// Bytes that the chunks will carry.
        len: u64,
    },
    /// A piece of a download.
    Chunk {
        /// File offset of `data[0]`.
        offset: u64,
        /// The bytes.
        data: heapless::Vec<u8, MAX_CHUNK>,
    },
    /// The download is complete.
    DownloadEnd {
        /// CRC-32 of all bytes sent.
        crc32: u32,
    },
    /// A file's size.
    FileSize(u64),
    /// A page of trace events.
    Events(EventPage),
    /// Done, nothing to report.
    Ack,
    /// The request failed, or a frame could not be decoded (`id` 0).
    Error(ProtoError),
    /// A page of the agent's log.
    Logs(LogPage),
}

/// The agent's handshake answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// The agent's [`PROTOCOL_VERSION`].
    pub protocol: u16,
    /// Board name (`sim`, `qemu`, `h7`).
    pub board: Name,
    /// Firmware name and version.
    pub firmware: Name,
    /// What the agent can do.
    pub capabilities: Capabilities,
    /// Largest encoded frame the agent accepts (bytes).
    pub max_frame: u32,
    /// Bytes of the frame buffer (largest snapshot or read).
    pub frame_buffer: u32,
    /// Bytes available to memory streams.
    pub memory_buffer: u32,
    /// Trace events kept before the oldest are dropped.
    pub event_capacity: u32,
    /// Largest download chunk (bytes).
    pub chunk: u32,
    /// Why the agent restarted, if its firmware recorded a fault, panic or
    /// watchdog reset before this boot. Reported in one hello only. An
    /// agent that boots with a report also sends this hello unasked
    /// (id 0), so a host waiting for a step's answer learns at once.
    pub reset: Option<ResetReport>,
}

/// Capability flags of an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Capabilities(pub u32);

impl Capabilities {
    /// File streams on a FAT card.
    pub const FILES: u32 = 1 << 0;
    /// Memory streams.
    pub const MEMORY: u32 = 1 << 1;
    /// Power-cut fault.
    pub const POWER_CUT: u32 = 1 << 2;
    /// Write-limit fault.
    pub const WRITE_LIMIT: u32 = 1 << 3;
    /// Uploads.
    pub const UPLOAD: u32 = 1 << 4;
    /// JPEG snapshots.
    pub const JPEG: u32 = 1 << 5;
    /// The card's timing follows a profile the host sets with
    /// [`RequestBody::CardTiming`] (a stand-in card, e.g. qemu's RAM disk).
    pub const CARD_PROFILE: u32 = 1 << 6;

    /// True if every bit of `flag` is set.
    pub fn has(self, flag: u32) -> bool {
        self.0 & flag == flag
    }
}

/// A page of trace events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventPage {
    /// Index of `events[0]`.
    pub first: u32,
    /// Events recorded so far (kept or not): the next index.
    pub total: u32,
    /// Events dropped because the buffer was full (the oldest kept index is
    /// `lost`; asking for less gives from there).
    pub lost: u32,
    /// The events.
    pub events: heapless::Vec<Event, MAX_EVENTS_PER_PAGE>,
}

/// A protocol-level failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtoError {
    /// What failed.
    pub kind: ProtoErrorKind,
    /// Details for people.
    pub message: Message,
}

/// Protocol-level failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProtoErrorKind {
    /// A received frame was damaged (bad COBS, bad CRC, too long, undecodable).
    BadFrame,
    /// Host and agent speak different protocol versions.
    VersionMismatch,
    /// A file could not be opened or read.
    File,
    /// The request is not supported by this agent.
    Unsupported,
}
