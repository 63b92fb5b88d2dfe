//! [`SimSensor`]: the agent's software sensor on the virtual clock, with
//! the simulator's footage and JPEG frames.
//!
//! # Timing and frame buffers
//!
//! The sensor is the agent's [`SoftSensor`] — the one sensor every board
//! runs, on the one model `omv_agent::sensor::FrameTimer` (its module docs
//! give the formulas): frame `k` is complete at
//! `origin + startup_us + k·P + jitter(k)` with `P = ⌊10⁶ / fps⌋` and a
//! seeded jitter in `0 ..= jitter_us`, its read-out taking the
//! `P − jitter_us` before; 1–3 frame buffers with OpenMV's drop policy
//! (1–2 drop a frame that finds no free buffer, 3 overwrite the oldest
//! complete one). It draws the settings' `omv-pattern` content (the
//! firmware's bytes) or footage ([`SimFrames`]), in any raw format or as
//! JPEG; rendering and JPEG compression take no virtual time. Every frame
//! that is never returned is counted in [`SensorStats::dropped`]. With
//! `fps = 0` the sensor is unpaced: each snapshot is a new frame at once,
//! stamped with the current time.
//!
//! Through its own [`SimSensor::snapshot`] streaming starts at the first
//! snapshot after (re)configuration, at `origin`; through the agent's
//! [`Sensor`] trait (an executor driving it, as on the harness's `sim`
//! board) at [`Sensor::configure`], as on every board.
//!
//! ```
//! use imageio_sim::{SimSensor, SimSensorConfig, SimClock};
//! let clock = SimClock::new();
//! let mut s = SimSensor::new(clock.clone(), SimSensorConfig::default()).unwrap();
//! let mut fb = vec![0u8; s.max_frame_len()];
//! let a = s.snapshot(&mut fb).unwrap();
//! let b = s.snapshot(&mut fb).unwrap();
//! assert_eq!((a.seq, b.seq), (0, 1));
//! // QVGA RGB565 at 30 fps, no start-up delay: frame 0 at once, frame 1
//! // one period later.
//! assert_eq!((a.t_us, b.t_us), (0, 33_333));
//! assert_eq!(clock.now(), 33_333);
//! ```

use std::sync::Arc;

use omv_agent::sensor::{
    check_config, Render, Sensor, SensorConfig, SensorModel, SensorStats, Snapshot, SoftSensor,
};
use omv_imageio::{PixFormat, Wait};
use omv_proto::{ErrorName, OpError};

use crate::clock::SimClock;
use crate::error::SimError;
use crate::frame_cache::FrameCache;
use crate::source::{PngFrames, Source};

/// The simulated sensor's settings: the agent's settings and model (each
/// knob defined once, there) and the host-only [`SimFrames`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimSensorConfig {
    /// Size, pixel format, frame rate (at most 1000 here, or 0 for
    /// unpaced), content and seed (of the content and the jitter).
    pub settings: SensorConfig,
    /// Start-up delay, jitter and frame buffers.
    pub model: SensorModel,
    /// Footage instead of the pattern, and the JPEG quality.
    pub frames: SimFrames,
}

/// What only the simulator's sensor has: footage, and JPEG frames.
#[derive(Debug, Clone, PartialEq)]
pub struct SimFrames {
    /// Pictures shown instead of the settings' `content` (scaled to the
    /// frame size and cycled, frame `k` showing picture `k mod len`, with
    /// the frame number stamped).
    pub footage: Option<Arc<PngFrames>>,
    /// JPEG quality (1 to 100; OpenMV's default is 90).
    pub jpeg_quality: u8,
}

impl Default for SimFrames {
    /// The pattern, JPEG quality 90.
    fn default() -> Self {
        SimFrames {
            footage: None,
            jpeg_quality: 90,
        }
    }
}

impl SimFrames {
    /// `footage` instead of the pattern, JPEG quality 90.
    pub fn footage(footage: Arc<PngFrames>) -> Self {
        SimFrames {
            footage: Some(footage),
            ..SimFrames::default()
        }
    }
}

/// What the agent's sensor draws with here: [`SimFrames`] through the
/// frame cache (a frame that differs from the last only in its stamp is
/// copied, not drawn).
#[derive(Debug, Default)]
struct Renderer {
    frames: SimFrames,
    cache: FrameCache,
}

impl Render for Renderer {
    fn render(&mut self, cfg: &SensorConfig, seq: u32, fb: &mut [u8]) -> Result<usize, OpError> {
        let source = match &self.frames.footage {
            None => Source::Pattern(cfg.content),
            Some(f) => Source::Png(Arc::clone(f)),
        };
        let spec = (
            cfg.width,
            cfg.height,
            cfg.pixformat,
            self.frames.jpeg_quality,
        );
        self.cache
            .render(&source, cfg.seed, seq, spec, fb)
            .map_err(|e| OpError {
                name: ErrorName::Sensor,
                offset: None,
                message: omv_proto::format_bounded(format_args!("{e}")),
            })
    }

    /// Raw formats must fit `fb_len`; a JPEG's size is known once it is
    /// compressed (one too large fails in `render` and is dropped).
    fn check(&self, cfg: &SensorConfig, fb_len: usize) -> Result<(), OpError> {
        if cfg.pixformat == PixFormat::Jpeg {
            return Ok(());
        }
        check_config(cfg, fb_len).map(|_| ())
    }
}

/// These sensor settings with the default model and source.
impl From<SensorConfig> for SimSensorConfig {
    fn from(settings: SensorConfig) -> Self {
        SimSensorConfig {
            settings,
            ..SimSensorConfig::default()
        }
    }
}

