//! The runner: a scenario on a board -> capture -> summary -> golden check
//! -> verdict.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use omv_proto::{Op, Outcome, RecordSummary, Value};

use crate::board::{Board, BoardError, Setup};
use crate::capture::{Capture, CapturedFile, StepRecord};
use crate::golden::{self, GoldenCheck};
use crate::scenario::{Expect, Expected, Scenario};
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
    /// that have them ([`Board::timing`]).
    pub timing: Option<TimingReport>,
}

impl ScenarioResult {
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

/// Does `outcome` meet `expect`? `None` if so, else why not.
pub fn check_expectation(expect: &Expect, outcome: &Outcome) -> Option<String> {
    match (expect, outcome) {
        (Expect::Ok, Outcome::Ok(_)) => None,
        (Expect::Ok, Outcome::Err(e)) => Some(format!("expected success, got error {e}")),
        (Expect::Error(want), Outcome::Err(e)) if e.name == *want => None,
        (Expect::Error(want), Outcome::Err(e)) => {
            Some(format!("expected error {want}, got error {e}"))
        }
        (Expect::Error(want), Outcome::Ok(v)) => {
            Some(format!("expected error {want}, got success: {v:?}"))
        }
        (Expect::Value(_), Outcome::Err(e)) => Some(format!("expected a value, got error {e}")),
        (Expect::Value(want), Outcome::Ok(v)) => {
            let got = observed(v);
            if got.as_ref() == Some(want) {
                None
            } else {
                Some(format!(
                    "expected {want}, got {}",
                    got.map_or("ok (a step without a value)".to_owned(), |g| g.to_string())
                ))
            }
        }
    }
}

/// The value a scenario's `expect` is compared with.
fn observed(v: &Value) -> Option<Expected> {
    Some(match v {
        Value::Unit => return None,
        Value::None => Expected::None,
        Value::Bool(b) => Expected::Bool(*b),
        Value::Number(n) => Expected::Int(i64::try_from(*n).unwrap_or(i64::MAX)),
        Value::Stream(k) => Expected::Text(k.name().to_owned()),
        Value::Frame(f) => Expected::Int(i64::from(f.index)),
        Value::Record(r) => Expected::Int(i64::from(r.frames)),
        Value::Replay(r) => Expected::Int(i64::from(r.frames)),
        Value::Diff(d) => Expected::Int(i64::from(d.changed)),
    })
}

/// Paths the scenario writes: every file opened with `"w"`, first use first.
pub fn written_paths(scenario: &Scenario) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for st in &scenario.steps {
        if let Op::OpenFile { path, mode, .. } = &st.op {
            if mode.as_str() == "w" && !out.iter().any(|p| p == path.as_str()) {
                out.push(path.as_str().to_owned());
            }
        }
    }
    out
}

/// Run `scenario` on `board` and capture everything. A [`BoardError`]
/// aborts the run (the board's `end` is still called).
pub fn capture(
    board: &mut dyn Board,
    scenario: &Scenario,
    seed: u64,
) -> Result<Capture, BoardError> {
    let setup = Setup {
        scenario: scenario.name.clone(),
        seed,
        card: scenario.card.clone(),
    };
    board.begin(&setup)?;
    let result = capture_steps(board, scenario, seed);
    let ended = board.end();
    let capture = result?;
    ended?;
    Ok(capture)
}

fn capture_steps(
    board: &mut dyn Board,
    scenario: &Scenario,
    seed: u64,
) -> Result<Capture, BoardError> {
    let mut steps = Vec::with_capacity(scenario.steps.len() + 1);
    board.sensor_model(&scenario.sensor.model)?;
    if let Some(dir) = &scenario.sensor.source {
        board.footage(dir)?;
    }
    for u in &scenario.uploads {
        let data = std::fs::read(&u.from).map_err(|e| BoardError::Setup {
            board: board.name().to_owned(),
            message: format!("cannot read {} to upload it: {e}", u.from.display()),
        })?;
        board.upload(&u.to, &data)?;
    }
    let sensor = scenario.sensor.op(seed);
    let outcome = board.run(0, &sensor)?;
    let failure = check_expectation(&Expect::Ok, &outcome).map(|f| format!("sensor setup: {f}"));
    steps.push(StepRecord {
        number: 0,
        line: 0,
        op: sensor,
        for_us: None,
        expect: Expect::Ok,
        outcome,
        failure,
    });
    for (i, st) in scenario.steps.iter().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let outcome = match st.for_us {
            Some(us) => repeat_for(board, number, &st.op, us)?,
            None => board.run(number, &st.op)?,
        };
        let failure = check_expectation(&st.expect, &outcome)
            .map(|f| format!("{}: {f}", summary::step_text(&st.op, st.for_us)));
        steps.push(StepRecord {
            number,
            line: st.line,
            op: st.op.clone(),
            for_us: st.for_us,
            expect: st.expect.clone(),
            outcome,
            failure,
        });
    }
    let events = board.take_events()?;
    let mut files = Vec::new();
    for path in written_paths(scenario) {
        let bytes = board.download(&path)?;
        files.push(CapturedFile {
            board_path: path,
            bytes,
        });
    }
    Ok(Capture {
        scenario: scenario.name.clone(),
        board: board.name().to_owned(),
        seed,
        steps,
        events,
        files,
    })
}

