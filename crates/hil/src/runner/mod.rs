//! The runner: a scenario on a board -> capture -> summary -> golden check
//! -> verdict.

mod result;
mod steps;

pub use result::{board_unavailable, ScenarioResult, Totals, Verdict};
pub use steps::{capture, check_expectation, written_paths};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::board::Board;
use crate::golden::{self, GoldenCheck};
use crate::scenario::Scenario;
use crate::summary;
use crate::timing::TimingReport;

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The repository root (`golden/` is under it).
    pub root: PathBuf,
    /// Where captures go: `<out_dir>/<scenario>/`.
    pub out_dir: PathBuf,
    /// Overrides every scenario's seed.
    pub seed: Option<u64>,
    /// Write `.snap.new` files for review on a mismatch (never for a
    /// scenario that failed: there is nothing to review until it passes).
    pub write_new: bool,
    /// The shipped scenarios' directory (`hil/scenarios/`): only scenarios
    /// read from it have golden snapshots; one given by a path elsewhere
    /// is checked against its expectations only.
    pub scenario_dir: PathBuf,
    /// The wall time a scenario may take in [`run_all`] unless it sets
    /// `timeout_s` (the board file's `scenario_timeout_s`); `None`: no limit.
    pub scenario_timeout: Option<Duration>,
    /// The run that owns this board's review files when this one may not
    /// write them because it holds the board's
    /// [`ReviewLock`](crate::golden::ReviewLock) (as the lock file names
    /// it: run id and pid): a snapshot message then names that run instead
    /// of CI. `None`: `write_new` is off for CI (`CI=true`,
    /// `INSTA_UPDATE=no`) or on.
    pub review_owner: Option<String>,
}

impl RunOptions {
    /// Goldens hold the scenarios' own seeds: with another seed the content
    /// differs by design, so only the expectations are checked.
    pub fn compares_golden(&self) -> bool {
        self.seed.is_none()
    }

    /// True if `scenario` was read from [`RunOptions::scenario_dir`].
    pub fn is_shipped(&self, scenario: &Scenario) -> bool {
        let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => a == b,
        };
        scenario
            .path
            .parent()
            .is_some_and(|p| same(p, &self.scenario_dir))
    }
}

/// Why `board` skips `scenario`, if it does.
/// A scenario needing a larger frame buffer or memory region than the
/// board's agent has is skipped too ([`crate::limits`]).
pub fn skip_reason(board: &dyn Board, scenario: &Scenario) -> Option<String> {
    if let Some(why) = skip_reason_on(board.name(), Some(board.capabilities()), scenario) {
        return Some(why);
    }
    let lim = board.limits()?;
    crate::limits::too_large(scenario, &lim).map(|why| format!("too large for this board: {why}"))
}

/// Why board `name` with capabilities `caps` skips `scenario`, if it does.
/// With `caps = None` (a board whose capabilities only its agent's `hello`
/// tells, e.g. for `--dry-run`) only `boards = [...]` is checked.
pub fn skip_reason_on(
    name: &str,
    caps: Option<crate::board::CapabilitySet>,
    scenario: &Scenario,
) -> Option<String> {
    if !scenario.runs_on(name) {
        return Some(format!(
            "runs only on {} (boards = [...] in {})",
            scenario.boards.join(", "),
            scenario.path.display()
        ));
    }
    let caps = caps?;
    let missing: Vec<&str> = scenario
        .needs
        .iter()
        .filter(|c| !caps.contains(**c))
        .map(|c| c.name())
        .collect();
    if missing.is_empty() {
        None
    } else {
        Some(format!("board lacks {}", missing.join(", ")))
    }
}