/// This model with the default sensor settings and source.
impl From<SensorModel> for SimSensorConfig {
    fn from(model: SensorModel) -> Self {
        SimSensorConfig {
            model,
            ..SimSensorConfig::default()
        }
    }
}

impl SimSensorConfig {
    /// Why the sensor cannot run these settings, if it cannot.
    pub fn check(&self) -> Result<(), SimError> {
        let bad = |m: &str| Err(SimError::Config(m.to_string()));
        let c = &self.settings;
        self.model.check(c.fps).or_else(bad)?;
        if c.fps > 1000 {
            return bad("fps must be 0 (unpaced) to 1000");
        }
        if c.width == 0 || c.height == 0 || c.width > 32767 || c.height > 32767 {
            return bad("width and height must be 1 to 32767");
        }
        if !(1..=100).contains(&self.frames.jpeg_quality) {
            return bad("jpeg_quality must be 1 to 100");
        }
        match c.pixformat {
            PixFormat::Png | PixFormat::Argb8 => bad("the sensor cannot produce PNG or ARGB8"),
            _ => Ok(()),
        }
    }
}

/// The simulated sensor. See the [module docs](self) for the model.
#[derive(Debug)]
pub struct SimSensor {
    clock: SimClock,
    soft: SoftSensor<Renderer>,
    /// Settings to start streaming with at the next own snapshot.
    pending: Option<SensorConfig>,
}

impl SimSensor {
    /// A sensor on `clock` with `cfg` (checked).
    pub fn new(clock: SimClock, cfg: SimSensorConfig) -> Result<Self, SimError> {
        cfg.check()?;
        let mut soft = SoftSensor::with_render(Renderer {
            frames: cfg.frames,
            cache: FrameCache::default(),
        });
        soft.set_model(cfg.model);
        Ok(SimSensor {
            clock,
            soft,
            pending: Some(cfg.settings),
        })
    }

    /// Apply new settings: the frame counter, buffers and statistics
    /// restart, and streaming restarts at the next snapshot.
    pub fn configure(&mut self, cfg: SimSensorConfig) -> Result<(), SimError> {
        let clock = self.clock.clone();
        *self = SimSensor::new(clock, cfg)?;
        Ok(())
    }

    /// The settings.
    pub fn config(&self) -> SimSensorConfig {
        SimSensorConfig {
            settings: self.settings(),
            model: self.soft.model(),
            frames: self.soft.render().frames.clone(),
        }
    }

    /// Use `model` from the next configuration on (checked then).
    pub fn set_model(&mut self, model: SensorModel) {
        self.soft.set_model(model);
    }

    /// Show `footage` instead of the pattern (`None`: the pattern again),
    /// from the next frame on.
    pub fn set_footage(&mut self, footage: Option<Arc<PngFrames>>) {
        self.soft.render_mut().frames.footage = footage;
    }

    /// Counters since the last configuration.
    pub fn stats(&self) -> SensorStats {
        self.soft.stats()
    }

    /// The clock the sensor runs on.
    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    /// The program's settings (size, format, rate, content, seed).
    pub fn settings(&self) -> SensorConfig {
        self.pending.unwrap_or(*self.soft.config())
    }

    /// Payload bytes of a raw frame, or `None` for JPEG (size varies).
    pub fn frame_len(&self) -> Option<usize> {
        let c = self.settings();
        omv_pattern::payload_len(c.width, c.height, c.pixformat).ok()
    }

    /// A buffer size that holds any frame: the raw size, or for JPEG
    /// `3·w·h + 4096` (above what a baseline JPEG of `w·h` pixels takes
    /// at any quality).
    pub fn max_frame_len(&self) -> usize {
        let c = self.settings();
        self.frame_len()
            .unwrap_or_else(|| 3 * usize::from(c.width) * usize::from(c.height) + 4096)
    }

    /// Nominal frame period in µs (0 when unpaced).
    pub fn period_us(&self) -> u64 {
        1_000_000u64
            .checked_div(u64::from(self.settings().fps))
            .unwrap_or(0)
    }

    /// The model's part of the settings.
    pub fn model(&self) -> SensorModel {
        self.soft.model()
    }

    /// `sensor.snapshot()`: the newest complete frame into `out` (waiting
    /// on the clock if there is none). A raw frame that does not fit `out`
    /// is refused before anything moves; a JPEG too large for `out` is an
    /// error and that frame is lost (counted as dropped).
    pub fn snapshot(&mut self, out: &mut [u8]) -> Result<Snapshot, SimError> {
        let mut clock = self.clock.clone();
        if let Some(cfg) = self.pending.take() {
            // Checked in `new`: starting cannot fail.
            self.soft
                .configure(&cfg, &mut clock)
                .map_err(|e| SimError::Sensor(Box::new(e)))?;
        }
        self.soft
            .snapshot(&mut clock, out)
            .map_err(|e| SimError::Sensor(Box::new(e)))
    }
}

/// The sensor an executor drives (the harness's `sim` board lends it the
/// board's sensor): the agent's semantics, streaming from `configure`.
impl<C: Wait> Sensor<C> for SimSensor {
    fn configure(&mut self, cfg: &SensorConfig, clock: &mut C) -> Result<(), OpError> {
        self.pending = None;
        self.soft.configure(cfg, clock)
    }

    fn snapshot(&mut self, clock: &mut C, fb: &mut [u8]) -> Result<Snapshot, OpError> {
        self.soft.snapshot(clock, fb)
    }
}
