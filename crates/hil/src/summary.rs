//! The snapshot text of a capture: stable, readable, one fact per line.
//!
//! Sections: the setup, each step and its result, each stream file's
//! container version and frame table (index, offset, size, pixformat,
//! elapsed, payload sha256), and timing figures per `record`/`replay`
//! step (achieved fps, dropped frames, replay error against the recorded
//! schedule). Values that vary on a board are redacted or bucketed by its
//! [`SnapshotPolicy`] in the golden text ([`render`]); the capture's own
//! `summary.txt` ([`render_capture`]) shows them as measured, with the
//! board's timing figures against its tolerances.

use std::fmt::Write as _;

use omv_proto::{
    EventKind, Fault, FrameSummary, Op, OpError, Outcome, Query, ReadArgs, SensorSettings, Value,
};

use crate::board::{SnapshotPolicy, TimingPolicy};
use crate::capture::{Capture, StepRecord};
use crate::scenario::Scenario;
use crate::stream::StreamTable;
use crate::timing::TimingReport;

/// Characters of a payload's sha256 shown per frame row (64 bits: unique
/// enough to tell frames apart, short enough to read).
pub const SHA_CHARS: usize = 16;

/// Formats values through a board's snapshot policy.
#[derive(Debug, Clone)]
pub struct Fmt {
    policy: SnapshotPolicy,
}

impl Fmt {
    /// A formatter for `policy`.
    pub fn new(policy: SnapshotPolicy) -> Self {
        Fmt { policy }
    }

    /// A duration or interval in µs.
    pub fn us(&self, us: u64) -> String {
        match self.policy.timing {
            TimingPolicy::Exact => format!("{us} us"),
            TimingPolicy::Bucket { quantum_us, .. } => {
                let q = quantum_us.max(1);
                let rounded = us.saturating_add(q / 2) / q * q;
                format!("~{rounded} us")
            }
            TimingPolicy::Redact => "[redacted]".into(),
        }
    }

    /// An absolute board time in µs (seconds with 6 decimals when exact;
    /// redacted otherwise: absolute times differ run to run on real boards).
    pub fn at(&self, us: u64) -> String {
        match self.policy.timing {
            TimingPolicy::Exact => format!("{}.{:06} s", us / 1_000_000, us % 1_000_000),
            _ => "[redacted]".into(),
        }
    }

    /// A rate in frames per second.
    pub fn fps(&self, fps: f64) -> String {
        match self.policy.timing {
            TimingPolicy::Exact => format!("{fps:.3} fps"),
            TimingPolicy::Bucket { fps_step, .. } if fps_step > 0.0 => {
                format!("~{:.3} fps", (fps / fps_step).round() * fps_step)
            }
            TimingPolicy::Bucket { .. } => format!("~{fps:.0} fps"),
            TimingPolicy::Redact => "[redacted]".into(),
        }
    }

    /// A content hash (hex), cut to `chars`.
    pub fn hash(&self, hex: &str, chars: usize) -> String {
        if self.policy.content_hashes {
            hex.chars().take(chars).collect()
        } else {
            "[redacted]".into()
        }
    }
}

/// The snapshot text of `capture`, a run of `scenario`.
pub fn render(scenario: &Scenario, capture: &Capture, policy: &SnapshotPolicy) -> String {
    let f = Fmt::new(policy.clone());
    let mut out = String::new();
    let s = &scenario.sensor;
    let _ = writeln!(out, "scenario: {}", scenario.name);
    let _ = writeln!(out, "description: {}", scenario.description);
    let _ = writeln!(out, "board: {}", capture.board);
    let _ = writeln!(out, "seed: {}", capture.seed);
    let _ = writeln!(
        out,
        "sensor: {}x{} {} {} fps {}",
        s.width,
        s.height,
        s.pixformat.name(),
        s.fps,
        s.content.name()
    );
    let _ = writeln!(
        out,
        "card: {} {} KiB",
        scenario.card.profile, scenario.card.capacity_kib
    );
    out.push_str("\nsteps:\n");
    for st in &capture.steps {
        let _ = writeln!(
            out,
            "  {:>3}  {}  ->  {}",
            step_label(st),
            step_text(&st.op, st.for_us),
            outcome_text(&st.op, &st.outcome, &f)
        );
    }
    for file in &capture.files {
        out.push('\n');
        match file.table() {
            None => {
                let _ = writeln!(out, "file {}: does not exist", file.board_path);
            }
            Some(t) => file_text(&mut out, &file.board_path, &t, &f),
        }
    }
    timing_text(&mut out, capture, &f);
    out
}

