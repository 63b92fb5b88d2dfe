//! The executor's memory, as zero-initialised statics in AXI SRAM: the
//! frame buffer and the differencing buffer (both word-aligned: DCMI's DMA
//! writes snapshots into either), and the region memory streams are
//! created in.
//!
//! Sizes: one QVGA RGB565 frame each for the frame and differencing
//! buffers; what is left of the 512 KiB for memory streams after the card
//! cache, USB pipes and the trace (see the firmware's `size` output).

use static_cell::ConstStaticCell;

use crate::camera::FRAME_BYTES;

/// Memory-stream region bytes.
pub const MEMORY: usize = 184 * 1024;

static FRAME: ConstStaticCell<[u32; FRAME_BYTES / 4]> = ConstStaticCell::new([0; FRAME_BYTES / 4]);
// Word-aligned too: frame differencing takes its snapshot into it.
static AUX: ConstStaticCell<[u32; FRAME_BYTES / 4]> = ConstStaticCell::new([0; FRAME_BYTES / 4]);
static REGION: ConstStaticCell<[u8; MEMORY]> = ConstStaticCell::new([0; MEMORY]);

/// The three buffers; `None` after the first call.
pub fn take() -> Option<omv_agent::Buffers<'static>> {
    let (Some(frame), Some(aux), Some(memory)) =
        (FRAME.try_take(), AUX.try_take(), REGION.try_take())
    else {
        return None;
    };
    Some(omv_agent::Buffers {
        frame: bytemuck::cast_slice_mut(&mut frame[..]),
        aux: bytemuck::cast_slice_mut(&mut aux[..]),
        memory: &mut memory[..],
    })
}
