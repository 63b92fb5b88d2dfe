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

use crate::boards::sections::{ContentSection, TimingSection};
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

/// Timing figures of a scenario, measured on the board's clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// The sensor rate asked for by the recording step that strays most
    /// (0 = nothing paced to compare).
    pub fps_expected: f64,
    /// That step's sensor rate: sensor frames advanced per second of
    /// capture time (dropped frames count, so a slow card does not lower it).
    pub fps_achieved: f64,
    /// Largest deviation of the capture time between two written frames
    /// from the sensor period times the frames between them, µs.
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

/// The written frames of one step so far: (sensor seq, capture time) of
/// the first and of the latest.
#[derive(Debug, Clone, Copy)]
struct Run {
    step: u32,
    first: (u32, u64),
    last: (u32, u64),
}

/// The figures of a trace (one scenario's events, board-time order).
/// `fps_at(step)` is the sensor rate in force during a step (0 = unpaced:
/// nothing to compare). Recording: written frames' capture times against
/// the sensor grid (`seq × period`) and the sensor rate per step; replay:
/// lateness of each released frame against the recorded schedule; drops:
/// the sum of `FramesDropped`.
pub fn measure(events: &[Event], fps_at: impl Fn(u32) -> u16) -> Measured {
    let mut m = Measured {
        fps_expected: 0.0,
        fps_achieved: 0.0,
        max_interval_error_us: 0,
        max_replay_error_us: 0,
        dropped_frames: 0,
    };
    let mut worst_rate = 0.0f64;
    let mut run: Option<Run> = None;
    let mut close_run = |run: Option<Run>, m: &mut Measured| {
        let Some(Run {
            step,
            first: (s0, t0),
            last: (s1, t1),
        }) = run
        else {
            return;
        };
        let fps = fps_at(step);
        if fps == 0 || t1 <= t0 || s1 <= s0 {
            return;
        }
        let rate = f64::from(s1 - s0) * 1e6 / (t1 - t0) as f64;
        let off = (rate - f64::from(fps)).abs() / f64::from(fps);
        if off >= worst_rate {
            worst_rate = off;
            m.fps_expected = f64::from(fps);
            m.fps_achieved = rate;
        }
    };
    for e in events {
        match e.kind {
            EventKind::FrameWritten {
                seq, captured_us, ..
            } => {
                run = match run {
                    Some(Run {
                        step,
                        first,
                        last: (ps, pt),
                    }) if step == e.step && seq > ps => {
                        let fps = fps_at(step);
                        if fps > 0 {
                            let period = 1_000_000 / u64::from(fps);
                            let expected = u64::from(seq - ps).saturating_mul(period);
                            let got = captured_us.saturating_sub(pt);
                            m.max_interval_error_us =
                                m.max_interval_error_us.max(got.abs_diff(expected));
                        }
                        Some(Run {
                            step,
                            first,
                            last: (seq, captured_us),
                        })
                    }
                    other => {
                        close_run(other, &mut m);
                        Some(Run {
                            step: e.step,
                            first: (seq, captured_us),
                            last: (seq, captured_us),
                        })
                    }
                };
            }
            EventKind::FrameReleased { scheduled_us, .. } => {
                m.max_replay_error_us = m
                    .max_replay_error_us
                    .max(e.t_us.saturating_sub(scheduled_us));
            }
            EventKind::FramesDropped { count, .. } => {
                m.dropped_frames = m.dropped_frames.saturating_add(count);
            }
            EventKind::StepFailed { .. } => {}
        }
    }
    close_run(run, &mut m);
    m
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
    if let Some(allowed) = tol.dropped_frames {
        if m.dropped_frames > allowed {
            out.push(Violation {
                figure: "dropped frames",
                measured: m.dropped_frames.to_string(),
                allowed: format!("≤ {allowed}"),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const TOL: TimingSection = TimingSection {
        quantum_us: 0,
        fps_step: 1.0,
        frame_interval_us: 2000,
        replay_error_us: 3000,
        fps_percent: 5.0,
        dropped_frames: Some(0),
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

    fn written(step: u32, seq: u32, t: u64) -> Event {
        Event {
            t_us: t + 500,
            step,
            kind: EventKind::FrameWritten {
                index: 0,
                seq,
                captured_us: t,
                payload_len: 0,
                crc32: 0,
            },
        }
    }

    #[test]
    fn recordings_are_measured_against_the_sensor_grid_and_drops_do_not_count_as_lateness() {
        // 30 fps = 33 333 µs. Step 1: frames 0, 1, then 4 (two dropped,
        // on the grid), then 5 arriving 2 500 µs late.
        let mut ev = vec![
            written(1, 0, 0),
            written(1, 1, 33_333),
            written(1, 4, 133_332),
            written(1, 5, 169_165),
        ];
        ev.push(Event {
            t_us: 100,
            step: 1,
            kind: EventKind::FramesDropped { count: 2, seq: 4 },
        });
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
        let m = measure(&ev, |_| 30);
        assert_eq!(m.max_interval_error_us, 2_500);
        assert_eq!(m.max_replay_error_us, 3_000);
        assert_eq!(m.dropped_frames, 2);
        assert_eq!(m.fps_expected, 30.0);
        // 5 sensor frames in 169 165 µs: 29.56 fps, within 5 %.
        assert!((m.fps_achieved - 5e6 / 169_165.0).abs() < 1e-9);
        let v = check(&TOL, &m);
        let figures: Vec<&str> = v.iter().map(|v| v.figure).collect();
        assert_eq!(figures, ["frame interval", "dropped frames"]);
        // Without a drop tolerance, drops are not judged.
        let no_drops = TimingSection {
            dropped_frames: None,
            ..TOL
        };
        assert_eq!(check(&no_drops, &m).len(), 1);
    }

    #[test]
    fn each_step_is_measured_at_its_own_rate() {
        // Step 1 at 10 fps on time, step 3 at 20 fps on time; the sequence
        // restarts between them (a new sensor setting).
        let ev = vec![
            written(1, 0, 0),
            written(1, 1, 100_000),
            written(3, 0, 500_000),
            written(3, 2, 600_000),
        ];
        let m = measure(&ev, |step| if step == 1 { 10 } else { 20 });
        assert_eq!(m.max_interval_error_us, 0);
        assert_eq!(check(&TOL, &m), vec![]);
    }

    #[test]
    fn an_unpaced_or_empty_trace_has_nothing_to_compare() {
        let m = measure(&[written(1, 0, 0), written(1, 1, 900_000)], |_| 0);
        assert_eq!(m.max_interval_error_us, 0);
        assert_eq!(m.fps_expected, 0.0);
        assert_eq!(check(&TOL, &m), vec![]);
        assert_eq!(check(&TOL, &measure(&[], |_| 30)), vec![]);
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
