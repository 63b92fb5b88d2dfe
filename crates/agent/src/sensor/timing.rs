//! [`FrameTimer`]: the sensor's timing and frame-buffer model, the one
//! every board runs (the firmware with the defaults, the `sim` board with
//! the scenario's `[sensor]` knobs, `imageio-sim`'s `SimSensor`).
//!
//! # Timing
//!
//! Streaming starts when the sensor is configured, at `t0`. With a frame
//! period `P = ⌊1 000 000 / fps⌋` µs, frame `k` is complete (captured) at
//!
//! `done(k) = t0 + startup_us + k·P + jitter(k)`
//!
//! where `jitter(k)` is uniform in `0 ..= jitter_us`, drawn from SplitMix64
//! seeded by (seed, k). Its read-out takes the `R = P − jitter_us` µs
//! before that, from `start(k) = done(k) − R`, so frames never overlap.
//! With the defaults (no start-up delay, no jitter) frame `k` is complete
//! at `t0 + k·P`: frame 0 at once.
//!
//! # Frame buffers (OpenMV's `sensor.set_framebuffers(n)`)
//!
//! The user's program holds one buffer from one `snapshot()` to the next.
//! When a frame starts, the driver needs a free buffer:
//!
//! * with a free one it captures the frame into it;
//! * with none, `n = 1` or `2` drop the new frame; `n = 3` (triple
//!   buffering, the default) overwrites the oldest complete frame instead,
//!   so the newest is always available.
//!
//! `snapshot()` releases the held buffer and returns the newest complete
//! frame at once (older complete frames are dropped); if there is none it
//! waits until the next frame completes. With one buffer the sensor
//! therefore waits for the next frame to *start* after the call, as
//! OpenMV's single-buffer mode does. With `fps = 0` the sensor is unpaced:
//! each snapshot is a new frame at once.

use heapless::Deque;
use omv_pattern::SplitMix64;

/// The last frame number the sensor produces (then it must be configured
/// again): about 4.5 years at 30 fps.
const LAST_FRAME: u32 = u32::MAX - 8;

/// Most frame buffers (OpenMV's triple buffering).
pub const MAX_BUFFERS: u8 = 3;

/// Longest start-up delay a model may ask for (µs): 10 s.
pub const MAX_STARTUP_US: u64 = 10_000_000;

/// The sensor's behaviour besides its picture: start-up delay, read-out
/// jitter and frame buffers. The defaults are what every board's agent
/// runs; the `sim` board takes the scenario's `[sensor]` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SensorModel {
    /// From configuration to the first frame's completion (µs).
    pub startup_us: u64,
    /// Largest extra delay of a frame's completion (µs); under a quarter
    /// of the frame period.
    pub jitter_us: u64,
    /// Frame buffers, 1 to 3.
    pub buffers: u8,
}

impl Default for SensorModel {
    /// No start-up delay, no jitter, three buffers.
    fn default() -> Self {
        SensorModel {
            startup_us: 0,
            jitter_us: 0,
            buffers: MAX_BUFFERS,
        }
    }
}

impl SensorModel {
    /// Why the model cannot run at `fps`, if it cannot.
    pub fn check(&self, fps: u16) -> Result<(), &'static str> {
        if !(1..=MAX_BUFFERS).contains(&self.buffers) {
            return Err("buffers must be 1, 2 or 3");
        }
        if self.startup_us > MAX_STARTUP_US {
            return Err("startup_us must be at most 10 000 000 (10 s)");
        }
        if fps > 0 && self.jitter_us.saturating_mul(4) >= 1_000_000 / u64::from(fps) {
            return Err("jitter_us must be under a quarter of the frame period");
        }
        Ok(())
    }
}

/// A frame [`FrameTimer::poll`] hands out: its number and timing, no pixels
/// (not `omv_imageio::Frame`, a stream's frame with its payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameTick {
    /// Frame number since configuration.
    pub seq: u32,
    /// When it was complete (µs).
    pub capture_us: u64,
    /// Frames dropped between the previous frame handed out and this one.
    pub skipped: u32,
}

/// What a snapshot gets now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Poll {
    /// This frame.
    Ready(FrameTick),
    /// Nothing complete yet: wait until this time (µs) and poll again.
    WaitUntil(u64),
    /// The frame counter is exhausted: configure again.
    Exhausted,
}

