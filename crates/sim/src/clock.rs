//! [`SimClock`]: virtual time that moves only when something consumes it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use omv_imageio::{Cancelled, Clock, Wait};

/// The simulator's clock, in microseconds from 0. Cloning gives another
/// handle on the *same* clock: the sensor, the card and the streams share
/// one. Time moves only when a part consumes it — a card operation, a
/// sensor waiting for a frame, a paced replay's [`Wait::wait_until`], or an
/// explicit [`advance_us`](Self::advance_us) — so runs are deterministic and
/// faster than real time.
///
/// ```
/// use imageio_sim::SimClock;
/// use omv_imageio::{Clock, Wait};
/// let clock = SimClock::new();
/// let mut c = clock.clone();
/// clock.advance_us(1_500);
/// assert_eq!(c.now_us(), 1_500);
/// c.wait_until(10_000).unwrap();
/// assert_eq!((clock.now_ms(), clock.waited_us()), (10, 8_500));
/// ```
#[derive(Debug, Clone, Default)]
pub struct SimClock {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    now_us: AtomicU64,
    waited_us: AtomicU64,
    cancelled: AtomicBool,
}

impl SimClock {
    /// A clock at 0.
    pub fn new() -> Self {
        SimClock::default()
    }

    /// Microseconds since the start.
    pub fn now(&self) -> u64 {
        self.inner.now_us.load(Ordering::Relaxed)
    }

    /// Whole milliseconds since the start.
    pub fn now_ms(&self) -> u64 {
        self.now() / 1000
    }

    /// Let `us` microseconds pass (saturating).
    pub fn advance_us(&self, us: u64) {
        let now = self.now();
        self.inner
            .now_us
            .store(now.saturating_add(us), Ordering::Relaxed);
    }

    /// Move to `t_us` if it is later than now; never goes back.
    pub fn advance_to(&self, t_us: u64) {
        self.inner.now_us.fetch_max(t_us, Ordering::Relaxed);
    }

    /// Total time spent in [`Wait::wait_until`] (paced replay, sensor waits).
    pub fn waited_us(&self) -> u64 {
        self.inner.waited_us.load(Ordering::Relaxed)
    }

    /// While `on`, every [`Wait::wait_until`] and [`Wait::check_cancelled`]
    /// on this clock (any handle, any thread) returns `Cancelled`: how a
    /// host stops a program waiting on the simulated board, as host bytes
    /// on the serial line do on a firmware board. The card's timing is not
    /// a wait and goes on.
    ///
    /// ```
    /// use imageio_sim::SimClock;
    /// use omv_imageio::Wait;
    /// let clock = SimClock::new();
    /// let mut program = clock.clone();
    /// clock.set_cancelled(true);
    /// assert!(program.wait_until(1_000).is_err());
    /// clock.set_cancelled(false);
    /// assert!(program.wait_until(1_000).is_ok());
    /// assert_eq!(clock.now(), 1_000);
    /// ```
    pub fn set_cancelled(&self, on: bool) {
        self.inner.cancelled.store(on, Ordering::SeqCst);
    }
}

impl Clock for SimClock {
    fn now_us(&mut self) -> u64 {
        self.now()
    }
}

impl Wait for SimClock {
    /// Jump to the deadline (nothing else can happen while the simulated
    /// program waits), unless [cancelled](SimClock::set_cancelled).
    fn wait_until(&mut self, deadline_us: u64) -> Result<(), Cancelled> {
        self.check_cancelled()?;
        let now = self.now();
        if deadline_us > now {
            self.inner
                .waited_us
                .fetch_add(deadline_us - now, Ordering::Relaxed);
            self.advance_to(deadline_us);
        }
        Ok(())
    }

    fn check_cancelled(&mut self) -> Result<(), Cancelled> {
        if self.inner.cancelled.load(Ordering::SeqCst) {
            return Err(Cancelled);
        }
        Ok(())
    }
}
