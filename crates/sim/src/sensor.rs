//! [`Sensor`]: an OpenMV camera sensor on the virtual clock.
//!
//! # Timing model
//!
//! Streaming starts at the first [`Sensor::snapshot`] after
//! (re)configuration, at time `origin`. Frame `k` starts (its first line
//! arrives) at
//!
//! `start(k) = origin + startup_us + ⌊k · 1 000 000 / fps⌋ + jitter(k)`
//!
//! where `jitter(k)` is uniform in `0..=jitter_us`, drawn from SplitMix64
//! seeded by (seed, k), and is complete `readout = ⌊1 000 000 / fps⌋ −
//! jitter_us` µs later, at `done(k)` — its capture time. So a frame never
//! overlaps the next, and with no jitter frame `k` completes exactly when
//! frame `k + 1` starts. Rendering and JPEG compression take no virtual
//! time.
//!
//! # Frame buffers (OpenMV's `sensor.set_framebuffers(n)`)
//!
//! The user's program holds one buffer from one `snapshot()` to the next.
//! When a frame starts, the driver needs a free buffer:
//!
//! * with a free one it captures the frame into it;
//! * with none, `n = 1` or `2` drop the new frame; `n = 3` (triple
//!   buffering) overwrites the oldest complete frame instead, so the newest
//!   is always available.
//!
//! `snapshot()` releases the held buffer and returns the newest complete
//! frame at once (older complete frames are dropped); if there is none it
//! waits (moves the clock) until the next frame completes. With one buffer
//! the sensor therefore waits for the next frame to *start* after the call,
//! as OpenMV's single-buffer mode does. Every frame that is never returned
//! is counted in [`SensorStats::dropped`].
//!
//! With `fps = 0` the sensor is unpaced: each snapshot is a new frame at
//! once, stamped with the current time.
//!
//! ```
//! use imageio_sim::{Sensor, SensorConfig, SimClock};
//! let clock = SimClock::new();
//! let mut s = Sensor::new(clock.clone(), SensorConfig::default()).unwrap();
//! let mut fb = vec![0u8; s.max_frame_len()];
//! let a = s.snapshot(&mut fb).unwrap();
//! let b = s.snapshot(&mut fb).unwrap();
//! assert_eq!((a.seq, b.seq), (0, 1));
//! // QVGA RGB565 at 30 fps, no start-up delay: frame 1 is complete at 2/30 s.
//! assert_eq!(b.capture_us, 66_666);
//! assert_eq!(clock.now(), 66_666);
//! ```

use std::collections::VecDeque;

use omv_imageio::PixFormat;
use omv_pattern::{Content, SplitMix64};

use crate::clock::SimClock;
use crate::error::SimError;
use crate::source::Source;

/// The last frame number the sensor produces (then it must be configured
/// again): about 4.5 years at 30 fps.
const LAST_FRAME: u32 = u32::MAX - 8;

/// The sensor's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SensorConfig {
    /// Frame width in pixels.
    pub width: u16,
    /// Frame height in pixels.
    pub height: u16,
    /// GRAYSCALE, RGB565, BAYER_*, YUV422/YVU422, BINARY or JPEG.
    pub pixformat: PixFormat,
    /// Frames per second (1 to 1000), or 0 for unpaced.
    pub fps: u32,
    /// Time from the first snapshot to the first frame's start (µs).
    pub startup_us: u64,
    /// Largest start-time jitter (µs); under a quarter of the frame period.
    pub jitter_us: u64,
    /// Frame buffers, 1 to 3.
    pub buffers: u8,
    /// What the frames show.
    pub source: Source,
    /// Seed of the content and the jitter.
    pub seed: u64,
    /// JPEG quality (1 to 100; OpenMV's default is 90).
    pub jpeg_quality: u8,
}

impl Default for SensorConfig {
    /// QVGA RGB565 colour bars at 30 fps, no start-up delay or jitter, 3
    /// buffers, seed 0, JPEG quality 90.
    fn default() -> Self {
        SensorConfig {
            width: 320,
            height: 240,
            pixformat: PixFormat::Rgb565,
            fps: 30,
            startup_us: 0,
            jitter_us: 0,
            buffers: 3,
            source: Source::Pattern(Content::ColorBars),
            seed: 0,
            jpeg_quality: 90,
        }
    }
}

/// A frame returned by [`Sensor::snapshot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// The sensor's frame number (0 = the first frame after configuration).
    pub seq: u32,
    /// When the frame was complete (µs on the clock).
    pub capture_us: u64,
    /// Payload bytes written to the caller's buffer.
    pub len: usize,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Pixel format.
    pub pixformat: PixFormat,
    /// Frames dropped between the previous snapshot's frame and this one.
    pub skipped: u32,
}

