//! The replay schedule behind `read(pause=true)` (docs/api.md §4).
//!
//! Frame *k* is due at `reference + Σ elapsed`: OpenMV's `ms += elapsed`
//! model, kept in µs. A slow reader catches up without waiting and no frame
//! is dropped. Two decisions differ from the C code (Q5, Q19):
//! an unpaced read or a seek moves the reference to *now*, so the schedule
//! never runs ahead of real time; and no single wait is longer than
//! `max_wait_us`.

use crate::error::{Error, ErrorKind, Result};
use crate::time::Wait;

/// The replay schedule of one stream.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    reference_us: u64,
    max_wait_us: u64,
}

/// The schedule after a frame, applied with [`Schedule::commit`] once the
/// frame has really been consumed.
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct ScheduleStep {
    reference_us: u64,
    /// The recorded interval was longer than `max_wait_us`.
    pub clamped: bool,
}

impl Schedule {
    /// A schedule starting at `now_us`.
    pub fn new(now_us: u64, max_wait_us: u64) -> Self {
        Schedule {
            reference_us: now_us,
            max_wait_us,
        }
    }

    /// Where the schedule stands (µs on the stream's clock).
    pub fn reference_us(&self) -> u64 {
        self.reference_us
    }

    /// Account for a frame recorded `elapsed_us` after the previous one;
    /// with `pause`, wait until it is due. A cancelled wait returns
    /// `Cancelled` and the schedule is unchanged.
    pub fn next<T: Wait>(
        &self,
        time: &mut T,
        elapsed_us: u64,
        pause: bool,
    ) -> Result<ScheduleStep> {
        let clamped = elapsed_us > self.max_wait_us;
        let due = self
            .reference_us
            .saturating_add(elapsed_us.min(self.max_wait_us));
        let now = time.now_us();
        if !pause {
            return Ok(ScheduleStep {
                reference_us: now,
                clamped,
            });
        }
        if now < due {
            // The reference never runs ahead of now, so this wait is at most max_wait_us.
            let deadline = due.min(now.saturating_add(self.max_wait_us));
            time.wait_until(deadline)
                .map_err(|_| Error::new(ErrorKind::Cancelled))?;
        }
        Ok(ScheduleStep {
            reference_us: due,
            clamped,
        })
    }

    /// Apply a step.
    pub fn commit(&mut self, step: ScheduleStep) {
        self.reference_us = step.reference_us;
    }

    /// Restart the schedule from now (after a seek).
    pub fn restart<T: Wait>(&mut self, time: &mut T) {
        self.reference_us = time.now_us();
    }

    /// Restart the schedule at `now_us` (after a memory write).
    pub fn restart_at(&mut self, now_us: u64) {
        self.reference_us = now_us;
    }
}