/// The timing and buffer state of one sensor configuration.
#[derive(Debug, Clone, Default)]
pub struct FrameTimer {
    model: SensorModel,
    fps: u16,
    seed: u64,
    t0: u64,
    next: u32,
    writing: Option<u32>,
    ready: Deque<u32, 4>,
    held: bool,
    last_seq: Option<u32>,
    dropped: u64,
}

impl FrameTimer {
    /// Start streaming at `now` with `model` at `fps` (0 = unpaced); the
    /// jitter is drawn from `seed`.
    pub fn start(model: SensorModel, fps: u16, seed: u64, now: u64) -> Self {
        FrameTimer {
            model,
            fps,
            seed,
            t0: now,
            ..FrameTimer::default()
        }
    }

    /// Frames started or captured but never handed out, since the start.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The frame period (µs), 0 when unpaced.
    pub fn period_us(&self) -> u64 {
        1_000_000u64.checked_div(u64::from(self.fps)).unwrap_or(0)
    }

    /// When frame `k` is complete.
    pub fn done(&self, k: u32) -> u64 {
        let jitter = match self.model.jitter_us {
            0 => 0,
            j => SplitMix64::for_frame(self.seed ^ 0x6A17_7E55, k).below(j + 1),
        };
        self.t0
            .saturating_add(self.model.startup_us)
            .saturating_add(u64::from(k).saturating_mul(self.period_us()))
            .saturating_add(jitter)
    }

    fn begin(&self, k: u32) -> u64 {
        let readout = self.period_us().saturating_sub(self.model.jitter_us);
        self.done(k).saturating_sub(readout)
    }

    /// Run the capture driver up to time `t`.
    fn advance(&mut self, t: u64) {
        let n = usize::from(self.model.buffers);
        loop {
            let more = self.next < LAST_FRAME;
            if let Some(w) = self.writing {
                let d = self.done(w);
                if d <= t && (!more || d <= self.begin(self.next)) {
                    // At most `n` ≤ 3 frames are waiting: the queue has room.
                    let _ = self.ready.push_back(w);
                    self.writing = None;
                    continue;
                }
            }
            if !more {
                break;
            }
            if self.skip_ahead(t) {
                continue;
            }
            if self.begin(self.next) > t {
                break;
            }
            let used =
                usize::from(self.held) + self.ready.len() + usize::from(self.writing.is_some());
            if used < n {
                self.writing = Some(self.next);
            } else if n >= 3 && !self.ready.is_empty() {
                self.ready.pop_front();
                self.dropped += 1;
                self.writing = Some(self.next);
            } else {
                self.dropped += 1;
            }
            self.next += 1;
        }
    }

    /// With every buffer in use and none being written, frames starting
    /// long before `t` can only be dropped (1–2 buffers) or captured and
    /// overwritten before `t` (3 buffers): count them in bulk, keeping the
    /// last few frame starts before `t` for the loop (a program busy for
    /// hours then costs no more than for a second).
    fn skip_ahead(&mut self, t: u64) -> bool {
        let n = usize::from(self.model.buffers);
        let used = usize::from(self.held) + self.ready.len();
        let period = self.period_us();
        if self.writing.is_some() || used < n || period == 0 {
            return false;
        }
        let base = self.t0.saturating_add(self.model.startup_us);
        let Some(since) = t.checked_sub(base) else {
            return false;
        };
        // Frame k begins at or after base + k·P − P, so every frame below
        // since/P − 3 has begun at least two periods before t.
        let k = (since / period)
            .saturating_sub(3)
            .min(u64::from(LAST_FRAME - 1));
        let k = u32::try_from(k).unwrap_or(LAST_FRAME - 1);
        if k <= self.next {
            return false;
        }
        let mut dropped = u64::from(k - self.next);
        if n >= 3 {
            // The frames waiting now are older still: overwritten too.
            dropped += self.ready.len() as u64;
            self.ready.clear();
        }
        self.dropped += dropped;
        self.next = k;
        true
    }

    /// A snapshot begins at `now`: the buffer the program held since the
    /// last one is free again. Then [`poll`](Self::poll) until `Ready`.
    pub fn release(&mut self, now: u64) {
        if self.fps > 0 {
            self.advance(now);
        }
        self.held = false;
    }

