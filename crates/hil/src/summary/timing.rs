//! The snapshot's `timing:` section: per step that wrote or released
//! frames, the achieved rate, drops, intervals, capture-to-written latency
//! and the replay error against the recorded schedule.

use omv_proto::EventKind;

use super::Fmt;
use crate::capture::Capture;

/// Timing figures per step that wrote or released frames.
pub(super) fn timing_text(out: &mut String, capture: &Capture, f: &Fmt) {
    let mut lines = Vec::new();
    for st in &capture.steps {
        let evs: Vec<_> = capture
            .events
            .iter()
            .filter(|e| e.step == st.number)
            .collect();
        // Each written frame's capture time, and how long it took from
        // capture to the stream.
        let (captured, latency): (Vec<u64>, Vec<u64>) = evs
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::FrameWritten { captured_us, .. } => {
                    Some((captured_us, e.t_us.saturating_sub(captured_us)))
                }
                _ => None,
            })
            .unzip();
        let dropped: u64 = evs
            .iter()
            .map(|e| match e.kind {
                EventKind::FramesDropped { count, .. } => u64::from(count),
                _ => 0,
            })
            .sum();
        let released: Vec<(u64, u64)> = evs
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::FrameReleased { scheduled_us, .. } => Some((e.t_us, scheduled_us)),
                _ => None,
            })
            .collect();
        if captured.len() > 1 {
            lines.push(format!(
                "  #{} wrote {} frames: {}, {} dropped, intervals {}, capture to written {}",
                st.number,
                captured.len(),
                rate(&captured, f),
                dropped,
                intervals(&captured, f),
                spread(&latency, f)
            ));
        } else if dropped > 0 {
            lines.push(format!(
                "  #{} the sensor dropped {dropped} frames (the snapshot came late)",
                st.number
            ));
        }
        if released.len() > 1 {
            let errs: Vec<u64> = released.iter().map(|(t, s)| t.abs_diff(*s)).collect();
            let max = errs.iter().copied().max().unwrap_or(0);
            let mean = errs.iter().sum::<u64>() / errs.len() as u64;
            let times: Vec<u64> = released.iter().map(|(t, _)| *t).collect();
            lines.push(format!(
                "  #{} released {} frames: {}, replay error vs recorded schedule max {} mean {}",
                st.number,
                released.len(),
                rate(&times, f),
                f.us(max),
                f.us(mean)
            ));
        }
    }
    if !lines.is_empty() {
        out.push_str("\ntiming:\n");
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
    }
}

/// Frames per second over a sequence of times (µs).
fn rate(times: &[u64], f: &Fmt) -> String {
    match (times.first(), times.last()) {
        (Some(a), Some(b)) if b > a && times.len() > 1 => {
            let fps = (times.len() - 1) as f64 * 1e6 / (b - a) as f64;
            f.fps(fps)
        }
        _ => "rate n/a".into(),
    }
}

fn intervals(times: &[u64], f: &Fmt) -> String {
    let gaps: Vec<u64> = times
        .windows(2)
        .map(|w| w[1].saturating_sub(w[0]))
        .collect();
    spread(&gaps, f)
}

/// `min X max Y` of durations.
fn spread(values: &[u64], f: &Fmt) -> String {
    match (values.iter().min(), values.iter().max()) {
        (Some(a), Some(b)) => format!("min {} max {}", f.us(*a), f.us(*b)),
        _ => "n/a".into(),
    }
}