/// Counters since the last configuration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SensorStats {
    /// Frames returned by `snapshot`.
    pub delivered: u64,
    /// Frames captured or started but never returned.
    pub dropped: u64,
}

/// The simulated sensor. See the [module docs](self) for the model.
#[derive(Debug)]
pub struct Sensor {
    clock: SimClock,
    cfg: SensorConfig,
    origin: Option<u64>,
    next: u32,
    writing: Option<u32>,
    ready: VecDeque<u32>,
    held: bool,
    last_seq: Option<u32>,
    stats: SensorStats,
}

impl Sensor {
    /// A sensor on `clock` with `cfg` (checked).
    pub fn new(clock: SimClock, cfg: SensorConfig) -> Result<Self, SimError> {
        check(&cfg)?;
        Ok(Sensor {
            clock,
            cfg,
            origin: None,
            next: 0,
            writing: None,
            ready: VecDeque::new(),
            held: false,
            last_seq: None,
            stats: SensorStats::default(),
        })
    }

    /// Apply new settings: the frame counter, buffers and statistics
    /// restart, and streaming restarts at the next snapshot.
    pub fn configure(&mut self, cfg: SensorConfig) -> Result<(), SimError> {
        let clock = self.clock.clone();
        *self = Sensor::new(clock, cfg)?;
        Ok(())
    }

    /// The settings.
    pub fn config(&self) -> &SensorConfig {
        &self.cfg
    }

    /// Counters since the last configuration.
    pub fn stats(&self) -> SensorStats {
        self.stats
    }

    /// The clock the sensor runs on.
    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    /// Payload bytes of a raw frame, or `None` for JPEG (size varies).
    pub fn frame_len(&self) -> Option<usize> {
        omv_pattern::payload_len(self.cfg.width, self.cfg.height, self.cfg.pixformat).ok()
    }

    /// A buffer size that holds any frame: the raw size, or for JPEG
    /// `3·w·h + 4096` (above what a baseline JPEG of `w·h` pixels takes
    /// at any quality).
    pub fn max_frame_len(&self) -> usize {
        self.frame_len().unwrap_or_else(|| {
            3 * usize::from(self.cfg.width) * usize::from(self.cfg.height) + 4096
        })
    }

    /// Nominal frame period in µs (0 when unpaced).
    pub fn period_us(&self) -> u64 {
        1_000_000u64
            .checked_div(u64::from(self.cfg.fps))
            .unwrap_or(0)
    }

    fn start(&self, k: u32) -> u64 {
        let origin = self.origin.unwrap_or(0);
        let fps = u128::from(self.cfg.fps.max(1));
        let offset = u128::from(k) * 1_000_000 / fps;
        let jitter = if self.cfg.jitter_us == 0 {
            0
        } else {
            SplitMix64::for_frame(self.cfg.seed ^ 0x6A17_7E55, k).below(self.cfg.jitter_us + 1)
        };
        origin
            .saturating_add(self.cfg.startup_us)
            .saturating_add(u64::try_from(offset).unwrap_or(u64::MAX))
            .saturating_add(jitter)
    }

    fn done(&self, k: u32) -> u64 {
        let readout = self.period_us().saturating_sub(self.cfg.jitter_us).max(1);
        self.start(k).saturating_add(readout)
    }

