//! The agent's clock: CMSDK TIMER0 as a free-running 25 MHz down-counter
//! extended to 64 bits by counting its wraps (every 171.8 s), and TIMER1 as a
//! one-shot alarm so that waits sleep (WFI) instead of spinning.
//!
//! Time is read from the counter, never by counting tick interrupts, so a
//! busy firmware loses no time.

use crate::regs::{self, Irq, TIMER0, TIMER1};
use core::sync::atomic::{AtomicU32, Ordering};
use omv_imageio::{Cancelled, Clock, Wait};

const CTRL: usize = 0x00;
const VALUE: usize = 0x04;
const RELOAD: usize = 0x08;
const INTSTATUS: usize = 0x0C;
const CTRL_EN: u32 = 1 << 0;
const CTRL_IRQ: u32 = 1 << 3;

/// The timers' clock on mps2-an500 (QEMU's SYSCLK_FRQ).
pub const TIMER_HZ: u32 = 25_000_000;
const TICKS_PER_US: u64 = (TIMER_HZ / 1_000_000) as u64;

static WRAPS: AtomicU32 = AtomicU32::new(0);

/// Microseconds since [`TimerClock::start`], from TIMER0. Copies share the
/// one hardware timer, so they share one time.
#[derive(Debug, Clone, Copy)]
pub struct TimerClock {
    _private: (),
}

impl TimerClock {
    /// Starts TIMER0 from `u32::MAX` counting down, with its wrap interrupt.
    pub fn start() -> Self {
        regs::write(TIMER0, CTRL, 0);
        regs::write(TIMER0, RELOAD, u32::MAX);
        regs::write(TIMER0, VALUE, u32::MAX);
        regs::write(TIMER0, INTSTATUS, 1);
        regs::write(TIMER0, CTRL, CTRL_EN | CTRL_IRQ);
        regs::write(TIMER1, CTRL, 0);
        regs::write(TIMER1, INTSTATUS, 1);
        regs::unmask(Irq::Timer0);
        regs::unmask(Irq::Timer1);
        TimerClock { _private: () }
    }

    /// Timer ticks (25 MHz) since start.
    pub fn ticks(&self) -> u64 {
        critical_section::with(|_| {
            let mut wraps = WRAPS.load(Ordering::Relaxed);
            let mut value = regs::read(TIMER0, VALUE);
            if regs::read(TIMER0, INTSTATUS) & 1 != 0 {
                // Wrapped, handler not run yet: count it and re-read the
                // value, which is now surely after the wrap.
                wraps = wraps.wrapping_add(1);
                value = regs::read(TIMER0, VALUE);
            }
            (u64::from(wraps) << 32) | u64::from(u32::MAX - value)
        })
    }

    /// Arms TIMER1 to fire after `ticks` (at most `u32::MAX`).
    fn arm_alarm(ticks: u32) {
        regs::write(TIMER1, CTRL, 0);
        regs::write(TIMER1, INTSTATUS, 1);
        regs::write(TIMER1, RELOAD, ticks.max(1));
        regs::write(TIMER1, VALUE, ticks.max(1));
        regs::write(TIMER1, CTRL, CTRL_EN | CTRL_IRQ);
    }
}

impl Clock for TimerClock {
    fn now_us(&mut self) -> u64 {
        self.ticks() / TICKS_PER_US
    }
}

impl Wait for TimerClock {
    /// Sleeps until the deadline, or until the host sends something: the
    /// host only talks during a step to abort it (a request after its
    /// deadline passed), so waiting bytes cancel the wait and the step ends
    /// with `Cancelled`, as on the h7 agent.
    fn wait_until(&mut self, deadline_us: u64) -> Result<(), Cancelled> {
        loop {
            if crate::uart::host_bytes_waiting() {
                regs::write(TIMER1, CTRL, 0);
                return Err(Cancelled);
            }
            let now = self.ticks();
            let target = deadline_us.saturating_mul(TICKS_PER_US);
            if now >= target {
                regs::write(TIMER1, CTRL, 0);
                return Ok(());
            }
            let left = u32::try_from(target - now).unwrap_or(u32::MAX);
            Self::arm_alarm(left);
            // Any interrupt (alarm, UART, wrap) wakes us; the loop re-checks.
            regs::sleep_unless(|| {
                regs::read(TIMER1, INTSTATUS) & 1 != 0 || crate::uart::host_bytes_waiting()
            });
        }
    }
}

/// TIMER0 wraps (171.8 s each) since start.
pub fn wraps() -> u32 {
    WRAPS.load(Ordering::Relaxed)
}

/// TIMER0 interrupt: one more wrap; returns the new wrap count.
pub fn on_timer0_interrupt() -> u32 {
    critical_section::with(|_| {
        if regs::read(TIMER0, INTSTATUS) & 1 != 0 {
            regs::write(TIMER0, INTSTATUS, 1);
            WRAPS.fetch_add(1, Ordering::Relaxed);
        }
        WRAPS.load(Ordering::Relaxed)
    })
}

/// TIMER1 interrupt: the alarm fired; stop it (the waiter re-arms).
pub fn on_timer1_interrupt() {
    regs::write(TIMER1, CTRL, 0);
    regs::write(TIMER1, INTSTATUS, 1);
}
