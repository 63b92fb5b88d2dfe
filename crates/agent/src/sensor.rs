//! The sensor platform trait and the default software sensor, which draws
//! `omv_pattern` frames paced by the board's clock.

use omv_imageio::{PixFormat, Wait};
use omv_proto::{Content, ErrorName, OpError};

/// The sensor's settings (the scenario's `sensor` table, complete).
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

/// One captured frame (its payload is in the buffer given to `snapshot`).
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

/// A camera sensor. `C` is the board's clock: a paced sensor waits on it.
pub trait Sensor<C: Wait> {
    /// Apply new settings; the frame counter and pacing restart at `clock`'s now.
    fn configure(&mut self, cfg: &SensorConfig, clock: &mut C) -> Result<(), OpError>;

    /// Capture the next frame into `fb`: waits for it when the caller is
    /// early, skips (drops) frames when the caller is late.
    fn snapshot(&mut self, clock: &mut C, fb: &mut [u8]) -> Result<Snapshot, OpError>;
}

/// The software sensor: frame `seq` is `omv_pattern::render(content, seed,
/// seq, ..)`, available at `t0 + seq × period` (period = 1 s / fps).
///
/// A snapshot taken before the next frame is due waits for it; one taken
/// late returns the newest frame already produced and counts the skipped
/// ones as dropped. With fps = 0 every snapshot is the next frame at once.
/// The content is therefore a function of the settings and of how late the
/// caller was, identical on every board.
#[derive(Debug, Clone, Default)]
pub struct PatternSensor {
    cfg: SensorConfig,
    t0_us: u64,
    next_seq: u32,
}

impl PatternSensor {
    /// A sensor with the default settings, starting at time 0.
    pub fn new() -> Self {
        PatternSensor::default()
    }

    fn period_us(&self) -> Option<u64> {
        (self.cfg.fps > 0).then(|| 1_000_000 / u64::from(self.cfg.fps))
    }
}

/// The `omv_pattern` content for a wire content.
pub fn pattern_content(c: Content) -> omv_pattern::Content {
    match c {
        Content::ColorBars => omv_pattern::Content::ColorBars,
        Content::Gradient => omv_pattern::Content::Gradient,
        Content::MovingBox => omv_pattern::Content::MovingBox,
        Content::Noise => omv_pattern::Content::Noise,
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

impl<C: Wait> Sensor<C> for PatternSensor {
    fn configure(&mut self, cfg: &SensorConfig, clock: &mut C) -> Result<(), OpError> {
        self.cfg = *cfg;
        self.t0_us = clock.now_us();
        self.next_seq = 0;
        Ok(())
    }

    fn snapshot(&mut self, clock: &mut C, fb: &mut [u8]) -> Result<Snapshot, OpError> {
        check_config(&self.cfg, fb.len())?;
        let next = self.next_seq;
        let (seq, t_us, dropped) = match self.period_us() {
            None => (next, clock.now_us(), 0),
            Some(period) => {
                let due = self
                    .t0_us
                    .saturating_add(u64::from(next).saturating_mul(period));
                let now = clock.now_us();
                if now < due {
                    clock.wait_until(due).map_err(|_| {
                        OpError::new(ErrorName::Cancelled, "snapshot wait cancelled")
                    })?;
                    (next, due, 0)
                } else {
                    let latest = (now - self.t0_us) / period;
                    let latest = u32::try_from(latest).unwrap_or(u32::MAX).max(next);
                    let t = self
                        .t0_us
                        .saturating_add(u64::from(latest).saturating_mul(period));
                    (latest, t, latest - next)
                }
            }
        };
        let c = &self.cfg;
        let len = omv_pattern::render(
            pattern_content(c.content),
            c.seed,
            seq,
            c.width,
            c.height,
            c.pixformat,
            fb,
        )
        .map_err(|e| OpError {
            name: ErrorName::Sensor,
            offset: None,
            message: omv_proto::format_bounded(format_args!("{e}")),
        })?;
        self.next_seq = seq.saturating_add(1);
        Ok(Snapshot {
            seq,
            t_us,
            len,
            dropped,
        })
    }
}