/// Run one scenario end to end: capture, save, summarise, compare.
pub fn run_scenario(
    board: &mut dyn Board,
    scenario: &Scenario,
    opts: &RunOptions,
) -> ScenarioResult {
    let started = Instant::now();
    let mut result = ScenarioResult::new(&scenario.name, board.name(), Verdict::Pass);
    if let Some(why) = skip_reason(board, scenario) {
        result.verdict = Verdict::Skipped;
        result.failures.push(why);
        return result;
    }
    if let (None, Some(t)) = (scenario.timeout_s, opts.scenario_timeout) {
        if crate::scenario::real_time(board.name()) {
            let board_file = format!("hil/boards/{}.toml scenario_timeout_s", board.name());
            if let Err(e) = scenario.check_timeout(t.as_secs(), &board_file) {
                result.verdict = Verdict::Error;
                result.failures.push(e.to_string());
                return result;
            }
        }
    }
    let seed = opts.seed.unwrap_or(scenario.seed);
    let dir = opts.out_dir.join(&scenario.name);
    let captured = capture(board, scenario, seed);
    let mut log: Vec<String> = save_log(
        &dir,
        crate::capture::AGENT_LOG_FILE,
        "agent log",
        &board.take_log(),
    )
    .into_iter()
    .collect();
    log.extend(save_log(
        &dir,
        crate::capture::AGENT_RTT_LOG_FILE,
        "agent defmt log over RTT",
        &board.take_probe_log(),
    ));
    let cap = match captured {
        Ok(c) => c,
        Err(e) => {
            result.verdict = Verdict::Error;
            result.failures.push(e.to_string());
            result.failures.extend(log);
            result.duration = started.elapsed();
            return result;
        }
    };
    match cap.save(&dir) {
        Ok(_) => result.capture_dir = Some(dir),
        Err(e) => result.failures.push(format!(
            "could not save the capture to {}: {e}",
            dir.display()
        )),
    }
    let policy = board.snapshot_policy();
    let timing = board.timing(scenario, &cap);
    let text = summary::render(scenario, &cap, &policy);
    if let Some(dir) = &result.capture_dir {
        let measured = summary::render_capture(scenario, &cap, &policy, timing.as_ref());
        let _ = std::fs::write(dir.join(crate::capture::SUMMARY_FILE), measured);
    }
    let mut failures = cap.failures();
    failures.extend(board.check(scenario, &cap));
    failures.extend(timing.iter().flat_map(TimingReport::failures));
    result.timing = timing;
    result.verdict = if failures.is_empty() {
        Verdict::Pass
    } else {
        failures.extend(log);
        Verdict::Fail
    };
    result.failures.extend(failures);
    result.summary = Some(text);
    result.duration = started.elapsed();
    if !opts.compares_golden() {
        result.note = Some(format!("seed {seed}: golden snapshot not compared"));
        return result;
    }
    if !opts.is_shipped(scenario) {
        result.note = Some(format!(
            "not in {}: no golden snapshot compared",
            opts.scenario_dir.display()
        ));
        return result;
    }
    let text = result.summary.as_deref().unwrap_or_default();
    let golden_path = golden::golden_path(&opts.root, board.name(), &scenario.name);
    // A failed scenario's summary is not a candidate golden: no .snap.new.
    let write_new = opts.write_new && result.verdict == Verdict::Pass;
    let check = golden::check(&golden_path, text, &scenario.description, write_new);
    let failed = result.verdict == Verdict::Fail;
    let hint =
        |new: &Option<PathBuf>| review_hint(new.as_deref(), failed, opts.review_owner.as_deref());
    let (verdict, message) = match &check {
        Ok(GoldenCheck::Match) => (Verdict::Pass, None),
        Ok(GoldenCheck::Missing { path, new }) => (
            Verdict::SnapshotMissing,
            Some(format!(
                "no golden snapshot {}: {}",
                path.display(),
                hint(new)
            )),
        ),
        Ok(GoldenCheck::Changed { path, diff, new }) => (
            Verdict::SnapshotChanged,
            Some(format!(
                "summary differs from {}: {}\n{diff}",
                path.display(),
                hint(new)
            )),
        ),
        Err(e) => {
            result.verdict = Verdict::Error;
            (Verdict::Error, Some(format!("golden snapshot: {e}")))
        }
    };
    // A snapshot verdict does not hide a failed expectation.
    if result.verdict == Verdict::Pass {
        result.verdict = verdict;
    }
    result.failures.extend(message);
    result.golden = check.ok();
    result.duration = started.elapsed();
    result
}

/// Agent log lines shown when a scenario fails.
pub const LOG_TAIL: usize = 12;

