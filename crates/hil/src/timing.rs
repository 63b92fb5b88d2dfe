//! Timing figures a board measured in a capture, judged against the
//! tolerances of its board file, with the margin each one kept or missed.
//!
//! On `qemu` and `h7` the golden snapshot redacts timing (it varies run to
//! run); these figures are what a user sees instead: in the capture's
//! `summary.txt` ([`TimingReport::text`]), on the verdict line (the first
//! figure outside its tolerance, or the tightest one when all hold) and as
//! JUnit `<properties>` ([`TimingReport::properties`]). The boards build a
//! report with [`crate::boards::tolerance::report`].

use std::fmt;

/// What a figure is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Microseconds (shown in ms).
    Us,
    /// Percent.
    Percent,
    /// Frames.
    Frames,
}

impl Unit {
    /// The suffix of this unit's JUnit property names (`measured_us`).
    pub fn suffix(self) -> &'static str {
        match self {
            Unit::Us => "us",
            Unit::Percent => "percent",
            Unit::Frames => "frames",
        }
    }

    /// `v` in this unit as text: µs as ms with up to 3 decimals (`49.8 ms`),
    /// percent with up to 3, frames as a whole number.
    pub fn show(self, v: f64) -> String {
        match self {
            Unit::Us => format!("{} ms", trimmed(v / 1000.0, 3)),
            Unit::Percent => format!("{} %", trimmed(v, 3)),
            Unit::Frames => trimmed(v, 0),
        }
    }
}

/// How the tolerance bounds a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// The figure may be at most the tolerance (`≤ 25 ms`).
    AtMost,
    /// The figure is a deviation either way, at most the tolerance (`±1 ms`).
    PlusMinus,
}

/// One measured figure and its tolerance.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Name in JUnit properties: `frame_interval_error`, `replay_lateness`,
    /// `fps_deviation`, `dropped_frames`.
    pub key: &'static str,
    /// Name in text: `frame interval error`, `replay lateness`, ...
    pub label: &'static str,
    /// What `measured` and `tolerance` count.
    pub unit: Unit,
    /// The worst value in the capture.
    pub measured: f64,
    /// What the board file allows; `None`: not judged (the file sets none).
    pub tolerance: Option<f64>,
    /// How `tolerance` bounds `measured`.
    pub bound: Bound,
    /// What the figure was measured from, shown after it (`30.410 fps for 30`).
    pub context: Option<String>,
    /// Further values for JUnit properties (`achieved_fps`), each
    /// `timing.<key>.<name>`.
    pub extra: Vec<(&'static str, f64)>,
}

impl Figure {
    /// Tolerance minus measured: negative when outside the tolerance
    /// (`None` if not judged; NaN if the figure could not be measured).
    pub fn margin(&self) -> Option<f64> {
        self.tolerance.map(|t| t - self.measured)
    }

    /// True unless the figure is judged and outside its tolerance (or NaN).
    pub fn within(&self) -> bool {
        self.margin().is_none_or(|m| m >= 0.0)
    }

    /// The margin as a fraction of the tolerance, to find the tightest
    /// figure (`None` if not judged).
    fn slack(&self) -> Option<f64> {
        let (t, m) = (self.tolerance?, self.margin()?);
        Some(if m.is_nan() {
            f64::NEG_INFINITY
        } else if t > 0.0 {
            m / t
        } else if m >= 0.0 {
            0.0
        } else {
            f64::NEG_INFINITY
        })
    }
}

impl fmt::Display for Figure {
    /// `replay lateness 49.8 ms > 25 ms tolerance (margin -24.8 ms)`, or
    /// `dropped frames 3 (not judged: no tolerance in the board file)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.label, self.unit.show(self.measured))?;
        if let Some(c) = &self.context {
            write!(f, " ({c})")?;
        }
        match (self.tolerance, self.margin()) {
            (Some(t), Some(m)) => {
                let op = if self.within() { "≤" } else { ">" };
                let pm = if self.bound == Bound::PlusMinus {
                    "±"
                } else {
                    ""
                };
                write!(
                    f,
                    " {op} {pm}{} tolerance (margin {})",
                    self.unit.show(t),
                    self.unit.show(m)
                )
            }
            _ => f.write_str(" (not judged: no tolerance in the board file)"),
        }
    }
}

/// The timing figures of one capture against one board file's tolerances.
#[derive(Debug, Clone, PartialEq)]
pub struct TimingReport {
    /// Where the tolerances come from: `hil/boards/qemu.toml [timing]`.
    pub source: String,
    /// The figures the capture has something to measure for, in a fixed
    /// order: frame interval error, replay lateness, fps deviation, drops.
    pub figures: Vec<Figure>,
}

impl TimingReport {
    /// One line per figure outside its tolerance, the figure first
    /// (`replay lateness 49.8 ms > 25 ms tolerance (margin -24.8 ms), from
    /// hil/boards/qemu.toml [timing]`); empty when every figure holds.
    pub fn failures(&self) -> Vec<String> {
        self.figures
            .iter()
            .filter(|f| !f.within())
            .map(|f| format!("{f}, from {}", self.source))
            .collect()
    }

    /// The judged figure closest to (or furthest past) its tolerance,
    /// relative to the tolerance.
    pub fn tightest(&self) -> Option<&Figure> {
        self.figures
            .iter()
            .filter_map(|f| f.slack().map(|s| (s, f)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, f)| f)
    }

