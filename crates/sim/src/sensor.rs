//! [`SimSensor`]: an OpenMV camera sensor on the virtual clock.
//!
//! # Timing and frame buffers
//!
//! The one sensor model every board runs, `omv_agent::sensor::FrameTimer`
//! (its module docs give the formulas): frame `k` is complete at
//! `origin + startup_us + k·P + jitter(k)` with `P = ⌊10⁶ / fps⌋` and a
//! seeded jitter in `0 ..= jitter_us`, its read-out taking the `P −
//! jitter_us` before; 1–3 frame buffers with OpenMV's drop policy (1–2
//! drop a frame that finds no free buffer, 3 overwrite the oldest complete
//! one). Here streaming starts at the first [`SimSensor::snapshot`] after
//! (re)configuration, at `origin`; rendering and JPEG compression take no
//! virtual time. Every frame that is never returned is counted in
//! [`SensorStats::dropped`]. With `fps = 0` the sensor is unpaced: each
//! snapshot is a new frame at once, stamped with the current time.
//!
//! ```
//! use imageio_sim::{SimSensor, SensorConfig, SimClock};
//! let clock = SimClock::new();
//! let mut s = SimSensor::new(clock.clone(), SensorConfig::default()).unwrap();
//! let mut fb = vec![0u8; s.max_frame_len()];
//! let a = s.snapshot(&mut fb).unwrap();
//! let b = s.snapshot(&mut fb).unwrap();
//! assert_eq!((a.seq, b.seq), (0, 1));
//! // QVGA RGB565 at 30 fps, no start-up delay: frame 0 at once, frame 1
//! // one period later.
//! assert_eq!((a.capture_us, b.capture_us), (0, 33_333));
//! assert_eq!(clock.now(), 33_333);
//! ```

use omv_agent::sensor::{FrameTimer, Poll, SensorModel};
use omv_imageio::PixFormat;
use omv_pattern::Content;

use crate::clock::SimClock;
use crate::error::SimError;
use crate::frame_cache::FrameCache;
use crate::source::Source;

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

/// A frame returned by [`SimSensor::snapshot`].
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
pub struct SimSensor {
    clock: SimClock,
    cfg: SensorConfig,
    /// The model's state, from the first snapshot after configuration.
    timer: Option<FrameTimer>,
    stats: SensorStats,
    /// Frames that differ only in their stamp, drawn once.
    frames: FrameCache,
}

impl SimSensor {
    /// A sensor on `clock` with `cfg` (checked).
    pub fn new(clock: SimClock, cfg: SensorConfig) -> Result<Self, SimError> {
        check(&cfg)?;
        Ok(SimSensor {
            clock,
            cfg,
            timer: None,
            stats: SensorStats::default(),
            frames: FrameCache::default(),
        })
    }

    /// Apply new settings: the frame counter, buffers and statistics
    /// restart, and streaming restarts at the next snapshot.
    pub fn configure(&mut self, cfg: SensorConfig) -> Result<(), SimError> {
        let clock = self.clock.clone();
        *self = SimSensor::new(clock, cfg)?;
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

    /// The model's part of the settings.
    pub fn model(&self) -> SensorModel {
        SensorModel {
            startup_us: self.cfg.startup_us,
            jitter_us: self.cfg.jitter_us,
            buffers: self.cfg.buffers,
        }
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
        let frame = self.take_frame()?;
        let (seq, capture_us, skipped) = (frame.seq, frame.capture_us, frame.skipped);
        let c = &self.cfg;
        let spec = (c.width, c.height, c.pixformat, c.jpeg_quality);
        let rendered = self.frames.render(&c.source, c.seed, seq, spec, out);
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
    /// (moving the clock) for one if needed.
    fn take_frame(&mut self) -> Result<omv_agent::sensor::Frame, SimError> {
        let now = self.clock.now();
        // `check` keeps fps at most 1000.
        let fps = u16::try_from(self.cfg.fps).unwrap_or(u16::MAX);
        let (model, seed) = (self.model(), self.cfg.seed);
        let timer = self
            .timer
            .get_or_insert_with(|| FrameTimer::start(model, fps, seed, now));
        let dropped0 = timer.dropped();
        timer.release(now);
        let frame = loop {
            match timer.poll(self.clock.now()) {
                Poll::Ready(f) => break f,
                Poll::WaitUntil(t) => self.clock.advance_to(t),
                Poll::Exhausted => {
                    return Err(SimError::Config(
                        "the sensor's frame counter is exhausted: configure it again".into(),
                    ))
                }
            }
        };
        self.stats.dropped += timer.dropped() - dropped0;
        Ok(frame)
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
