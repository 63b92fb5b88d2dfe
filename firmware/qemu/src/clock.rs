//! The agent's clock: CMSDK TIMER0 as a free-running 25 MHz down-counter
//! extended to 64 bits by counting its wraps (every 171.8 s), and TIMER1 as a
//! one-shot alarm so that waits sleep (WFI) instead of spinning.
//!
//! Time is read from the counter, never by counting tick interrupts, so a
//! busy firmware loses no time.
//!
//! The agent's time is the timer's, plus the card's modelled time, minus
//! the host's: repeatable run after run, as on the simulator.
//!
//! * The card's modelled time ([`charge_ns`], from the RAM disk's
//!   `omv-sdtiming` model) moves the clock forward at once, as the
//!   simulator's card moves its virtual clock. A busy wait would cost a host
//!   instruction per guest ns under `-icount shift=0` (30 s of card time ≈
//!   3·10¹⁰ instructions); a WFI wait would carry host lateness (below).
//! * Under `-icount shift=0,sleep=on` guest time runs with the host's real
//!   time while the CPU sleeps, and a WFI wait ends when QEMU's host timer
//!   fires — late by the host's scheduling. So a wait's overshoot past its
//!   deadline is taken out of the clock (the wait ends exactly at its
//!   deadline), and so is all the time between steps ([`freeze`] when the
//!   link starts reading a request, thawed at the next clock reading, i.e.
//!   the next step's start): request bytes trickle in with the host's
//!   timing and their interrupts would add instructions at random points.
//!   Between steps the agent's clock stands still, as the simulator's does. The firmware's own instructions still take guest
//!   time (1 ns each), so the agent is never faster than its code.

use crate::regs::{self, Irq, TIMER0, TIMER1};
use core::cell::Cell;
use core::sync::atomic::{AtomicU32, Ordering};
use critical_section::Mutex;
use omv_imageio::{Cancelled, Clock, Wait};

/// Card time charged so far (ns), added to the timer's time.
static CHARGED_NS: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));
/// Host time taken out so far (ns): wait overshoots and request waits.
static REMOVED_NS: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));

const NS_PER_TICK: u64 = 1_000_000_000 / TIMER_HZ as u64;

fn add(counter: &'static Mutex<Cell<u64>>, ns: u64) {
    critical_section::with(|cs| {
        let c = counter.borrow(cs);
        c.set(c.get().saturating_add(ns));
    });
}

/// Move the clock forward by `ns` of card time (see the module docs).
pub fn charge_ns(ns: u64) {
    add(&CHARGED_NS, ns);
}

/// Timer tick at which the clock was frozen, while it is.
static FROZEN_AT: Mutex<Cell<Option<u64>>> = Mutex::new(Cell::new(None));

/// Stop the agent's clock until it is next read (between steps: the link
/// calls this whenever it reads from the host). Charged card time still
/// counts; only the timer's time is taken out.
pub fn freeze() {
    let ticks = TimerClock { _private: () }.ticks();
    critical_section::with(|cs| {
        let f = FROZEN_AT.borrow(cs);
        if f.get().is_none() {
            f.set(Some(ticks));
        }
    });
}

/// Take the frozen stretch out of the clock, if any.
fn thaw() {
    let ticks = TimerClock { _private: () }.ticks();
    let frozen = critical_section::with(|cs| FROZEN_AT.borrow(cs).take());
    if let Some(t0) = frozen {
        add(&REMOVED_NS, ticks.saturating_sub(t0) * NS_PER_TICK);
    }
}

/// (charged, removed) in ns.
fn adjustments() -> (u64, u64) {
    critical_section::with(|cs| (CHARGED_NS.borrow(cs).get(), REMOVED_NS.borrow(cs).get()))
}

const CTRL: usize = 0x00;
const VALUE: usize = 0x04;
const RELOAD: usize = 0x08;
const INTSTATUS: usize = 0x0C;
const CTRL_EN: u32 = 1 << 0;
const CTRL_IRQ: u32 = 1 << 3;

/// The timers' clock on mps2-an500 (QEMU's SYSCLK_FRQ).
pub const TIMER_HZ: u32 = 25_000_000;

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

    /// The agent's time (ns): timer + charged card time − removed host time.
    fn now_ns(&self) -> u64 {
        thaw();
        let (charged, removed) = adjustments();
        (self.ticks() * NS_PER_TICK + charged).saturating_sub(removed)
    }

    /// The timer tick at which the agent's clock reads `ns`.
    fn ticks_at(ns: u64) -> u64 {
        thaw();
        let (charged, removed) = adjustments();
        (ns + removed).saturating_sub(charged) / NS_PER_TICK
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
        // The agent reads its clock at every step and frame: proof of life.
        crate::watchdog::feed();
        self.now_ns() / 1000
    }
}

impl Wait for TimerClock {
    /// Sleeps until the deadline, or until the host sends something: the
    /// host only talks during a step to abort it (a request after its
    /// deadline passed), so waiting bytes cancel the wait and the step ends
    /// with `Cancelled`, as on the h7 agent.
    fn wait_until(&mut self, deadline_us: u64) -> Result<(), Cancelled> {
        let mut slept = false;
        loop {
            if crate::uart::host_bytes_waiting() {
                regs::write(TIMER1, CTRL, 0);
                return Err(Cancelled);
            }
            let now = self.ticks();
            let deadline_ns = deadline_us.saturating_mul(1000);
            let target = Self::ticks_at(deadline_ns);
            if now >= target {
                regs::write(TIMER1, CTRL, 0);
                if slept {
                    // End exactly at the deadline: the overshoot is the
                    // host's (a wait entered late keeps its lateness).
                    add(&REMOVED_NS, self.now_ns().saturating_sub(deadline_ns));
                }
                return Ok(());
            }
            let left = u32::try_from(target - now).unwrap_or(u32::MAX);
            Self::arm_alarm(left);
            // Any interrupt (alarm, UART, wrap) wakes us; the loop re-checks.
            regs::sleep_unless(|| {
                regs::read(TIMER1, INTSTATUS) & 1 != 0 || crate::uart::host_bytes_waiting()
            });
            slept = true;
        }
    }

    /// Host bytes waiting cancel a step between frames too (unpaced
    /// replay and 0 fps records never wait).
    fn check_cancelled(&mut self) -> Result<(), Cancelled> {
        if crate::uart::host_bytes_waiting() {
            return Err(Cancelled);
        }
        Ok(())
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