/// The capture's own `summary.txt`: the text of [`render`] with timing as
/// measured (only the golden text redacts or buckets it; payload hashes
/// follow `policy`), then, on boards with tolerances, every timing figure
/// against them with its margin ([`TimingReport::text`]).
pub fn render_capture(
    scenario: &Scenario,
    capture: &Capture,
    policy: &SnapshotPolicy,
    timing: Option<&TimingReport>,
) -> String {
    let measured = SnapshotPolicy {
        timing: TimingPolicy::Exact,
        content_hashes: policy.content_hashes,
    };
    let mut out = render(scenario, capture, &measured);
    if let Some(t) = timing {
        out.push('\n');
        out.push_str(&t.text());
    }
    out
}

fn step_label(st: &StepRecord) -> String {
    if st.number == 0 {
        "setup".into()
    } else {
        format!("#{}", st.number)
    }
}

/// A step as text, with its repetition (`record for 30 s`).
pub fn step_text(op: &Op, for_us: Option<u64>) -> String {
    match (op, for_us) {
        (Op::Record { .. }, Some(us)) => format!("record for {} s", us / 1_000_000),
        (op, Some(us)) => format!("{} for {} s", op_text(op), us / 1_000_000),
        (op, None) => op_text(op),
    }
}

/// A step as text, in OpenMV's `image.ImageIO` vocabulary (docs/api.md §3).
pub fn op_text(op: &Op) -> String {
    match op {
        Op::Sensor(s) => format!("sensor {}", sensor_text(s)),
        Op::OpenFile {
            path,
            mode,
            write_version,
        } => match write_version {
            Some(v) => format!("open {:?} {:?} version {v}", path.as_str(), mode.as_str()),
            None => format!("open {:?} {:?}", path.as_str(), mode.as_str()),
        },
        Op::OpenMemory {
            width,
            height,
            pixformat,
            count,
        } => format!(
            "open ({width}, {height}, {}) count {count}",
            pixformat.name()
        ),
        Op::Write => "write".into(),
        Op::Record { frames } => format!("record {frames}"),
        Op::Read(a) => format!("read({})", args_text(a)),
        Op::Replay { frames, args } => match frames {
            Some(n) => format!("replay({}) {n} frames", args_text(args)),
            None => format!("replay({}) until the end", args_text(args)),
        },
        Op::Seek { offset } => format!("seek {offset}"),
        Op::Sync => "sync".into(),
        Op::Close => "close".into(),
        Op::Query(q) => format!("{}()", query_name(*q)),
        Op::Snapshot => "snapshot".into(),
        Op::Diff { args, threshold } => {
            format!("diff({}) threshold {threshold}", args_text(args))
        }
        Op::Sleep { us } => format!("sleep {} ms", us / 1000),
        Op::Fault(Fault::PowerCut) => "power_cut".into(),
        Op::Fault(Fault::WriteLimit { blocks: Some(b) }) => format!("write_limit {b} blocks"),
        Op::Fault(Fault::WriteLimit { blocks: None }) => "write_limit none".into(),
    }
}

fn query_name(q: Query) -> &'static str {
    q.name()
}

fn sensor_text(s: &SensorSettings) -> String {
    let mut parts = Vec::new();
    match (s.width, s.height) {
        (Some(w), Some(h)) => parts.push(format!("{w}x{h}")),
        (Some(w), None) => parts.push(format!("width {w}")),
        (None, Some(h)) => parts.push(format!("height {h}")),
        (None, None) => {}
    }
    if let Some(p) = s.pixformat {
        parts.push(p.name().to_owned());
    }
    if let Some(fps) = s.fps {
        parts.push(format!("{fps} fps"));
    }
    if let Some(c) = s.content {
        parts.push(c.name().to_owned());
    }
    if let Some(seed) = s.seed {
        parts.push(format!("seed {seed}"));
    }
    parts.join(" ")
}

fn args_text(a: &ReadArgs) -> String {
    format!(
        "copy_to_fb={}, loop={}, pause={}",
        a.copy_to_fb, a.loop_, a.pause
    )
}

/// A step's result as text, through the board's policy. Frames that
/// were written or captured (`write`, `snapshot`) show no elapsed time:
/// it belongs to frames read back (the file tables show what was recorded).
pub fn outcome_text(op: &Op, o: &Outcome, f: &Fmt) -> String {
    match (op, o) {
        (Op::Write | Op::Snapshot, Outcome::Ok(Value::Frame(fr))) => frame_text(fr, f, false),
        (_, Outcome::Ok(v)) => value_text(v, f),
        (_, Outcome::Err(e)) => error_text(e),
    }
}

fn error_text(e: &OpError) -> String {
    match e.offset {
        Some(off) => format!("error {} at byte {off}: {}", e.name, e.message),
        None => format!("error {}: {}", e.name, e.message),
    }
}

