//! Golden policy on real hardware: content hashes only for deterministic
//! content, timing checked against the board file's tolerances instead of
//! being snapshotted.
//!
//! The agent records only deterministic content: the OV7725's colour-bar
//! test pattern, the software pattern generator (the simulator's own code),
//! or a stream the harness uploaded. Live camera images never reach a
//! capture, so payload hashes are kept in `golden/h7/` as long as the board
//! file lists `test-pattern` as deterministic. Times, rates and lateness
//! depend on the SD card and USB scheduling of the moment: they are
//! redacted in snapshots and each run is checked against `[timing]`.

use std::fmt;

use hil_flash::board::{ContentSection, TimingSection};
use omv_proto::{Event, EventKind};

use crate::board::{SnapshotPolicy, TimingPolicy};

/// The content kind that covers the sensor's test pattern and the
/// software pattern generator.
pub const TEST_PATTERN: &str = "test-pattern";

/// The snapshot policy the board file implies.
pub fn snapshot_policy(content: &ContentSection) -> SnapshotPolicy {
    SnapshotPolicy {
        timing: TimingPolicy::Redact,
        content_hashes: content.deterministic.iter().any(|c| c == TEST_PATTERN),
    }
}

/// Timing figures of one recording or replay, measured on the board's clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// The frame rate asked for (recording) or recorded (replay).
    pub fps_expected: f64,
    /// The frame rate achieved.
    pub fps_achieved: f64,
    /// Largest deviation of one inter-frame interval from the nominal one, µs.
    pub max_interval_error_us: u64,
    /// Largest lateness of a replayed frame against the recorded schedule, µs.
    pub max_replay_error_us: u64,
    /// Frames the sensor produced that were not written.
    pub dropped_frames: u32,
}

/// One figure outside its tolerance.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Which figure (`frame interval`, `replay error`, `fps`, `dropped frames`).
    pub figure: &'static str,
    /// What was measured.
    pub measured: String,
    /// What the board file allows.
    pub allowed: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} is outside the h7 tolerance {} (hil/boards/h7.toml [timing])",
            self.figure, self.measured, self.allowed
        )
    }
}

/// The figures of a trace (one scenario's events, board-time order):
/// recording intervals from `FrameWritten.captured_us` against the nominal
/// period of `fps` (0 = unpaced: no interval or rate check), replay lateness
/// from `FrameReleased`, drops from `FramesDropped`.
pub fn measure(events: &[Event], fps: u16) -> Measured {
    let mut captured = vec![];
    let mut replay_error = 0u64;
    let mut dropped = 0u32;
    for e in events {
        match e.kind {
            EventKind::FrameWritten { captured_us, .. } => captured.push(captured_us),
            EventKind::FrameReleased { scheduled_us, .. } => {
                replay_error = replay_error.max(e.t_us.saturating_sub(scheduled_us));
            }
            EventKind::FramesDropped { count, .. } => dropped = dropped.saturating_add(count),
            EventKind::StepFailed { .. } => {}
        }
    }
    let nominal = (fps > 0).then(|| 1_000_000 / u64::from(fps));
    let mut interval_error = 0u64;
    if let Some(nominal) = nominal {
        for w in captured.windows(2) {
            let interval = w[1].saturating_sub(w[0]);
            interval_error = interval_error.max(interval.abs_diff(nominal));
        }
    }
    let fps_achieved = match (captured.first(), captured.last()) {
        (Some(&a), Some(&b)) if b > a && captured.len() > 1 => {
            (captured.len() - 1) as f64 * 1e6 / (b - a) as f64
        }
        _ => 0.0,
    };
    Measured {
        fps_expected: if captured.len() > 1 {
            f64::from(fps)
        } else {
            0.0
        },
        fps_achieved,
        max_interval_error_us: interval_error,
        max_replay_error_us: replay_error,
        dropped_frames: dropped,
    }
}

