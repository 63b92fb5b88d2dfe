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

mod ops;
mod timing;

pub use ops::{op_text, outcome_text, step_text};

use std::fmt::Write as _;

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
    timing::timing_text(&mut out, capture, &f);
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
