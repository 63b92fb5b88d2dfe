//! The least board time a scenario's steps take, so that one which cannot
//! finish within its overall timeout (`timeout_s`, or the board file's
//! `scenario_timeout_s`) is a definition error naming the step, not a
//! timeout found minutes into a run.
//!
//! The bound is what the sensor model allows at best: within one sensor
//! configuration, every snapshot after the first waits at least one frame
//! period (1 s / fps) for a new frame, the first waits the start-up delay;
//! a `sleep` takes its time, and a snapshot right after it may find a
//! frame ready. Reads, replays and unpaced sensors (fps = 0) count
//! nothing: the bound never refuses a scenario that could run.

use omv_proto::Op;

/// True if board `name`'s clock runs in real time, so a scenario's board
/// time is wall time the timeout counts; the `sim` board's clock is
/// virtual (it runs a 10-minute recording in seconds) and is not limited.
pub fn real_time(name: &str) -> bool {
    name != crate::boards::sim::NAME
}

use super::ScenarioError;

/// Where a step's least board time ends, and where to point if that is
/// beyond the timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeMark {
    /// Least board time from the scenario's start to the end of the step (µs).
    pub end_us: u64,
    /// The step's counted field (`frames`, `seconds`, `ms`, or its `op`);
    /// the message is filled in when the mark is over the limit.
    pub at: ScenarioError,
}

/// Follows the sensor through the steps, adding up the least board time.
#[derive(Debug, Default)]
pub(super) struct BoardTime {
    period_us: u64,
    /// The sensor's start-up delay (µs), waited after each configuration.
    startup_cfg_us: u64,
    /// What the next snapshot still waits of it.
    startup_us: u64,
    /// The next snapshot may find a frame ready (after a `sleep`) or
    /// waits only the start-up delay (after a configuration).
    fresh: bool,
    /// Least board time so far (µs).
    pub(super) total_us: u64,
}

fn period(fps: u16) -> u64 {
    1_000_000u64.checked_div(u64::from(fps)).unwrap_or(0)
}

impl BoardTime {
    /// The sensor as the scenario's `[sensor]` table sets it up.
    pub(super) fn new(fps: u16, startup_us: u64) -> BoardTime {
        BoardTime {
            period_us: period(fps),
            startup_cfg_us: startup_us,
            startup_us,
            fresh: true,
            total_us: 0,
        }
    }

    /// Add `n` snapshots.
    fn snaps(&mut self, n: u64) {
        if n == 0 {
            return;
        }
        let mut n = n;
        if self.fresh {
            if self.period_us > 0 {
                self.total_us = self.total_us.saturating_add(self.startup_us);
            }
            self.fresh = false;
            n -= 1;
        }
        self.total_us = self
            .total_us
            .saturating_add(n.saturating_mul(self.period_us));
    }

    /// Account for one step (`for_us`: a `record` with `seconds`).
    pub(super) fn step(&mut self, op: &Op, for_us: Option<u64>) {
        match (op, for_us) {
            (Op::Record { .. }, Some(us)) => {
                self.total_us = self.total_us.saturating_add(us);
                self.fresh = false;
            }
            (Op::Record { frames }, None) => self.snaps(u64::from(*frames)),
            (Op::Write | Op::Snapshot | Op::Diff { .. }, _) => self.snaps(1),
            (Op::Sleep { us }, _) => {
                self.total_us = self.total_us.saturating_add(*us);
                self.fresh = true;
                self.startup_us = 0;
            }
            (Op::Sensor(s), _) => {
                if let Some(fps) = s.fps {
                    self.period_us = period(fps);
                }
                self.startup_us = self.startup_cfg_us;
                self.fresh = true;
            }
            _ => {}
        }
    }
}

/// `Err` naming the first step whose least board time ends after
/// `timeout_s` seconds; `source` says where the limit comes from.
pub(super) fn check(marks: &[TimeMark], timeout_s: u64, source: &str) -> Result<(), ScenarioError> {
    let limit_us = timeout_s.saturating_mul(1_000_000);
    let Some(m) = marks.iter().find(|m| m.end_us > limit_us) else {
        return Ok(());
    };
    let mut e = m.at.clone();
    e.message = format!(
        "the scenario needs at least {:.3} s of board time by the end of this step (frames x frame period, start-up delay and sleeps), beyond its {timeout_s} s timeout ({source}): lower the count or raise `timeout_s`",
        m.end_us as f64 / 1e6
    );
    Err(e)
}