/// Every figure of `m` outside `tol`; empty when the run is within tolerance.
pub fn check(tol: &TimingSection, m: &Measured) -> Vec<Violation> {
    let mut out = vec![];
    if m.max_interval_error_us > tol.frame_interval_us {
        out.push(Violation {
            figure: "frame interval",
            measured: format!("off by {} µs", m.max_interval_error_us),
            allowed: format!("±{} µs", tol.frame_interval_us),
        });
    }
    if m.max_replay_error_us > tol.replay_error_us {
        out.push(Violation {
            figure: "replay error",
            measured: format!("{} µs", m.max_replay_error_us),
            allowed: format!("≤ {} µs", tol.replay_error_us),
        });
    }
    let fps_ok = if m.fps_expected > 0.0 && m.fps_expected.is_finite() {
        let percent = (m.fps_achieved - m.fps_expected).abs() / m.fps_expected * 100.0;
        percent.is_finite() && percent <= tol.fps_percent
    } else {
        // No rate asked for (e.g. as-fast-as-possible): nothing to compare.
        true
    };
    if !fps_ok {
        out.push(Violation {
            figure: "fps",
            measured: format!("{:.2} (expected {:.2})", m.fps_achieved, m.fps_expected),
            allowed: format!("±{} %", tol.fps_percent),
        });
    }
    if m.dropped_frames > tol.dropped_frames {
        out.push(Violation {
            figure: "dropped frames",
            measured: m.dropped_frames.to_string(),
            allowed: format!("≤ {}", tol.dropped_frames),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const TOL: TimingSection = TimingSection {
        frame_interval_us: 2000,
        replay_error_us: 3000,
        fps_percent: 5.0,
        dropped_frames: 0,
    };

    fn good() -> Measured {
        Measured {
            fps_expected: 30.0,
            fps_achieved: 29.0,
            max_interval_error_us: 2000,
            max_replay_error_us: 3000,
            dropped_frames: 0,
        }
    }

    #[test]
    fn figures_at_the_limits_pass() {
        assert_eq!(check(&TOL, &good()), vec![]);
    }

    #[test]
    fn each_figure_past_its_limit_is_reported_with_both_values() {
        let m = Measured {
            fps_expected: 30.0,
            fps_achieved: 28.4,
            max_interval_error_us: 2001,
            max_replay_error_us: 3500,
            dropped_frames: 1,
        };
        let v = check(&TOL, &m);
        let figures: Vec<&str> = v.iter().map(|v| v.figure).collect();
        assert_eq!(
            figures,
            ["frame interval", "replay error", "fps", "dropped frames"]
        );
        assert_eq!(
            v[2].to_string(),
            "fps 28.40 (expected 30.00) is outside the h7 tolerance ±5 % (hil/boards/h7.toml [timing])"
        );
        assert!(v[0].to_string().contains("off by 2001 µs"));
    }

    #[test]
    fn no_expected_rate_and_nan_are_handled() {
        let m = Measured {
            fps_expected: 0.0,
            fps_achieved: 12.0,
            ..good()
        };
        assert_eq!(check(&TOL, &m), vec![]);
        let m = Measured {
            fps_achieved: f64::NAN,
            ..good()
        };
        assert_eq!(check(&TOL, &m).len(), 1);
    }

    fn written(t: u64) -> Event {
        Event {
            t_us: t + 500,
            step: 1,
            kind: EventKind::FrameWritten {
                index: 0,
                seq: 0,
                captured_us: t,
                payload_len: 0,
                crc32: 0,
            },
        }
    }

    #[test]
    fn a_trace_is_measured_against_the_nominal_period() {
        // 30 fps = 33 333 µs; the third frame comes 2 500 µs late.
        let mut ev = vec![written(0), written(33_333), written(69_166)];
        ev.push(Event {
            t_us: 200_000,
            step: 2,
            kind: EventKind::FrameReleased {
                index: 0,
                scheduled_us: 197_000,
                elapsed_us: 0,
                payload_len: 0,
                crc32: 0,
            },
        });
        ev.push(Event {
            t_us: 0,
            step: 1,
            kind: EventKind::FramesDropped { count: 2, seq: 5 },
        });
        let m = measure(&ev, 30);
        assert_eq!(m.max_interval_error_us, 2_500);
        assert_eq!(m.max_replay_error_us, 3_000);
        assert_eq!(m.dropped_frames, 2);
        assert_eq!(m.fps_expected, 30.0);
        assert!((m.fps_achieved - 2.0 * 1e6 / 69_166.0).abs() < 1e-9);
        // 28.9 fps is within 5 % of 30.
        let v = check(&TOL, &m);
        let figures: Vec<&str> = v.iter().map(|v| v.figure).collect();
        assert_eq!(figures, ["frame interval", "dropped frames"]);
    }

    #[test]
    fn an_unpaced_or_empty_trace_has_nothing_to_compare() {
        let m = measure(&[written(0), written(900_000)], 0);
        assert_eq!(m.max_interval_error_us, 0);
        assert_eq!(check(&TOL, &m), vec![]);
        assert_eq!(check(&TOL, &measure(&[], 30)), vec![]);
    }

    #[test]
    fn hashes_are_kept_only_when_the_test_pattern_is_deterministic() {
        let mut content = ContentSection {
            sensor: "ov7725-colorbar".into(),
            fallback: "pattern".into(),
            deterministic: vec!["test-pattern".into(), "uploaded-stream".into()],
        };
        let p = snapshot_policy(&content);
        assert!(p.content_hashes);
        assert_eq!(p.timing, TimingPolicy::Redact);
        content.deterministic = vec!["uploaded-stream".into()];
        assert!(!snapshot_policy(&content).content_hashes);
    }
}