    /// Run the capture driver up to time `t`.
    fn advance_driver(&mut self, t: u64) {
        let n = usize::from(self.cfg.buffers);
        loop {
            let more = self.next < LAST_FRAME;
            if let Some(w) = self.writing {
                let d = self.done(w);
                if d <= t && (!more || d <= self.start(self.next)) {
                    self.ready.push_back(w);
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
            if self.start(self.next) > t {
                break;
            }
            let used =
                usize::from(self.held) + self.ready.len() + usize::from(self.writing.is_some());
            if used < n {
                self.writing = Some(self.next);
            } else if n >= 3 && !self.ready.is_empty() {
                self.ready.pop_front();
                self.stats.dropped += 1;
                self.writing = Some(self.next);
            } else {
                self.stats.dropped += 1;
            }
            self.next += 1;
        }
    }

    /// With every buffer in use and none being written, frames starting
    /// long before `t` can only be dropped (1–2 buffers) or captured and
    /// overwritten before `t` (3 buffers): count them in bulk instead of
    /// one by one, keeping the last three frame starts before `t` for the
    /// loop. (A program busy for hours then costs no more than for a
    /// second.)
    fn skip_ahead(&mut self, t: u64) -> bool {
        let n = usize::from(self.cfg.buffers);
        let used = usize::from(self.held) + self.ready.len();
        if self.writing.is_some() || used < n || self.cfg.fps == 0 {
            return false;
        }
        let base = self.origin.unwrap_or(0).saturating_add(self.cfg.startup_us);
        let Some(since) = t.checked_sub(base) else {
            return false;
        };
        // Frame k starts at or after base + ⌊k·10⁶/fps⌋, so every frame
        // below ⌊since·fps/10⁶⌋ − 3 starts at least 3 periods before t.
        let k = u128::from(since) * u128::from(self.cfg.fps) / 1_000_000;
        let k = u32::try_from(k.saturating_sub(3).min(u128::from(LAST_FRAME - 1)))
            .unwrap_or(LAST_FRAME - 1);
        if k <= self.next {
            return false;
        }
        let mut dropped = u64::from(k - self.next);
        if n >= 3 {
            // The frames waiting now are older still: overwritten too.
            dropped += self.ready.len() as u64;
            self.ready.clear();
        }
        self.stats.dropped += dropped;
        self.next = k;
        true
    }

    /// `sensor.snapshot()`: the newest complete frame into `out` (waiting
    /// on the clock if there is none). Raw formats check `out` before
    /// anything moves; a JPEG too large for `out` is an error and that
    /// frame is lost (counted as dropped).
    pub fn snapshot(&mut self, out: &mut [u8]) -> Result<Snapshot, SimError> {
        if let Some(needed) = self.frame_len() {
            if out.len() < needed {
                return Err(omv_pattern::PatternError::BufferTooSmall {
                    needed,
                    available: out.len(),
                }
                .into());
            }
        }
        let (seq, capture_us) = if self.cfg.fps == 0 {
            let k = self.next;
            self.next = self.next.saturating_add(1);
            (k, self.clock.now())
        } else {
            let k = self.take_frame()?;
            (k, self.done(k))
        };
        let skipped = match self.last_seq {
            Some(p) => seq.saturating_sub(p).saturating_sub(1),
            None => seq,
        };
        self.last_seq = Some(seq);
        let c = &self.cfg;
        let spec = (c.width, c.height, c.pixformat, c.jpeg_quality);
        let rendered = c.source.render(c.seed, seq, spec, out);
        let len = match rendered {
            Ok(n) => n,
            Err(e) => {
                self.stats.dropped += 1;
                return Err(e);
            }
        };
        self.stats.delivered += 1;
        Ok(Snapshot {
            seq,
            capture_us,
            len,
            width: c.width,
            height: c.height,
            pixformat: c.pixformat,
            skipped,
        })
    }

    /// Release the held buffer and take the newest complete frame, waiting
    /// for one if needed.
    fn take_frame(&mut self) -> Result<u32, SimError> {
        let now = self.clock.now();
        if self.origin.is_none() {
            self.origin = Some(now);
        }
        self.advance_driver(now);
        self.held = false;
        loop {
            if let Some(k) = self.ready.pop_back() {
                self.stats.dropped += self.ready.len() as u64;
                self.ready.clear();
                self.held = true;
                return Ok(k);
            }
            if self.writing.is_none() && self.next >= LAST_FRAME {
                return Err(SimError::Config(
                    "the sensor's frame counter is exhausted: configure it again".into(),
                ));
            }
            // A buffer is free now, so the frame being written, or else the
            // next one to start, will be captured.
            let target = match self.writing {
                Some(w) => self.done(w),
                None => self.done(self.next),
            };
            self.clock.advance_to(target);
            self.advance_driver(target);
        }
    }
}

fn check(c: &SensorConfig) -> Result<(), SimError> {
    let bad = |m: &str| Err(SimError::Config(m.to_string()));
    if !(1..=3).contains(&c.buffers) {
        return bad("buffers must be 1, 2 or 3");
    }
    if c.fps > 1000 {
        return bad("fps must be 0 (unpaced) to 1000");
    }
    if c.width == 0 || c.height == 0 || c.width > 32767 || c.height > 32767 {
        return bad("width and height must be 1 to 32767");
    }
    if !(1..=100).contains(&c.jpeg_quality) {
        return bad("jpeg_quality must be 1 to 100");
    }
    match c.pixformat {
        PixFormat::Png | PixFormat::Argb8 => return bad("the sensor cannot produce PNG or ARGB8"),
        _ => {}
    }
    if c.fps > 0 && c.jitter_us.saturating_mul(4) >= 1_000_000 / u64::from(c.fps) {
        return bad("jitter_us must be under a quarter of the frame period");
    }
    Ok(())
}
