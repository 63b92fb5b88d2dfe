//! Tests of the timing figures and their tolerances.
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
        fps_achieved: 28.5,
        max_interval_error_us: 2000,
        max_replay_error_us: 3000,
        dropped_frames: 0,
        written_frames: 10,
        intervals: 9,
        released_frames: 10,
    }
}

/// The lines of the figures outside their tolerance.
fn outside(tol: &TimingSection, m: &Measured) -> Vec<String> {
    judge(tol, m)
        .iter()
        .filter(|f| !f.within())
        .map(ToString::to_string)
        .collect()
}

fn keys(figures: &[Figure]) -> Vec<&'static str> {
    figures.iter().map(|f| f.key).collect()
}

#[test]
fn figures_at_the_limits_pass_with_zero_margin() {
    let figures = judge(&TOL, &good());
    assert_eq!(
        keys(&figures),
        [
            "frame_interval_error",
            "replay_lateness",
            "fps_deviation",
            "dropped_frames"
        ]
    );
    assert!(figures.iter().all(Figure::within));
    assert_eq!(
        figures[1].to_string(),
        "replay lateness 3 ms ≤ 3 ms tolerance (margin 0 ms)"
    );
    assert_eq!(
        figures[2].to_string(),
        "fps deviation 5 % (28.500 fps for 30) ≤ ±5 % tolerance (margin 0 %)"
    );
}

#[test]
fn each_figure_past_its_limit_is_reported_with_value_tolerance_and_margin() {
    let m = Measured {
        fps_achieved: 28.4,
        max_interval_error_us: 2001,
        max_replay_error_us: 3500,
        dropped_frames: 1,
        ..good()
    };
    assert_eq!(
        outside(&TOL, &m),
        [
            "frame interval error 2.001 ms > ±2 ms tolerance (margin -0.001 ms)",
            "replay lateness 3.5 ms > 3 ms tolerance (margin -0.5 ms)",
            "fps deviation 5.333 % (28.400 fps for 30) > ±5 % tolerance (margin -0.333 %)",
            "dropped frames 1 > 0 tolerance (margin -1)",
        ]
    );
}

#[test]
fn no_expected_rate_and_nan_are_handled() {
    let m = Measured {
        fps_expected: 0.0,
        fps_achieved: 12.0,
        ..good()
    };
    assert!(!keys(&judge(&TOL, &m)).contains(&"fps_deviation"));
    assert!(outside(&TOL, &m).is_empty());
    let m = Measured {
        fps_achieved: f64::NAN,
        ..good()
    };
    assert_eq!(outside(&TOL, &m).len(), 1);
    assert!(outside(&TOL, &m)[0].starts_with("fps deviation NaN %"));
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
    assert_eq!(
        (m.written_frames, m.intervals, m.released_frames),
        (4, 3, 1)
    );
    assert_eq!(m.fps_expected, 30.0);
    // 5 sensor frames in 169 165 µs: 29.56 fps, within 5 %.
    assert!((m.fps_achieved - 5e6 / 169_165.0).abs() < 1e-9);
    let failing: Vec<&str> = judge(&TOL, &m)
        .iter()
        .filter(|f| !f.within())
        .map(|f| f.key)
        .collect();
    assert_eq!(failing, ["frame_interval_error", "dropped_frames"]);
    // Without a drop tolerance, drops are shown but not judged.
    let no_drops = TimingSection {
        dropped_frames: None,
        ..TOL
    };
    let figures = judge(&no_drops, &m);
    assert_eq!(figures.iter().filter(|f| !f.within()).count(), 1);
    assert_eq!(figures[3].margin(), None);
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
    assert!(outside(&TOL, &m).is_empty());
}

#[test]
fn an_unpaced_or_empty_trace_has_nothing_to_compare() {
    let m = measure(&[written(1, 0, 0), written(1, 1, 900_000)], |_| 0);
    assert_eq!(m.max_interval_error_us, 0);
    assert_eq!(m.fps_expected, 0.0);
    // Only the (zero) drops of the recording are shown.
    assert_eq!(keys(&judge(&TOL, &m)), ["dropped_frames"]);
    assert!(judge(&TOL, &measure(&[], |_| 30)).is_empty());
}

#[test]
fn sensor_steps_change_the_rate_from_their_step_on() {
    use crate::capture::StepRecord;
    use crate::scenario::Expect;
    use omv_proto::{Outcome, SensorSettings, Value};
    let step = |number: u32, op: Op| StepRecord {
        number,
        line: 0,
        op,
        for_us: None,
        expect: Expect::Ok,
        outcome: Outcome::Ok(Value::None),
        failure: None,
    };
    let fps = |f: Option<u16>| {
        Op::Sensor(SensorSettings {
            fps: f,
            ..Default::default()
        })
    };
    let cap = Capture {
        scenario: "s".into(),
        board: "qemu".into(),
        seed: 0,
        steps: vec![
            step(1, Op::Record { frames: 2 }),
            step(2, fps(None)),
            step(3, fps(Some(10))),
            step(4, Op::Record { frames: 2 }),
        ],
        events: vec![],
        files: vec![],
    };
    let at = fps_at(25, &cap);
    assert_eq!((at(0), at(1), at(2), at(3), at(4)), (25, 25, 25, 10, 10));
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
