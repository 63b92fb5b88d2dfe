//! Injected time: a monotonic clock, and the wait hook used by `read(pause=true)`.
//!
//! Nothing in this crate reads a wall clock. The firmware implements these
//! traits over a hardware timer, the simulator over its virtual clock, and
//! tests over a counter they move by hand.

/// A monotonic clock counting microseconds from an arbitrary origin.
pub trait Clock {
    /// Microseconds since the clock's origin. Never decreases.
    fn now_us(&mut self) -> u64;
}

/// The wait was cancelled before its deadline (for example by the user, a
/// watchdog or the harness).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

/// How a stream waits when replay is paced (`pause = true`).
pub trait Wait: Clock {
    /// Block until [`now_us`](Clock::now_us) `>= deadline_us`, or return
    /// `Err(Cancelled)` early. Streams never ask for a deadline further than
    /// their `max_wait_us` beyond the current time (Q19).
    fn wait_until(&mut self, deadline_us: u64) -> Result<(), Cancelled>;

    /// `Err(Cancelled)` if a wait started now would be cancelled at once
    /// (the board's cancel source, e.g. host bytes waiting). Loops that may
    /// never wait (unpaced replay, a sensor without a frame rate) call this
    /// between frames so they can still be aborted. Default: never.
    fn check_cancelled(&mut self) -> Result<(), Cancelled> {
        Ok(())
    }
}

impl<T: Clock + ?Sized> Clock for &mut T {
    fn now_us(&mut self) -> u64 {
        (**self).now_us()
    }
}

impl<T: Wait + ?Sized> Wait for &mut T {
    fn wait_until(&mut self, deadline_us: u64) -> Result<(), Cancelled> {
        (**self).wait_until(deadline_us)
    }

    fn check_cancelled(&mut self) -> Result<(), Cancelled> {
        (**self).check_cancelled()
    }
}

/// A clock that only moves when told to, and whose waits jump straight to
/// the deadline. For tests and deterministic host tools.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    now_us: u64,
    /// Total time spent in `wait_until` (µs), to check pacing in tests.
    pub waited_us: u64,
}

impl ManualClock {
    /// A clock at `now_us`.
    pub const fn new(now_us: u64) -> Self {
        ManualClock {
            now_us,
            waited_us: 0,
        }
    }

    /// Move time forward by `us`.
    pub fn advance_us(&mut self, us: u64) {
        self.now_us = self.now_us.saturating_add(us);
    }

    /// Move time forward by `ms`.
    pub fn advance_ms(&mut self, ms: u64) {
        self.advance_us(ms.saturating_mul(1000));
    }
}

impl Clock for ManualClock {
    fn now_us(&mut self) -> u64 {
        self.now_us
    }
}

impl Wait for ManualClock {
    fn wait_until(&mut self, deadline_us: u64) -> Result<(), Cancelled> {
        if deadline_us > self.now_us {
            self.waited_us += deadline_us - self.now_us;
            self.now_us = deadline_us;
        }
        Ok(())
    }
}

/// A wall clock for std hosts: `Instant`-based, waits with `thread::sleep`
/// in slices so that a cancel flag is honoured within 10 ms.
#[cfg(feature = "std")]
#[derive(Debug, Clone)]
pub struct StdClock {
    origin: std::time::Instant,
    cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

#[cfg(feature = "std")]
impl StdClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        StdClock {
            origin: std::time::Instant::now(),
            cancel: Default::default(),
        }
    }

    /// A flag that, once set, cancels every current and later wait.
    pub fn cancel_flag(&self) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
        self.cancel.clone()
    }
}

#[cfg(feature = "std")]
impl Default for StdClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "std")]
impl Clock for StdClock {
    fn now_us(&mut self) -> u64 {
        u64::try_from(self.origin.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

#[cfg(feature = "std")]
impl Wait for StdClock {
    fn wait_until(&mut self, deadline_us: u64) -> Result<(), Cancelled> {
        use std::sync::atomic::Ordering;
        loop {
            if self.cancel.load(Ordering::Relaxed) {
                return Err(Cancelled);
            }
            let now = self.now_us();
            if now >= deadline_us {
                return Ok(());
            }
            let slice = (deadline_us - now).min(10_000);
            std::thread::sleep(std::time::Duration::from_micros(slice));
        }
    }
}