/// Writes a log (`agent.log`: the agent's over the link; `agent-rtt.log`:
/// its defmt log read through a probe) to `dir/file` if there is one, and
/// returns its tail as a failure line for a failed scenario.
fn save_log(dir: &Path, file: &str, what: &str, lines: &[String]) -> Option<String> {
    if lines.is_empty() {
        return None;
    }
    let path = dir.join(file);
    let saved = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&path, lines.join("\n") + "\n"))
        .map(|()| format!("saved in {}", path.display()))
        .unwrap_or_else(|e| format!("could not save it to {}: {e}", path.display()));
    let tail = &lines[lines.len().saturating_sub(LOG_TAIL)..];
    Some(format!(
        "{what}, last {} of {} lines ({saved}):\n  {}",
        tail.len(),
        lines.len(),
        tail.join("\n  ")
    ))
}

/// What the user can do about a missing or changed snapshot: review the
/// `.snap.new` written (`new`), fix the failed scenario first, wait for
/// the run that owns the review files (`owner`), or run locally (CI).
fn review_hint(new: Option<&Path>, failed: bool, owner: Option<&str>) -> String {
    match (new, owner) {
        (None, _) if failed => "no .snap.new written: the scenario failed; fix it first, then review its summary".into(),
        (Some(n), _) => format!(
            "the captured summary is in {}; review it with `cargo xtask golden review` (or `cargo insta review`)",
            n.display()
        ),
        (None, Some(owner)) => format!(
            "no .snap.new written: {owner} owns this board's review files; when it has finished, run `cargo xtask hil` again, then `cargo xtask golden review`"
        ),
        (None, None) => "no .snap.new written (CI=true or INSTA_UPDATE=no); run `cargo xtask hil` locally, then `cargo xtask golden review`".into(),
    }
}

/// Told about each scenario as the run goes (the CLI draws a progress bar).
pub trait Progress {
    /// A run of `total` scenarios starts.
    fn begin(&mut self, _total: usize) {}
    /// `scenario` is about to run.
    fn start(&mut self, _scenario: &Scenario) {}
    /// Step `number` of the scenario (0: the runner's setup) starts;
    /// `text` describes it as the summary does.
    fn step(&mut self, _number: u32, _text: &str) {}
    /// `scenario` finished with `result`.
    fn done(&mut self, _result: &ScenarioResult) {}
    /// Every scenario has run.
    fn finish(&mut self) {}
}

/// A [`Progress`] that reports nothing.
#[derive(Debug, Default)]
pub struct Quiet;

impl Progress for Quiet {}

/// Run every scenario on `board`, in order, telling `progress` (from
/// [`Progress::begin`] to [`Progress::finish`]).
pub fn run_all(
    board: &mut dyn Board,
    scenarios: &[Scenario],
    opts: &RunOptions,
    progress: &mut dyn Progress,
) -> Vec<ScenarioResult> {
    progress.begin(scenarios.len());
    let results = scenarios
        .iter()
        .map(|s| {
            progress.start(s);
            let timeout = s
                .timeout_s
                .map(Duration::from_secs)
                .or(opts.scenario_timeout);
            let mut watched = crate::watch::Watched {
                board: &mut *board,
                progress: &mut *progress,
                deadline: timeout.map(|t| (Instant::now() + t, t)),
            };
            let r = run_scenario(&mut watched, s, opts);
            progress.done(&r);
            r
        })
        .collect();
    progress.finish();
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_hint_names_the_reason_no_snap_new_was_written() {
        let new = Path::new("golden/sim/a.snap.new");
        assert!(review_hint(Some(new), false, None).contains("golden/sim/a.snap.new; review it"));
        assert!(review_hint(None, true, Some("run x")).contains("the scenario failed"));
        let owned = review_hint(None, false, Some("run 20261201-131000.000-42 (pid 42)"));
        assert!(
            owned.starts_with(
                "no .snap.new written: run 20261201-131000.000-42 (pid 42) owns this board's review files"
            ),
            "{owned}"
        );
        assert!(!owned.contains("CI=true"), "{owned}");
        assert!(review_hint(None, false, None).contains("(CI=true or INSTA_UPDATE=no)"));
    }
}
