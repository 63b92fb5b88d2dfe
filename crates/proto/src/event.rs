//! [`Event`]: the timing trace, stamped with the board's own clock.

use serde::{Deserialize, Serialize};

/// One trace event. `t_us` is the board's clock (µs since its origin), so
/// serial latency never pollutes timing figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Board time of the event (µs).
    pub t_us: u64,
    /// The scenario step that caused it (the `step` of the `Run` request).
    pub step: u32,
    /// What happened.
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    /// A frame was written to the stream (`t_us` = after the write returned).
    FrameWritten {
        /// Stream index of the frame.
        index: u32,
        /// Sensor frame number of the snapshot written.
        seq: u32,
        /// Board time of the snapshot (µs).
        captured_us: u64,
        /// Payload bytes.
        payload_len: u32,
        /// CRC-32 of the payload.
        crc32: u32,
    },
    /// Replay released a frame (`t_us` = when `read` returned).
    FrameReleased {
        /// Stream index of the frame.
        index: u32,
        /// When the recorded timing says it was due: the first frame of a
        /// replay step is due when it was released; each next one is due
        /// its recorded elapsed time after the previous one's due time.
        scheduled_us: u64,
        /// Elapsed time recorded before the frame (µs).
        elapsed_us: u64,
        /// Payload bytes.
        payload_len: u32,
        /// CRC-32 of the payload.
        crc32: u32,
    },
    /// The sensor skipped frames because the caller was late.
    FramesDropped {
        /// Frames skipped.
        count: u32,
        /// Sensor frame number delivered after the gap.
        seq: u32,
    },
    /// A write or read failed inside a compound step.
    StepFailed {
        /// Stream index where it failed.
        index: u32,
    },
}