    /// The `timing against ...` section of a capture's `summary.txt`: every
    /// figure with its tolerance and margin, then the verdict.
    pub fn text(&self) -> String {
        let mut out = format!(
            "timing against {} (as measured; the golden snapshot does not keep them exact):\n",
            self.source
        );
        if self.figures.is_empty() {
            out.push_str("  nothing to measure: no frames written, released or dropped\n");
            return out;
        }
        for f in &self.figures {
            out.push_str("  ");
            out.push_str(&f.to_string());
            out.push('\n');
        }
        let outside: Vec<&str> = self
            .figures
            .iter()
            .filter(|f| !f.within())
            .map(|f| f.label)
            .collect();
        if outside.is_empty() {
            out.push_str("  all within tolerance\n");
        } else {
            out.push_str(&format!("  OUTSIDE tolerance: {}\n", outside.join(", ")));
        }
        out
    }

    /// JUnit `<property>` name/value pairs: `timing.source`, then per figure
    /// `timing.<key>.measured_<unit>`, `.tolerance_<unit>`, `.margin_<unit>`
    /// and `.within` (the last three only when judged), and its extras.
    pub fn properties(&self) -> Vec<(String, String)> {
        let mut out = vec![("timing.source".to_owned(), self.source.clone())];
        for f in &self.figures {
            let name = |what: &str| format!("timing.{}.{what}", f.key);
            let unit = f.unit.suffix();
            out.push((name(&format!("measured_{unit}")), trimmed(f.measured, 3)));
            if let (Some(t), Some(m)) = (f.tolerance, f.margin()) {
                out.push((name(&format!("tolerance_{unit}")), trimmed(t, 3)));
                out.push((name(&format!("margin_{unit}")), trimmed(m, 3)));
                out.push((name("within"), f.within().to_string()));
            }
            for (k, v) in &f.extra {
                out.push((name(k), trimmed(*v, 3)));
            }
        }
        out
    }
}

/// `v` with at most `decimals` decimals, trailing zeros dropped
/// (`49.8`, `25`, `-0.33`); `NaN` and infinities as Rust prints them.
fn trimmed(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    };
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lateness(measured: f64) -> Figure {
        Figure {
            key: "replay_lateness",
            label: "replay lateness",
            unit: Unit::Us,
            measured,
            tolerance: Some(25_000.0),
            bound: Bound::AtMost,
            context: None,
            extra: vec![],
        }
    }

    #[test]
    fn a_figure_shows_its_value_tolerance_and_signed_margin() {
        assert_eq!(
            lateness(49_800.0).to_string(),
            "replay lateness 49.8 ms > 25 ms tolerance (margin -24.8 ms)"
        );
        assert_eq!(
            lateness(420.0).to_string(),
            "replay lateness 0.42 ms ≤ 25 ms tolerance (margin 24.58 ms)"
        );
        let fps = Figure {
            key: "fps_deviation",
            label: "fps deviation",
            unit: Unit::Percent,
            measured: 1.0 / 3.0,
            tolerance: Some(1.0),
            bound: Bound::PlusMinus,
            context: Some("29.900 fps for 30".into()),
            extra: vec![],
        };
        assert_eq!(
            fps.to_string(),
            "fps deviation 0.333 % (29.900 fps for 30) ≤ ±1 % tolerance (margin 0.667 %)"
        );
        let drops = Figure {
            key: "dropped_frames",
            label: "dropped frames",
            unit: Unit::Frames,
            measured: 3.0,
            tolerance: None,
            bound: Bound::AtMost,
            context: None,
            extra: vec![],
        };
        assert!(drops.within());
        assert_eq!(
            drops.to_string(),
            "dropped frames 3 (not judged: no tolerance in the board file)"
        );
    }

    #[test]
    fn a_value_exactly_at_its_tolerance_holds_and_nan_does_not() {
        assert!(lateness(25_000.0).within());
        assert!(!lateness(25_001.0).within());
        assert!(!lateness(f64::NAN).within());
    }

    #[test]
    fn the_report_lists_failures_the_tightest_figure_and_properties() {
        let mut interval = lateness(900.0);
        interval.key = "frame_interval_error";
        interval.label = "frame interval error";
        interval.tolerance = Some(1000.0);
        interval.bound = Bound::PlusMinus;
        let r = TimingReport {
            source: "hil/boards/qemu.toml [timing]".into(),
            figures: vec![interval, lateness(3_000.0)],
        };
        assert!(r.failures().is_empty());
        // 100 µs of 1 ms left is tighter than 22 ms of 25 ms.
        assert_eq!(r.tightest().unwrap().key, "frame_interval_error");
        assert!(
            r.text().contains("  all within tolerance\n"),
            "{}",
            r.text()
        );
        let props = r.properties();
        let get = |n: &str| props.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("timing.replay_lateness.measured_us"), Some("3000"));
        assert_eq!(get("timing.replay_lateness.tolerance_us"), Some("25000"));
        assert_eq!(get("timing.replay_lateness.margin_us"), Some("22000"));
        assert_eq!(get("timing.replay_lateness.within"), Some("true"));
        assert_eq!(get("timing.source"), Some("hil/boards/qemu.toml [timing]"));

        let late = TimingReport {
            figures: vec![lateness(49_800.0)],
            ..r
        };
        assert_eq!(
            late.failures(),
            ["replay lateness 49.8 ms > 25 ms tolerance (margin -24.8 ms), from hil/boards/qemu.toml [timing]"]
        );
        assert!(late.text().contains("OUTSIDE tolerance: replay lateness"));
    }

    #[test]
    fn numbers_are_trimmed() {
        assert_eq!(trimmed(49.8, 3), "49.8");
        assert_eq!(trimmed(25.0, 3), "25");
        assert_eq!(trimmed(-0.0001, 3), "0");
        assert_eq!(trimmed(33.3333, 3), "33.333");
        assert_eq!(trimmed(f64::NAN, 3), "NaN");
    }
}
