//! The agent's clock: embassy-time's 1 MHz tick, driven by TIM2 from the
//! 12 MHz crystal (±50 ppm typical for the part; not measured here).

use embassy_time::Instant;
use omv_imageio::{Cancelled, Clock, Wait};

/// Microseconds since boot, from the HAL's time driver.
#[derive(Debug, Default, Clone, Copy)]
pub struct BoardClock;

impl Clock for BoardClock {
    fn now_us(&mut self) -> u64 {
        Instant::now().as_micros()
    }
}

impl Wait for BoardClock {
    /// Spins until the deadline. USB runs in interrupts, so the link keeps
    /// moving while a paced replay waits; the stream crate never asks for
    /// more than its `max_wait_us` ahead (Q19), which bounds the spin.
    fn wait_until(&mut self, deadline_us: u64) -> Result<(), Cancelled> {
        while self.now_us() < deadline_us {
            core::hint::spin_loop();
        }
        Ok(())
    }
}
