//! What a finished run writes and says: the summary (each failure in
//! full, then the totals), the HTML report, the golden snapshots left
//! without a scenario, the failure list for `--only-failed`, and the
//! JUnit file.

use std::path::Path;
use std::time::{Duration, Instant};

use super::Console;
use crate::capture::RunDir;
use crate::golden::review;
use crate::junit;
use crate::runner::{ScenarioResult, Totals};
use crate::scenario::Loaded;
use crate::select;

/// The summary after a run: each failure's details (`--- <name> on
/// <board>: <verdict>`, its messages, its capture), then one line of
/// [`Totals`] with the time taken and where the captures are.
pub fn summary_lines(results: &[ScenarioResult], took: Duration, out_dir: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for r in results.iter().filter(|r| r.verdict.is_failure()) {
        lines.push(format!(
            "\n--- {} on {}: {}",
            r.name,
            r.board,
            r.verdict.label()
        ));
        lines.extend(r.failures.iter().cloned());
        if let Some(dir) = &r.capture_dir {
            lines.push(format!("capture: {}", dir.display()));
        }
    }
    lines.push(format!(
        "\n{} in {:.1} s; captures in {}",
        Totals::of(results),
        took.as_secs_f64(),
        out_dir.display()
    ));
    lines
}

/// Write the run report (`<out_dir>/report.html`) and say where it is and
/// which golden thumbnail sheets wait for review.
pub(super) fn html_report(page: &crate::report::Run, out_dir: &Path, console: &mut dyn Console) {
    let started = Instant::now();
    match crate::report::write(page, out_dir) {
        Ok(w) => {
            console.out(&format!(
                "report: {} (made in {:.2} s)",
                w.path.display(),
                started.elapsed().as_secs_f64()
            ));
            for c in &w.candidates {
                console.out(&format!("golden thumbnails to review: {}", c.display()));
            }
        }
        Err(e) => console.err(&format!(
            "warning: cannot write the report in {}: {e}",
            out_dir.display()
        )),
    }
}

/// The warning about golden snapshots of `board` whose scenario is not in
/// `loaded` any more, if there are any.
pub fn unreferenced_warning(root: &Path, board: &str, loaded: &Loaded) -> Option<String> {
    let stale = review::unreferenced(root, board, &select::scenario_names(loaded));
    if stale.is_empty() {
        return None;
    }
    let files: Vec<String> = stale.iter().map(|p| p.display().to_string()).collect();
    Some(format!(
        "warning: {} golden snapshot(s) without a scenario: {} (delete them with `cargo xtask golden unreferenced --delete`)",
        stale.len(),
        files.join(", ")
    ))
}

/// Keep `failed` as the run's failure list and say how to re-run them.
pub(super) fn record_failures(
    run: &RunDir,
    board: &str,
    failed: &[String],
    console: &mut dyn Console,
) {
    let path = run.last_failed();
    if let Err(e) = select::write_last_failed(&path, failed) {
        console.err(&format!(
            "warning: cannot record the failures in {}: {e}",
            path.display()
        ));
    } else if !failed.is_empty() {
        console.out(&format!(
            "re-run the failures with `cargo xtask hil --board {board} --only-failed`"
        ));
    }
}

/// Write the JUnit XML report of `results` on `board` to `path` (its
/// directory created).
pub fn write_junit(path: &Path, board: &str, results: &[ScenarioResult]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, junit::report(board, results))
}
