//! The executor's frame buffer and differencing buffer, as zero-initialised
//! statics (`.bss`). Memory streams live in the PSRAM (`ramdisk::psram`).
#![allow(unsafe_code)]

use core::sync::atomic::{AtomicBool, Ordering};

/// Frame buffer bytes: VGA RGB565 fits (614 400 bytes).
pub const FRAME: usize = 640 * 480 * 2;
/// Differencing buffer bytes (same as the frame buffer).
pub const AUX: usize = FRAME;

static mut FRAME_BUF: [u8; FRAME] = [0; FRAME];
static mut AUX_BUF: [u8; AUX] = [0; AUX];
static TAKEN: AtomicBool = AtomicBool::new(false);

/// The buffers, with `memory` for memory streams; `None` after the first call.
pub fn take(memory: &'static mut [u8]) -> Option<omv_agent::Buffers<'static>> {
    if TAKEN.swap(true, Ordering::AcqRel) {
        return None;
    }
    // SAFETY: TAKEN makes this the only place that ever creates references
    // to these statics, and it runs once.
    unsafe {
        Some(omv_agent::Buffers {
            frame: &mut *core::ptr::addr_of_mut!(FRAME_BUF),
            aux: &mut *core::ptr::addr_of_mut!(AUX_BUF),
            memory,
        })
    }
}