/// Run a one-frame `record` until `us` of board time have passed since
/// the first one began; the result sums them up. Stops at the first error
/// (the frames before it stay in the trace).
fn repeat_for(board: &mut dyn Board, number: u32, op: &Op, us: u64) -> Result<Outcome, BoardError> {
    let mut total: Option<RecordSummary> = None;
    loop {
        let outcome = board.run(number, op)?;
        let r = match outcome {
            Outcome::Ok(Value::Record(r)) => r,
            other => return Ok(other),
        };
        let t = total.get_or_insert(RecordSummary {
            frames: 0,
            first_index: r.first_index,
            dropped: 0,
            t_start_us: r.t_start_us,
            t_end_us: r.t_end_us,
        });
        t.frames = t.frames.saturating_add(r.frames);
        t.dropped = t.dropped.saturating_add(r.dropped);
        t.t_end_us = r.t_end_us;
        if r.frames == 0 || t.t_end_us.saturating_sub(t.t_start_us) >= us {
            return Ok(Outcome::Ok(Value::Record(*t)));
        }
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
    let mut result = ScenarioResult {
        name: scenario.name.clone(),
        board: board.name().to_owned(),
        verdict: Verdict::Pass,
        duration: Duration::ZERO,
        failures: Vec::new(),
        summary: None,
        golden: None,
        capture_dir: None,
        note: None,
        timing: None,
    };
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
    let mut log: Vec<String> = save_log(&dir, "agent.log", "agent log", &board.take_log())
        .into_iter()
        .collect();
    log.extend(save_log(
        &dir,
        "agent-rtt.log",
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
        let _ = std::fs::write(dir.join("summary.txt"), measured);
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
    let hint = |new: Option<&Path>| review_hint(new, failed, opts.review_owner.as_deref());
    match check {
        Ok(GoldenCheck::Match) => {}
        Ok(GoldenCheck::Missing { ref path, ref new }) => {
            if result.verdict == Verdict::Pass {
                result.verdict = Verdict::SnapshotMissing;
            }
            result.failures.push(format!(
                "no golden snapshot {}: {}",
                path.display(),
                hint(new.as_deref())
            ));
        }
        Ok(GoldenCheck::Changed {
            ref path,
            ref diff,
            ref new,
        }) => {
            if result.verdict == Verdict::Pass {
                result.verdict = Verdict::SnapshotChanged;
            }
            result.failures.push(format!(
                "summary differs from {}: {}\n{diff}",
                path.display(),
                hint(new.as_deref())
            ));
        }
        Err(ref e) => {
            result.verdict = Verdict::Error;
            result.failures.push(format!("golden snapshot: {e}"));
        }
    }
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
            name: s.name.clone(),
            board: board.to_owned(),
            verdict: Verdict::Error,
            duration: Duration::ZERO,
            failures: vec![err.to_string()],
            summary: None,
            golden: None,
            capture_dir: None,
            note: None,
            timing: None,
        })
        .collect()
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
    /// `scenario` is about to run.
    fn start(&mut self, _scenario: &Scenario) {}
    /// Step `number` of the scenario (0: the runner's setup) starts;
    /// `text` describes it as the summary does.
    fn step(&mut self, _number: u32, _text: &str) {}
    /// `scenario` finished with `result`.
    fn done(&mut self, _result: &ScenarioResult) {}
}

/// A [`Progress`] that reports nothing.
#[derive(Debug, Default)]
pub struct Quiet;

impl Progress for Quiet {}

/// The scenarios named in `names` (all if empty), in the order given.
/// An unknown name is an error listing the known ones.
pub fn select(all: &[Scenario], names: &[String]) -> Result<Vec<Scenario>, String> {
    if names.is_empty() {
        return Ok(all.to_vec());
    }
    names
        .iter()
        .map(|n| {
            all.iter().find(|s| &s.name == n).cloned().ok_or_else(|| {
                let known: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
                format!(
                    "no scenario named {n:?} in hil/scenarios/; the scenarios are: {}",
                    known.join(", ")
                )
            })
        })
        .collect()
}

/// Run every scenario on `board`, in order.
pub fn run_all(
    board: &mut dyn Board,
    scenarios: &[Scenario],
    opts: &RunOptions,
    progress: &mut dyn Progress,
) -> Vec<ScenarioResult> {
    scenarios
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
        .collect()
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