/// A frame: index, shape, size, crc32, its elapsed time if `elapsed`, and
/// when.
fn frame_text(fr: &FrameSummary, f: &Fmt, elapsed: bool) -> String {
    let elapsed = if elapsed {
        format!(" elapsed {}", f.us(fr.elapsed_us))
    } else {
        String::new()
    };
    format!(
        "frame {}: {}x{} {} {} B crc32 {}{elapsed} at {}",
        fr.index,
        fr.width,
        fr.height,
        fr.pixformat.name(),
        fr.payload_len,
        f.hash(&format!("{:08x}", fr.crc32), 8),
        f.at(fr.t_us)
    )
}

fn value_text(v: &Value, f: &Fmt) -> String {
    match v {
        Value::Unit => "ok".into(),
        Value::None => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Number(n) => n.to_string(),
        Value::Stream(k) => k.name().into(),
        Value::Frame(fr) => frame_text(fr, f, true),
        Value::Record(r) => format!(
            "{} frames from #{}, {} dropped, {} .. {}",
            r.frames,
            r.first_index,
            r.dropped,
            f.at(r.t_start_us),
            f.at(r.t_end_us)
        ),
        Value::Replay(r) => format!(
            "{} frames from {}, {}, max schedule error {}, {} .. {}",
            r.frames,
            r.first_index.map_or("none".to_owned(), |i| format!("#{i}")),
            if r.reached_end {
                "reached the end"
            } else {
                "stopped before the end"
            },
            f.us(r.max_lateness_us),
            f.at(r.t_start_us),
            f.at(r.t_end_us)
        ),
        Value::Diff(d) => format!(
            "{} bytes of {} changed (mean |diff| {}.{:03}) between stream {} and snapshot seq {}",
            d.changed,
            d.compared,
            d.mean_abs_diff_milli / 1000,
            d.mean_abs_diff_milli % 1000,
            frame_text(&d.frame, f, true),
            d.snapshot_seq
        ),
    }
}

fn file_text(out: &mut String, path: &str, t: &StreamTable, f: &Fmt) {
    let version = t.version.map_or("no valid header".to_owned(), |v| {
        format!("V{}.{}", v / 10, v % 10)
    });
    let _ = writeln!(
        out,
        "file {path}: {} bytes, {version}, {} frames",
        t.len,
        t.frames.len()
    );
    if let Some(tail) = &t.truncated_tail {
        let _ = writeln!(out, "  truncated tail: {tail}");
    }
    if let Some(e) = &t.error {
        let _ = writeln!(out, "  read error: {e}");
    }
    if t.frames.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "  {:>5}  {:>10}  {:>11}  {:<10}  {:>12}  {:>8}  sha256",
        "index", "offset", "size", "pixformat", "elapsed", "bytes"
    );
    for r in &t.frames {
        let _ = writeln!(
            out,
            "  {:>5}  {:>10}  {:>11}  {:<10}  {:>12}  {:>8}  {}",
            r.index,
            r.offset,
            format!("{}x{}", r.width, r.height),
            r.pixformat,
            f.us(r.elapsed_us),
            r.payload_len,
            f.hash(&r.sha256, SHA_CHARS)
        );
    }
}

/// Timing figures per step that wrote or released frames.
fn timing_text(out: &mut String, capture: &Capture, f: &Fmt) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(timing: TimingPolicy, content_hashes: bool) -> Fmt {
        Fmt::new(SnapshotPolicy {
            timing,
            content_hashes,
        })
    }

    fn bucket(quantum_us: u64, fps_step: f64) -> Fmt {
        fmt(
            TimingPolicy::Bucket {
                quantum_us,
                fps_step,
            },
            true,
        )
    }

    #[test]
    fn exact_values_on_the_simulator() {
        let f = fmt(TimingPolicy::Exact, true);
        assert_eq!(f.us(33_333), "33333 us");
        assert_eq!(f.at(1_500_042), "1.500042 s");
        assert_eq!(f.fps(29.9999), "30.000 fps");
        assert_eq!(
            f.hash("0123456789abcdef0123", SHA_CHARS),
            "0123456789abcdef"
        );
    }

    #[test]
    fn bucketed_values_round_to_the_quantum_and_hide_absolute_times() {
        let f = bucket(1000, 0.5);
        assert_eq!(f.us(33_333), "~33000 us");
        assert_eq!(f.us(33_500), "~34000 us");
        assert_eq!(f.us(u64::MAX), format!("~{} us", u64::MAX / 1000 * 1000));
        assert_eq!(f.at(1_500_042), "[redacted]");
        assert_eq!(f.fps(29.8), "~30.000 fps");
        let zero = bucket(0, 0.0);
        assert_eq!(zero.us(7), "~7 us");
        assert_eq!(zero.fps(29.6), "~30 fps");
    }

    #[test]
    fn redacted_timing_and_content() {
        let f = fmt(TimingPolicy::Redact, false);
        assert_eq!(f.us(1), "[redacted]");
        assert_eq!(f.fps(30.0), "[redacted]");
        assert_eq!(f.hash("abc", 3), "[redacted]");
    }
}
