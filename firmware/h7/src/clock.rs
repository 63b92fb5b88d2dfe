//! The agent's clock: embassy-time's 1 MHz tick, driven by TIM2 from the
//! 12 MHz crystal (±50 ppm typical for the part; not measured here).

use embassy_time::Instant;
use omv_imageio::{Cancelled, Clock, Wait};

/// Microseconds since boot, from the HAL's time driver.
#[derive(Debug, Default, Clone, Copy)]
pub struct BoardClock;

impl Clock for BoardClock {
    fn now_us(&mut self) -> u64 {
        // The agent reads its clock at every step and frame: proof of life.
        crate::fault::feed();
        Instant::now().as_micros()
    }
}

impl Wait for BoardClock {
    /// Spins until the deadline, or until the host sends something: the
    /// host only talks during a step to abort it (a `Reset` after its
    /// deadline passed), so bytes waiting on the USB link cancel the wait
    /// and the step ends with `Cancelled` (see `omv_agent::Executor`).
    /// USB runs in interrupts, so the link keeps moving meanwhile.
    fn wait_until(&mut self, deadline_us: u64) -> Result<(), Cancelled> {
        while self.now_us() < deadline_us {
            if crate::usb::host_bytes_waiting() {
                return Err(Cancelled);
            }
            core::hint::spin_loop();
        }
        Ok(())
    }

    /// Host bytes waiting cancel a step between frames too (unpaced
    /// replay and 0 fps records never wait).
    fn check_cancelled(&mut self) -> Result<(), Cancelled> {
        if crate::usb::host_bytes_waiting() {
            return Err(Cancelled);
        }
        Ok(())
    }
}
