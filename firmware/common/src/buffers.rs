//! The executor's memory, as zero-initialised statics (`.bss`, never on the
//! stack; each board's `memory.x` puts `.bss` in its RAM: the AXI SRAM on
//! the H7): the frame buffer and the differencing buffer (both
//! word-aligned: the H7's DCMI DMA writes snapshots into either), the
//! region memory streams are created in, and the trace.
//!
//! Sizes: one QVGA RGB565 frame each for the frame and differencing
//! buffers (agent-h7 checks its camera's frame against [`FRAME_BYTES`]);
//! [`EVENTS`] trace events; what is left of the H7's 512 KiB AXI SRAM for
//! memory streams after those, the card cache and the USB pipes (see the
//! firmware's `size` output: the linker refuses a `.bss` that does not
//! fit). Both firmwares link these statics, and `cargo xtask stack
//! --same-memory-as` compares their sizes in the two ELFs.

use omv_agent::EMPTY_EVENT;
use omv_proto::Event;
use static_cell::ConstStaticCell;

/// Frame buffer bytes: one QVGA RGB565 frame (the OV7725's output).
pub const FRAME_BYTES: usize = 320 * 240 * 2;

/// Memory-stream region bytes.
pub const MEMORY: usize = 160 * 1024;

/// Trace events kept between two `events` requests (48 bytes each). The
/// harness fetches the trace after every step; the longest step it sends
/// makes two events per frame.
pub const EVENTS: usize = 512;

static FRAME: ConstStaticCell<[u32; FRAME_BYTES / 4]> = ConstStaticCell::new([0; FRAME_BYTES / 4]);
// Word-aligned too: frame differencing takes its snapshot into it.
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
