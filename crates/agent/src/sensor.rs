//! The sensor platform trait and the software sensor: the one sensor
//! model ([`FrameTimer`]) drawing `omv_pattern` frames (or what a [`Render`]
//! draws) paced by the board's clock. Every board's frames come from
//! [`SoftSensor`]: the firmware's as [`PatternSensor`], the simulator's
//! (`imageio_sim::SimSensor`, which the `sim` board runs) with a render
//! that adds footage and JPEG.

mod timing;

pub use timing::{FrameTick, FrameTimer, Poll, SensorModel, MAX_BUFFERS, MAX_STARTUP_US};

use omv_imageio::{PixFormat, Wait};
use omv_proto::{Content, ErrorName, OpError};

/// The sensor's settings: what a program sets (the wire's `Sensor` step,
/// the scenario's `[sensor]` table but for the [`SensorModel`] knobs and
/// the footage). The one definition of these knobs: the simulator wraps
/// it with its host-only ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SensorConfig {
    /// Frame width in pixels.
    pub width: u16,
    /// Frame height in pixels.
    pub height: u16,
    /// Pixel format.
    pub pixformat: PixFormat,
    /// Frames per second; 0 = unpaced.
    pub fps: u16,
    /// What the frames show.
    pub content: Content,
    /// Seed of the content.
    pub seed: u64,
}

impl Default for SensorConfig {
    /// QVGA RGB565 colour bars at 30 fps, seed 0.
    fn default() -> Self {
        SensorConfig {
            width: 320,
            height: 240,
            pixformat: PixFormat::Rgb565,
            fps: 30,
            content: Content::ColorBars,
            seed: 0,
        }
    }
}

/// One captured frame (its payload is in the buffer given to `snapshot`):
/// what every sensor returns, the firmware's and the simulator's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// The sensor's frame number since the last `configure`.
    pub seq: u32,
    /// Board time when the frame was captured (µs).
    pub t_us: u64,
    /// Payload bytes written to the buffer.
    pub len: usize,
    /// Frames skipped since the previous snapshot because the caller was late.
    pub dropped: u32,
}

/// Counters of a [`SoftSensor`] since its last configuration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SensorStats {
    /// Frames returned by `snapshot`.
    pub delivered: u64,
    /// Frames captured or started but never returned (overwritten, found
    /// no free buffer, or failed to render).
    pub dropped: u64,
}

/// A camera sensor. `C` is the board's clock: a paced sensor waits on it.
pub trait Sensor<C: Wait> {
    /// Apply new settings; the frame counter and pacing restart at `clock`'s now.
    fn configure(&mut self, cfg: &SensorConfig, clock: &mut C) -> Result<(), OpError>;

    /// Capture the next frame into `fb`: waits for it when the caller is
    /// early, skips (drops) frames when the caller is late.
    fn snapshot(&mut self, clock: &mut C, fb: &mut [u8]) -> Result<Snapshot, OpError>;
}

/// A sensor lent to an executor (e.g. the one a simulated board owns).
impl<C: Wait, S: Sensor<C> + ?Sized> Sensor<C> for &mut S {
    fn configure(&mut self, cfg: &SensorConfig, clock: &mut C) -> Result<(), OpError> {
        (**self).configure(cfg, clock)
    }

    fn snapshot(&mut self, clock: &mut C, fb: &mut [u8]) -> Result<Snapshot, OpError> {
        (**self).snapshot(clock, fb)
    }
}

/// What a [`SoftSensor`] shows: draws frame `seq` of the settings `cfg`
/// into `fb` and returns the payload length.
pub trait Render {
    /// Draw frame `seq`.
    fn render(&mut self, cfg: &SensorConfig, seq: u32, fb: &mut [u8]) -> Result<usize, OpError>;

    /// Why a frame of `cfg` cannot be drawn into `fb_len` bytes, checked
    /// before a snapshot takes a frame. The default is [`check_config`]
    /// (raw formats only); a render of variable-size frames (JPEG) checks
    /// what it can and fails in `render` when a frame does not fit.
    fn check(&self, cfg: &SensorConfig, fb_len: usize) -> Result<(), OpError> {
        check_config(cfg, fb_len).map(|_| ())
    }
}

/// Frames from `omv_pattern`: `render(content, seed, seq, ..)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pattern;

impl Render for Pattern {
    fn render(&mut self, c: &SensorConfig, seq: u32, fb: &mut [u8]) -> Result<usize, OpError> {
        omv_pattern::render(c.content, c.seed, seq, c.width, c.height, c.pixformat, fb).map_err(
            |e| OpError {
                name: ErrorName::Sensor,
                offset: None,
                message: omv_proto::format_bounded(format_args!("{e}")),
            },
        )
    }
}