    /// The newest complete frame at `now`, or when to look again.
    pub fn poll(&mut self, now: u64) -> Poll {
        if self.fps == 0 {
            if self.next >= LAST_FRAME {
                return Poll::Exhausted;
            }
            let seq = self.next;
            self.next += 1;
            return Poll::Ready(self.hand_out(seq, now));
        }
        self.advance(now);
        if let Some(k) = self.ready.pop_back() {
            self.dropped += self.ready.len() as u64;
            self.ready.clear();
            self.held = true;
            let at = self.done(k);
            return Poll::Ready(self.hand_out(k, at));
        }
        if self.writing.is_none() && self.next >= LAST_FRAME {
            return Poll::Exhausted;
        }
        // A buffer is free now, so the frame being written, or else the
        // next one to start, will be captured.
        Poll::WaitUntil(self.done(self.writing.unwrap_or(self.next)))
    }

    fn hand_out(&mut self, seq: u32, capture_us: u64) -> FrameTick {
        let skipped = match self.last_seq {
            Some(p) => seq.saturating_sub(p).saturating_sub(1),
            None => seq,
        };
        self.last_seq = Some(seq);
        FrameTick {
            seq,
            capture_us,
            skipped,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A snapshot at `now`: the frame and the time it was handed out.
    fn snap(t: &mut FrameTimer, now: u64) -> (FrameTick, u64) {
        t.release(now);
        let mut now = now;
        loop {
            match t.poll(now) {
                Poll::Ready(f) => return (f, now),
                Poll::WaitUntil(at) => {
                    assert!(at > now, "waits move forward");
                    now = at;
                }
                Poll::Exhausted => panic!("exhausted"),
            }
        }
    }

    #[test]
    fn the_default_model_is_frame_k_at_t0_plus_k_periods_newest_first() {
        // The closed form the firmware's sensor had before this model: a
        // caller early for the next frame waits for it; a late one gets
        // floor((now - t0) / P) and the frames in between are dropped.
        let (t0, p) = (1_234u64, 33_333u64);
        let mut t = FrameTimer::start(SensorModel::default(), 30, 7, t0);
        let mut next = 0u64;
        let mut now = t0;
        let mut rng = SplitMix64::for_frame(1, 0);
        for _ in 0..500 {
            let (f, at) = snap(&mut t, now);
            let due = t0 + next * p;
            let (want_seq, want_at) = if now < due {
                (next, due)
            } else {
                ((now - t0) / p, now)
            };
            assert_eq!((u64::from(f.seq), at), (want_seq, want_at), "at {now}");
            assert_eq!(f.capture_us, t0 + want_seq * p);
            assert_eq!(u64::from(f.skipped), want_seq - next);
            next = want_seq + 1;
            // The program's work before the next snapshot: 0 to 4 periods.
            now = at + rng.below(4 * p);
        }
    }

    #[test]
    fn the_first_frame_waits_the_startup_delay() {
        let model = SensorModel {
            startup_us: 500_000,
            ..SensorModel::default()
        };
        let mut t = FrameTimer::start(model, 30, 0, 1_000);
        let (f, at) = snap(&mut t, 1_000);
        assert_eq!((f.seq, at, f.skipped), (0, 501_000, 0));
        let (f, at) = snap(&mut t, at);
        assert_eq!((f.seq, at), (1, 534_333));
    }

    #[test]
    fn jitter_delays_each_frame_by_a_seeded_amount_within_its_bound() {
        let model = SensorModel {
            jitter_us: 5_000,
            ..SensorModel::default()
        };
        let times = |seed| {
            let mut t = FrameTimer::start(model, 30, seed, 0);
            let mut now = 0;
            (0..60)
                .map(|_| {
                    let (f, at) = snap(&mut t, now);
                    now = at;
                    (f.seq, f.capture_us)
                })
                .collect::<heapless::Vec<_, 60>>()
        };
        let a = times(3);
        assert_eq!(a, times(3), "the same seed gives the same times");
        assert_ne!(a, times(4), "another seed other times");
        let mut spread = 0;
        for (k, (seq, at)) in a.iter().enumerate() {
            let nominal = k as u64 * 33_333;
            assert_eq!(*seq as usize, k, "an on-time caller drops nothing");
            assert!(
                (nominal..=nominal + 5_000).contains(at),
                "frame {k} at {at}"
            );
            spread = spread.max(at - nominal);
        }
        assert!(spread > 2_500, "the jitter is used: {spread}");
    }

    /// Snapshots of a writer that takes `work` µs per frame, for `n` frames:
    /// (frames handed out, frames dropped).
    fn slow_writer(buffers: u8, work: u64, n: usize) -> (u32, u64) {
        let model = SensorModel {
            buffers,
            ..SensorModel::default()
        };
        let mut t = FrameTimer::start(model, 30, 0, 0);
        let mut now = 0;
        let mut last = 0;
        for _ in 0..n {
            let (f, at) = snap(&mut t, now);
            last = f.seq;
            now = at + work;
        }
        (last, t.dropped())
    }

    #[test]
    fn a_slow_writer_loses_frames_by_openmvs_buffer_policy() {
        // 30 fps (33 333 us), 40 ms of work per frame, 30 snapshots.
        // Three buffers: the newest complete frame is there when the
        // writer comes back: about every 6th frame is lost (40/33.3 =
        // 1.2): 30 snapshots reach frame 34, 5 dropped.
        let (last3, dropped3) = slow_writer(3, 40_000, 30);
        // One buffer: the frame that starts while the writer holds the
        // buffer is dropped, the next one starts after the release and is
        // waited for: 3 periods a frame, 2 of 3 frames dropped.
        // (The count includes frame 88, which begins as frame 87 is
        // handed out, into a buffer frame 87 still fills.)
        let (last1, dropped1) = slow_writer(1, 40_000, 30);
        assert_eq!((last1, dropped1), (87, 59));
        // Two buffers: a frame is captured while the writer works and is
        // there when it comes back; the one after it found no free buffer,
        // so the snapshot after that waits for the next: 15 dropped.
        let (last2, dropped2) = slow_writer(2, 40_000, 30);
        assert_eq!((last2, dropped2), (43, 15), "two buffers");
        assert_eq!((last3, dropped3), (34, 5), "three buffers");
    }

    #[test]
    fn an_unpaced_sensor_hands_out_a_new_frame_at_once() {
        let mut t = FrameTimer::start(SensorModel::default(), 0, 0, 50);
        for k in 0..5 {
            let (f, at) = snap(&mut t, 50 + k);
            assert_eq!((f.seq, at, f.skipped), (k as u32, 50 + k, 0));
        }
    }

    #[test]
    fn models_that_cannot_run_are_refused() {
        let m = |startup_us, jitter_us, buffers| SensorModel {
            startup_us,
            jitter_us,
            buffers,
        };
        assert!(m(0, 0, 3).check(30).is_ok());
        assert!(m(0, 0, 0).check(30).is_err());
        assert!(m(0, 0, 4).check(30).is_err());
        assert!(m(0, 8_333, 3).check(30).is_ok());
        assert!(m(0, 8_334, 3).check(30).is_err());
        assert!(
            m(0, 8_334, 3).check(0).is_ok(),
            "unpaced: no period to jitter"
        );
        assert!(m(MAX_STARTUP_US + 1, 0, 1).check(30).is_err());
    }

    #[test]
    fn a_program_busy_for_hours_costs_one_bulk_step() {
        for buffers in 1..=3 {
            let model = SensorModel {
                buffers,
                ..SensorModel::default()
            };
            let mut t = FrameTimer::start(model, 30, 0, 0);
            snap(&mut t, 0);
            let hours = 3 * 3_600_000_000u64;
            let (f, _) = snap(&mut t, hours);
            // 3 buffers: the newest frame complete by then. 2 buffers:
            // frame 1, captured into the free buffer while the program
            // held frame 0, waited there; every later frame found no free
            // buffer. 1 buffer: the first to begin after the release
            // (frame k begins one period before it completes).
            let newest = (hours / 33_333) as u32;
            let want = match buffers {
                1 => newest + 2,
                2 => 1,
                _ => newest,
            };
            assert_eq!(f.seq, want, "{buffers}: {f:?}");
            // Every frame lost is counted: those between the two frames
            // handed out, at most the one beginning as the second is, and
            // with 2 buffers every frame after frame 1.
            let lost = if buffers == 2 {
                u64::from(newest) - 1
            } else {
                u64::from(f.skipped)
            };
            let extra = t.dropped() - lost;
            assert!(extra <= 2, "{buffers}: {extra}");
        }
    }
}
