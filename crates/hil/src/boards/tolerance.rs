//! Timing on boards whose clock is not exact (`qemu`, `h7`): measured
//! from the trace and judged against the board file's `[timing]`
//! tolerances ([`report`]), redacted in golden snapshots but shown with
//! their margins in the capture's `summary.txt`, the verdict line and JUnit
//! ([`crate::timing`]); and the h7's golden policy: content hashes only for
//! deterministic content.
//!
//! The agent records only deterministic content: the OV7725's colour-bar
//! test pattern, the software pattern generator (the simulator's own code),
//! or a stream the harness uploaded. Live camera images never reach a
//! capture, so payload hashes are kept in `golden/h7/` as long as the board
//! file lists `test-pattern` as deterministic. Times, rates and lateness
//! depend on the SD card and USB scheduling of the moment: they are
//! redacted in snapshots and each run is checked against `[timing]`.

use std::collections::BTreeMap;

use crate::boards::sections::{ContentSection, TimingSection};
use omv_proto::{Event, EventKind, Op};

use crate::board::{SnapshotPolicy, TimingPolicy};
use crate::capture::Capture;
use crate::scenario::Scenario;
use crate::timing::{Bound, Figure, TimingReport, Unit};

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
    /// Written frames of the trace.
    pub written_frames: u32,
    /// Intervals between written frames of paced steps (what
    /// `max_interval_error_us` is the worst of).
    pub intervals: u32,
    /// Replayed frames released (what `max_replay_error_us` is the worst of).
    pub released_frames: u32,
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
        written_frames: 0,
        intervals: 0,
        released_frames: 0,
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
                m.written_frames = m.written_frames.saturating_add(1);
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
                            m.intervals = m.intervals.saturating_add(1);
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
                m.released_frames = m.released_frames.saturating_add(1);
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

/// The figures of `m` the trace has something to measure for, against
/// `tol`: frame interval error (paced recordings), replay lateness
/// (replays), fps deviation (a paced step of two or more frames), dropped
/// frames (any recording; judged only if the board file caps them).
pub fn judge(tol: &TimingSection, m: &Measured) -> Vec<Figure> {
    let figure = |key, label, unit, measured, tolerance, bound| Figure {
        key,
        label,
        unit,
        measured,
        tolerance,
        bound,
        context: None,
        extra: vec![],
    };
    let mut out = vec![];
    if m.intervals > 0 {
        out.push(figure(
            "frame_interval_error",
            "frame interval error",
            Unit::Us,
            m.max_interval_error_us as f64,
            Some(tol.frame_interval_us as f64),
            Bound::PlusMinus,
        ));
    }
    if m.released_frames > 0 {
        out.push(figure(
            "replay_lateness",
            "replay lateness",
            Unit::Us,
            m.max_replay_error_us as f64,
            Some(tol.replay_error_us as f64),
            Bound::AtMost,
        ));
    }
    // No rate asked for (e.g. as-fast-as-possible): nothing to compare.
    if m.fps_expected > 0.0 && m.fps_expected.is_finite() {
        let percent = (m.fps_achieved - m.fps_expected).abs() / m.fps_expected * 100.0;
        out.push(Figure {
            context: Some(format!("{:.3} fps for {}", m.fps_achieved, m.fps_expected)),
            extra: vec![
                ("achieved_fps", m.fps_achieved),
                ("expected_fps", m.fps_expected),
            ],
            ..figure(
                "fps_deviation",
                "fps deviation",
                Unit::Percent,
                // A NaN rate stays NaN: its margin is NaN, outside.
                percent,
                Some(tol.fps_percent),
                Bound::PlusMinus,
            )
        });
    }
    if m.written_frames > 0 || m.dropped_frames > 0 {
        out.push(figure(
            "dropped_frames",
            "dropped frames",
            Unit::Frames,
            f64::from(m.dropped_frames),
            tol.dropped_frames.map(f64::from),
            Bound::AtMost,
        ));
    }
    out
}

/// The sensor rate in force at each step: the scenario's own, changed by
/// `sensor` steps that set `fps` (from that step on).
pub fn fps_at(initial: u16, capture: &Capture) -> impl Fn(u32) -> u16 {
    let mut rates = BTreeMap::new();
    rates.insert(0, initial);
    for st in &capture.steps {
        if let Op::Sensor(s) = &st.op {
            if let Some(fps) = s.fps {
                rates.insert(st.number, fps);
            }
        }
    }
    move |step| {
        rates
            .range(..=step)
            .next_back()
            .map_or(initial, |(_, fps)| *fps)
    }
}

/// The timing of `capture` (a run of `scenario`) against `tol`, read from
/// `source` (`hil/boards/qemu.toml [timing]`).
pub fn report(
    source: &str,
    tol: &TimingSection,
    scenario: &Scenario,
    capture: &Capture,
) -> TimingReport {
    let m = measure(&capture.events, fps_at(scenario.sensor.fps, capture));
    TimingReport {
        source: source.to_owned(),
        figures: judge(tol, &m),
    }
}

#[cfg(test)]
mod tests;