/// The software sensor: the one sensor model ([`FrameTimer`]: frame rate,
/// start-up delay, seeded jitter, 1–3 frame buffers with OpenMV's drop
/// policy) drawing its frames with `R`.
///
/// A snapshot taken before a frame is complete waits for it; one taken
/// late returns the newest complete frame and counts the skipped ones as
/// dropped. With the default [`SensorModel`] frame `seq` is complete at
/// `t0 + seq × period` (period = 1 s / fps, `t0` the configuration), and
/// with fps = 0 every snapshot is the next frame at once. The content is
/// therefore a function of the settings, the model and how late the
/// caller was, identical on every board.
#[derive(Debug, Clone, Default)]
pub struct SoftSensor<R = Pattern> {
    cfg: SensorConfig,
    model: SensorModel,
    timer: FrameTimer,
    render: R,
    delivered: u64,
    /// Frames handed out by the timer that failed to render.
    lost: u64,
}

/// The software sensor drawing `omv_pattern` frames: what the firmware runs.
pub type PatternSensor = SoftSensor<Pattern>;

impl SoftSensor<Pattern> {
    /// A sensor with the default settings and model, starting at time 0.
    pub fn new() -> Self {
        SoftSensor::default()
    }
}

impl<R: Render> SoftSensor<R> {
    /// A sensor with the default settings and model drawing with `render`.
    pub fn with_render(render: R) -> Self {
        SoftSensor {
            cfg: SensorConfig::default(),
            model: SensorModel::default(),
            timer: FrameTimer::default(),
            render,
            delivered: 0,
            lost: 0,
        }
    }

    /// Use `model` from the next [`Sensor::configure`] on (checked then,
    /// against the frame rate).
    pub fn set_model(&mut self, model: SensorModel) {
        self.model = model;
    }

    /// The model.
    pub fn model(&self) -> SensorModel {
        self.model
    }

    /// The settings of the last configuration.
    pub fn config(&self) -> &SensorConfig {
        &self.cfg
    }

    /// What draws the frames.
    pub fn render(&self) -> &R {
        &self.render
    }

    /// What draws the frames, to change it.
    pub fn render_mut(&mut self) -> &mut R {
        &mut self.render
    }

    /// Frames delivered and dropped since the last configuration.
    pub fn stats(&self) -> SensorStats {
        SensorStats {
            delivered: self.delivered,
            dropped: self.timer.dropped() + self.lost,
        }
    }

    /// The frame period of the settings (µs), 0 when unpaced.
    pub fn period_us(&self) -> u64 {
        self.timer.period_us()
    }
}

/// Check settings against a frame buffer of `fb_len` bytes: the payload
/// must be renderable and fit.
pub fn check_config(cfg: &SensorConfig, fb_len: usize) -> Result<usize, OpError> {
    let n =
        omv_pattern::payload_len(cfg.width, cfg.height, cfg.pixformat).map_err(|e| OpError {
            name: ErrorName::Sensor,
            offset: None,
            message: omv_proto::format_bounded(format_args!("{e}")),
        })?;
    if n > fb_len {
        return Err(OpError {
            name: ErrorName::Sensor,
            offset: None,
            message: omv_proto::format_bounded(format_args!(
                "frame of {n} bytes does not fit the {fb_len}-byte frame buffer"
            )),
        });
    }
    Ok(n)
}

impl<C: Wait, R: Render> Sensor<C> for SoftSensor<R> {
    fn configure(&mut self, cfg: &SensorConfig, clock: &mut C) -> Result<(), OpError> {
        self.model
            .check(cfg.fps)
            .map_err(|m| OpError::new(ErrorName::Sensor, m))?;
        self.cfg = *cfg;
        self.timer = FrameTimer::start(self.model, cfg.fps, cfg.seed, clock.now_us());
        self.delivered = 0;
        self.lost = 0;
        Ok(())
    }

    fn snapshot(&mut self, clock: &mut C, fb: &mut [u8]) -> Result<Snapshot, OpError> {
        self.render.check(&self.cfg, fb.len())?;
        self.timer.release(clock.now_us());
        let frame = loop {
            match self.timer.poll(clock.now_us()) {
                Poll::Ready(f) => break f,
                Poll::WaitUntil(t) => clock
                    .wait_until(t)
                    .map_err(|_| OpError::new(ErrorName::Cancelled, "snapshot wait cancelled"))?,
                Poll::Exhausted => {
                    return Err(OpError::new(
                        ErrorName::Sensor,
                        "the sensor's frame counter is exhausted: configure it again",
                    ))
                }
            }
        };
        let len = self
            .render
            .render(&self.cfg, frame.seq, fb)
            .inspect_err(|_| {
                self.lost += 1;
            })?;
        self.delivered += 1;
        Ok(Snapshot {
            seq: frame.seq,
            t_us: frame.capture_us,
            len,
            dropped: frame.skipped,
        })
    }
}
