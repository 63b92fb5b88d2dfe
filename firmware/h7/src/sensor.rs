//! The agent's sensor on this board: the OV7725's colour bars when the
//! scenario asks for exactly what the sensor makes (QVGA RGB565 colour
//! bars), the shared software sensor (`omv_agent::PatternSensor`, the
//! simulator's frames) for everything else or when no sensor answered.
//!
//! Pacing, sequence numbers and dropped-frame counts are the software
//! sensor's in both cases, so a scenario's frame table has the same shape
//! on every board; only the payload differs when the OV7725 is used (its
//! bars carry no sequence stamp, so every sensor frame is the same bytes).

use omv_agent::{PatternSensor, Sensor, SensorConfig, Snapshot};
use omv_imageio::PixFormat;
use omv_proto::{format_bounded, Content, ErrorName, OpError};

use crate::camera::{Camera, HEIGHT, WIDTH};
use crate::clock::BoardClock;

/// The OV7725 (when present) with the software sensor for pacing and fallback.
pub struct H7Sensor {
    camera: Camera,
    pattern: PatternSensor,
    cfg: SensorConfig,
}

impl H7Sensor {
    /// Wrap the camera.
    pub fn new(camera: Camera) -> Self {
        H7Sensor {
            camera,
            pattern: PatternSensor::new(),
            cfg: SensorConfig::default(),
        }
    }

    /// The OV7725 answered at boot.
    pub fn has_camera(&self) -> bool {
        self.camera.has_sensor()
    }

    /// Frames come from the OV7725 with the current settings.
    fn uses_sensor(&self) -> bool {
        self.camera.has_sensor()
            && self.cfg.content == Content::ColorBars
            && (self.cfg.width, self.cfg.height, self.cfg.pixformat)
                == (WIDTH, HEIGHT, PixFormat::Rgb565)
    }
}

impl Sensor<BoardClock> for H7Sensor {
    fn configure(&mut self, cfg: &SensorConfig, clock: &mut BoardClock) -> Result<(), OpError> {
        self.cfg = *cfg;
        self.pattern.configure(cfg, clock)
    }

    fn snapshot(&mut self, clock: &mut BoardClock, fb: &mut [u8]) -> Result<Snapshot, OpError> {
        // Waits for the frame's due time and renders the software frame.
        let snap = self.pattern.snapshot(clock, fb)?;
        if !self.uses_sensor() {
            return Ok(snap);
        }
        let len = self.camera.capture(fb).map_err(|e| OpError {
            name: ErrorName::Sensor,
            offset: None,
            message: format_bounded(format_args!("{e}")),
        })?;
        Ok(Snapshot { len, ..snap })
    }
}
