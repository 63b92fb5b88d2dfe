//! What `cargo xtask hil`'s exit status means: one thing per code.

use crate::runner::ScenarioResult;

/// How a run ended, most serious first when several apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunExit {
    /// 0: every selected scenario passed (or was skipped for a reason shown).
    Passed,
    /// 1: a scenario failed: an expectation, a board error mid-run, or a
    /// golden snapshot that differs or is missing.
    Failed,
    /// 2: a usage or definition error: an unknown `--board`, a `--scenario`
    /// that matches nothing, a scenario or board file that does not parse.
    Definition,
    /// 3: the board is unavailable (no probe, no QEMU, firmware that does
    /// not build): nothing ran.
    Unavailable,
}

impl RunExit {
    /// The process exit code.
    pub fn code(self) -> i32 {
        match self {
            RunExit::Passed => 0,
            RunExit::Failed => 1,
            RunExit::Definition => 2,
            RunExit::Unavailable => 3,
        }
    }

    /// The exit of a run that produced `results` and found
    /// `definition_errors` broken scenario files among those selected: the
    /// broken files win (they must be fixed before the run means anything),
    /// then failures.
    pub fn of(results: &[ScenarioResult], definition_errors: usize) -> RunExit {
        if definition_errors > 0 {
            RunExit::Definition
        } else if results.iter().any(|r| r.verdict.is_failure()) {
            RunExit::Failed
        } else {
            RunExit::Passed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::Verdict;

    fn result(verdict: Verdict) -> ScenarioResult {
        ScenarioResult::new("s", "sim", verdict)
    }

    #[test]
    fn each_code_means_one_thing() {
        let codes: Vec<i32> = [
            RunExit::Passed,
            RunExit::Failed,
            RunExit::Definition,
            RunExit::Unavailable,
        ]
        .map(RunExit::code)
        .to_vec();
        assert_eq!(codes, [0, 1, 2, 3]);
        let pass = result(Verdict::Pass);
        let skip = result(Verdict::Skipped);
        assert_eq!(
            RunExit::of(&[pass.clone(), skip.clone()], 0),
            RunExit::Passed
        );
        assert_eq!(RunExit::of(&[], 0), RunExit::Passed);
        for v in [
            Verdict::Fail,
            Verdict::Error,
            Verdict::SnapshotChanged,
            Verdict::SnapshotMissing,
        ] {
            assert_eq!(RunExit::of(&[pass.clone(), result(v)], 0), RunExit::Failed);
        }
        assert_eq!(
            RunExit::of(&[result(Verdict::Fail)], 1),
            RunExit::Definition
        );
        assert_eq!(RunExit::of(&[pass], 1), RunExit::Definition);
    }
}
