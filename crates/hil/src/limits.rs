//! Scenarios too large for a board's agent: the frame buffer and the
//! memory-stream region it announced in its `hello`, against what the
//! scenario's steps need. Such a scenario is skipped with that reason,
//! on the qemu board as on the h7 (agent-qemu has agent-h7's buffers), so
//! a scenario never passes on the emulator with memory the camera lacks.
//! The `sim` board announces no limits and runs them all.
//!
//! Needs are computed with the agent's own rules: a frame's bytes with
//! `omv_agent::check_config` (the sensor refuses a frame larger than the
//! frame buffer), a memory stream's with `omv_imageio::memory_stream_bytes`.
//! Steps expected to fail (`error = ...`) need nothing: they test the
//! refusal.

use omv_agent::SensorConfig;
use omv_proto::Op;

use crate::scenario::{Expect, Scenario};

/// What a board's agent holds, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The frame buffer (`hello.frame_buffer`).
    pub frame_buffer: u64,
    /// The memory-stream region (`hello.memory_buffer`).
    pub memory: u64,
}

impl Limits {
    /// The limits an agent announced.
    pub fn from_hello(h: &omv_proto::Hello) -> Self {
        Limits {
            frame_buffer: u64::from(h.frame_buffer),
            memory: u64::from(h.memory_buffer),
        }
    }
}

fn frame_bytes(cfg: &SensorConfig) -> Option<u64> {
    omv_agent::check_config(cfg, usize::MAX)
        .ok()
        .and_then(|n| u64::try_from(n).ok())
}

/// Why `scenario` does not fit `lim`, if it does not (the first step that
/// needs more than the agent has).
pub fn too_large(scenario: &Scenario, lim: &Limits) -> Option<String> {
    let s = &scenario.sensor;
    let mut cfg = SensorConfig {
        width: s.width,
        height: s.height,
        pixformat: s.pixformat,
        ..SensorConfig::default()
    };
    let frame_too_large = |cfg: &SensorConfig, at: &str| {
        let n = frame_bytes(cfg)?;
        (n > lim.frame_buffer).then(|| {
            format!(
                "needs a {n}-byte frame buffer ({}x{} {:?}, {at}); the agent has {} bytes",
                cfg.width, cfg.height, cfg.pixformat, lim.frame_buffer
            )
        })
    };
    if let Some(why) = frame_too_large(&cfg, "[sensor]") {
        return Some(why);
    }
    for step in &scenario.steps {
        if matches!(step.expect, Expect::Error(_)) {
            continue;
        }
        let at = format!("step at line {}", step.line);
        match &step.op {
            Op::Sensor(set) => {
                cfg.width = set.width.unwrap_or(cfg.width);
                cfg.height = set.height.unwrap_or(cfg.height);
                cfg.pixformat = set.pixformat.map_or(cfg.pixformat, Into::into);
                if let Some(why) = frame_too_large(&cfg, &at) {
                    return Some(why);
                }
            }
            Op::OpenMemory {
                width,
                height,
                pixformat,
                count,
            } => {
                let n = omv_imageio::memory_stream_bytes(*width, *height, *pixformat, *count)
                    .ok()
                    .and_then(|n| u64::try_from(n).ok())?;
                if n > lim.memory {
                    return Some(format!(
                        "needs a {n}-byte memory-stream region ({count} x {width}x{height} {pixformat:?}, {at}); the agent has {} bytes",
                        lim.memory
                    ));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const H7: Limits = Limits {
        frame_buffer: 320 * 240 * 2,
        memory: 160 * 1024,
    };

    fn scenario(text: &str) -> Scenario {
        let text = if text.contains("[[step]]") {
            format!("description = \"t\"\n{text}")
        } else {
            format!("description = \"t\"\n{text}\n[[step]]\nop = \"snapshot\"\n")
        };
        Scenario::from_toml(&text, Path::new("t.toml")).unwrap()
    }

    #[test]
    fn qvga_rgb565_fits_vga_does_not() {
        let qvga = "[sensor]\nwidth = 320\nheight = 240\npixformat = \"RGB565\"\n";
        assert_eq!(too_large(&scenario(qvga), &H7), None);
        let vga = "[sensor]\nwidth = 640\nheight = 480\npixformat = \"RGB565\"\n";
        let why = too_large(&scenario(vga), &H7).unwrap();
        assert!(why.contains("614400-byte frame buffer"), "{why}");
        assert!(why.contains("153600 bytes"), "{why}");
    }

    #[test]
    fn a_sensor_step_that_grows_the_frame_is_found() {
        let t = "[sensor]\nwidth = 320\nheight = 240\npixformat = \"GRAYSCALE\"\n\n\
                 [[step]]\nop = \"sensor\"\nwidth = 640\nheight = 480\n";
        let why = too_large(&scenario(t), &H7).unwrap();
        assert!(why.contains("307200-byte") && why.contains("line"), "{why}");
    }

    #[test]
    fn a_memory_stream_larger_than_the_region_is_found_unless_it_is_expected_to_fail() {
        let big = "[sensor]\nwidth = 320\nheight = 240\npixformat = \"RGB565\"\n\n\
                   [[step]]\nop = \"open\"\nshape = [320, 240, \"RGB565\"]\ncount = 10\n";
        let why = too_large(&scenario(big), &H7).unwrap();
        assert!(
            why.contains("memory-stream region") && why.contains("163840 bytes"),
            "{why}"
        );
        let refused = format!("{big}error = \"BufferTooSmall\"\n");
        assert_eq!(too_large(&scenario(&refused), &H7), None);
        let small = big.replace("count = 10", "count = 1");
        assert_eq!(too_large(&scenario(&small), &H7), None);
    }
}
