//! What a run tells of each scenario: its [`Verdict`], its
//! [`ScenarioResult`] and one line of it, and the [`Totals`] of a run.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::board::BoardError;
use crate::golden::GoldenCheck;
use crate::scenario::Scenario;
use crate::timing::TimingReport;

/// How a scenario ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every expectation held and the summary equals the golden snapshot.
    Pass,
    /// One or more expectations failed (listed in [`ScenarioResult::failures`]).
    Fail,
    /// The expectations held but the summary differs from the golden snapshot.
    SnapshotChanged,
    /// The expectations held but there is no golden snapshot yet.
    SnapshotMissing,
    /// The board failed; the scenario could not complete.
    Error,
    /// The scenario does not run on this board.
    Skipped,
}

impl Verdict {
    /// A short word for summaries: `pass`, `FAIL`, `snapshot changed`, ...
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::SnapshotChanged => "snapshot changed",
            Verdict::SnapshotMissing => "snapshot missing",
            Verdict::Error => "ERROR",
            Verdict::Skipped => "skipped",
        }
    }

    /// True unless the scenario passed or was skipped.
    pub fn is_failure(&self) -> bool {
        !matches!(self, Verdict::Pass | Verdict::Skipped)
    }
}

/// One scenario's result on one board.
#[derive(Debug, Clone)]
pub struct ScenarioResult {
    /// The scenario's name.
    pub name: String,
    /// The board's name.
    pub board: String,
    /// How it ended.
    pub verdict: Verdict,
    /// Wall time of the run.
    pub duration: Duration,
    /// Expectation failures, board errors, skip reason, snapshot messages:
    /// what the user needs to read, one entry per line.
    pub failures: Vec<String>,
    /// The snapshot text, if the scenario ran.
    pub summary: Option<String>,
    /// What the golden comparison found.
    pub golden: Option<GoldenCheck>,
    /// Where the capture was saved.
    pub capture_dir: Option<PathBuf>,
    /// Something worth knowing that is not a failure (e.g. the golden
    /// snapshot was not compared because `--seed` was given).
    pub note: Option<String>,
    /// The timing figures against the board file's tolerances, on boards
    /// that have them ([`Board::timing`](crate::Board::timing)).
    pub timing: Option<TimingReport>,
}

impl ScenarioResult {
    /// A result of scenario `name` on `board` with `verdict` and nothing
    /// else yet: no time, failures, summary, golden check, capture, note
    /// or timing.
    pub fn new(name: &str, board: &str, verdict: Verdict) -> ScenarioResult {
        ScenarioResult {
            name: name.to_owned(),
            board: board.to_owned(),
            verdict,
            duration: Duration::ZERO,
            failures: Vec::new(),
            summary: None,
            golden: None,
            capture_dir: None,
            note: None,
            timing: None,
        }
    }

    /// The one summary line: verdict, name, time, and the first reason
    /// (a timing figure outside its tolerance names itself with its
    /// margin); with no failure, the note and the tightest timing figure.
    pub fn line(&self) -> String {
        let mut s = format!(
            "{:<16} {:<40} {:>7.2} s",
            self.verdict.label(),
            self.name,
            self.duration.as_secs_f64()
        );
        if let Some(first) = self.failures.first() {
            s.push_str("  ");
            s.push_str(first.lines().next().unwrap_or(""));
        } else {
            let tightest = self
                .timing
                .as_ref()
                .and_then(TimingReport::tightest)
                .map(|f| format!("tightest: {f}"));
            let notes: Vec<String> = self.note.iter().cloned().chain(tightest).collect();
            if !notes.is_empty() {
                s.push_str("  (");
                s.push_str(&notes.join("; "));
                s.push(')');
            }
        }
        s
    }
}

/// How many results of a run ended each way, as the run's last line and
/// the report's first say it: `N scenarios: P passed, F failed, C snapshot
/// changed, M snapshot missing, E errors, S skipped`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Every result.
    pub scenarios: usize,
    /// [`Verdict::Pass`].
    pub passed: usize,
    /// [`Verdict::Fail`].
    pub failed: usize,
    /// [`Verdict::SnapshotChanged`].
    pub changed: usize,
    /// [`Verdict::SnapshotMissing`].
    pub missing: usize,
    /// [`Verdict::Error`].
    pub errors: usize,
    /// [`Verdict::Skipped`].
    pub skipped: usize,
}

impl Totals {
    /// Count `results`.
    pub fn of(results: &[ScenarioResult]) -> Totals {
        let mut t = Totals {
            scenarios: results.len(),
            ..Totals::default()
        };
        for r in results {
            *match r.verdict {
                Verdict::Pass => &mut t.passed,
                Verdict::Fail => &mut t.failed,
                Verdict::SnapshotChanged => &mut t.changed,
                Verdict::SnapshotMissing => &mut t.missing,
                Verdict::Error => &mut t.errors,
                Verdict::Skipped => &mut t.skipped,
            } += 1;
        }
        t
    }
}

impl fmt::Display for Totals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} scenarios: {} passed, {} failed, {} snapshot changed, {} snapshot missing, {} errors, {} skipped",
            self.scenarios, self.passed, self.failed, self.changed, self.missing, self.errors, self.skipped
        )
    }
}

/// The results when the board could not even be opened: every scenario
/// is an error with the board's message (so CI reports still list them).
pub fn board_unavailable(
    board: &str,
    scenarios: &[Scenario],
    err: &BoardError,
) -> Vec<ScenarioResult> {
    scenarios
        .iter()
        .map(|s| ScenarioResult {
            failures: vec![err.to_string()],
            ..ScenarioResult::new(&s.name, board, Verdict::Error)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_count_each_verdict_once() {
        let r = |v| ScenarioResult::new("s", "sim", v);
        let results = [
            r(Verdict::Pass),
            r(Verdict::Pass),
            r(Verdict::Fail),
            r(Verdict::SnapshotChanged),
            r(Verdict::SnapshotMissing),
            r(Verdict::Error),
            r(Verdict::Skipped),
        ];
        assert_eq!(
            Totals::of(&results).to_string(),
            "7 scenarios: 2 passed, 1 failed, 1 snapshot changed, 1 snapshot missing, 1 errors, 1 skipped"
        );
        assert_eq!(Totals::of(&[]), Totals::default());
    }

    #[test]
    fn a_result_line_shows_the_first_failure_line_or_the_note() {
        let mut r = ScenarioResult::new("tiny", "sim", Verdict::Fail);
        r.failures = vec!["step 1 (line 3): expected 2\nmore".into()];
        assert!(
            r.line().starts_with("FAIL             tiny"),
            "{}",
            r.line()
        );
        assert!(
            r.line().ends_with("0.00 s  step 1 (line 3): expected 2"),
            "{}",
            r.line()
        );
        let mut p = ScenarioResult::new("tiny", "sim", Verdict::Pass);
        p.note = Some("seed 3: golden snapshot not compared".into());
        assert!(
            p.line()
                .ends_with("s  (seed 3: golden snapshot not compared)"),
            "{}",
            p.line()
        );
    }
}
