//! The executor's memory, as zero-initialised statics in RAM (`.bss`,
//! never on the stack), with the sizes of agent-h7's (`firmware/h7/src/
//! buffers.rs`): a QVGA RGB565 frame buffer and differencing buffer, the
//! memory-stream region and the trace.
//!
//! The statics have the same names and types as agent-h7's, so their
//! symbols have the same sizes in both ELFs: `cargo xtask stack
//! --same-memory-as <agent-h7 ELF>` compares them (and the stacks) on
//! every `cargo xtask test`, so a change on one board that the other does
//! not follow fails the build instead of drifting.

use omv_agent::EMPTY_EVENT;
use omv_proto::Event;
use static_cell::ConstStaticCell;

/// Frame buffer bytes: one QVGA RGB565 frame, as agent-h7's
/// `camera::FRAME_BYTES` (the OV7725's output).
pub const FRAME_BYTES: usize = 320 * 240 * 2;

/// Memory-stream region bytes, as agent-h7's `buffers::MEMORY`.
pub const MEMORY: usize = 160 * 1024;

/// Trace events kept between two `events` requests, as agent-h7's
/// `buffers::EVENTS`.
pub const EVENTS: usize = 512;

static FRAME: ConstStaticCell<[u32; FRAME_BYTES / 4]> = ConstStaticCell::new([0; FRAME_BYTES / 4]);
static AUX: ConstStaticCell<[u32; FRAME_BYTES / 4]> = ConstStaticCell::new([0; FRAME_BYTES / 4]);
static REGION: ConstStaticCell<[u8; MEMORY]> = ConstStaticCell::new([0; MEMORY]);
static TRACE: ConstStaticCell<[Event; EVENTS]> = ConstStaticCell::new([EMPTY_EVENT; EVENTS]);

/// The executor's buffers and its trace storage.
pub struct Memory {
    /// Frame, differencing and memory-stream buffers.
    pub buffers: omv_agent::Buffers<'static>,
    /// Storage for the trace (`Executor::with_trace`).
    pub trace: &'static mut [Event],
}

/// The buffers; `None` after the first call.
pub fn take() -> Option<Memory> {
    let (Some(frame), Some(aux), Some(memory), Some(trace)) = (
        FRAME.try_take(),
        AUX.try_take(),
        REGION.try_take(),
        TRACE.try_take(),
    ) else {
        return None;
    };
    Some(Memory {
        buffers: omv_agent::Buffers {
            frame: bytemuck::cast_slice_mut(&mut frame[..]),
            aux: bytemuck::cast_slice_mut(&mut aux[..]),
            memory: &mut memory[..],
        },
        trace: &mut trace[..],
    })
}
