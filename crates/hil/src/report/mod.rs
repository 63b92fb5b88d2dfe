//! The run report: one self-contained HTML page per `cargo xtask hil` run,
//! `target/hil/<board>/report.html` (inline CSS, inline SVG plots, PNG
//! thumbnails as `data:` URIs), and a copy in the run's own directory.
//!
//! Per scenario: the verdict, the steps and their results, a contact sheet
//! of each recorded stream's frames, plots of the timing trace (frame
//! intervals against the sensor grid, capture-to-written latency, drops,
//! replay lateness against the recorded schedule) with the board file's
//! `[timing]` tolerances drawn where they apply, and for a changed
//! snapshot the text diff and the differing frames beside the golden
//! thumbnails ([`sheet`]), changed pixels highlighted.
//!
//! Everything is read back from the capture directories the runner saved
//! (`trace.csv`, the stream files, the summary), so a report can be made
//! for any finished run.

pub mod charts;
pub mod data;
pub mod hashes;
pub mod html;
pub mod plot;
pub mod review;
pub mod section;
pub mod sheet;
pub mod thumbs;

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::boards::BoardFile;
use crate::capture::CapturedFile;
use crate::runner::{written_paths, ScenarioResult, Totals, Verdict};
use crate::scenario::Scenario;
use data::Tolerance;

/// What a report is made of.
pub struct Run<'a> {
    /// The board's name.
    pub board: &'a str,
    /// The repository root (`golden/` is under it).
    pub root: &'a Path,
    /// The board file (`hil/boards/<board>.toml`): its `[timing]` tolerances.
    pub board_file: &'a BoardFile,
    /// Every result of the run, in order.
    pub results: &'a [ScenarioResult],
    /// The scenarios that ran (matched to results by name).
    pub scenarios: &'a [Scenario],
    /// The board's snapshots keep content hashes: golden thumbnail sheets
    /// are kept (frames equal by hash look equal).
    pub content_hashes: bool,
    /// Candidate golden sheets (`.thumbs.new.png`) may be written.
    pub write_new: bool,
    /// Wall time of the run.
    pub took: Duration,
}

/// What [`write()`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// `<out_dir>/report.html`.
    pub path: PathBuf,
    /// The same page in the run's own directory, if the captures are in one.
    pub copy: Option<PathBuf>,
    /// Golden thumbnail sheets written for review.
    pub candidates: Vec<PathBuf>,
}

/// The stream files `scenario` wrote, as saved in `dir`, in the order it writes them.
pub fn streams_in(dir: &Path, scenario: &Scenario) -> Vec<thumbs::CapturedStream> {
    written_paths(scenario)
        .into_iter()
        .map(|board_path| {
            dir.join(
                CapturedFile {
                    board_path,
                    bytes: None,
                }
                .local_name(),
            )
        })
        .filter(|p| p.is_file())
        .map(thumbs::CapturedStream::open)
        .collect()
}

/// The directory all capture directories of `results` are in, if there is one.
fn run_dir(results: &[ScenarioResult]) -> Option<PathBuf> {
    let mut parents = results
        .iter()
        .filter_map(|r| r.capture_dir.as_ref()?.parent().map(Path::to_path_buf));
    let first = parents.next()?;
    parents.all(|p| p == first).then_some(first)
}

/// The page, and the candidate golden sheets written while making it.
pub fn render(run: &Run) -> (String, Vec<PathBuf>) {
    let (tolerance, tol_note) = match Tolerance::read(run.board_file) {
        Ok(t) => (t, None),
        Err(e) => (Tolerance::default(), Some(e)),
    };
    let mut candidates = Vec::new();
    let mut sections = String::new();
    for r in run.results {
        let scenario = run.scenarios.iter().find(|s| s.name == r.name);
        let streams = match (&r.capture_dir, scenario) {
            (Some(d), Some(s)) => streams_in(d, s),
            _ => Vec::new(),
        };
        let review = (run.content_hashes && r.capture_dir.is_some()).then(|| {
            review::review(
                run.root,
                run.board,
                &r.name,
                r.golden.as_ref(),
                r.summary.as_deref(),
                &streams,
                run.write_new && r.verdict != Verdict::Fail,
            )
        });
        if let Some(review::Status::Candidate { new: Some(p), .. }) =
            review.as_ref().map(|v| &v.status)
        {
            candidates.push(p.clone());
        }
        sections.push_str(&section::render(&section::Input {
            result: r,
            scenario,
            tolerance,
            streams,
            review,
        }));
    }
    let mut page = String::new();
    let title = format!("cargo xtask hil --board {}", run.board);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{}</style>\n<script>{}</script>\n</head>\n<body>\n<h1>{}</h1>\n",
        html::esc(&title),
        html::CSS,
        html::SCRIPT,
        html::esc(&title)
    );
    let _ = writeln!(
        page,
        "<p>{} in {:.1} s</p>",
        Totals::of(run.results),
        run.took.as_secs_f64()
    );
    let _ = writeln!(
        page,
        "<p class=\"meta\">tolerances ({}): {}</p>",
        html::esc(&run.board_file.path.display().to_string()),
        html::esc(&tol_note.unwrap_or_else(|| tolerance_text(&tolerance)))
    );
    page.push_str("<table class=\"toc\">\n");
    for r in run.results {
        let class = html::verdict_class(r.verdict.label());
        let _ = writeln!(
            page,
            "<tr><td><span class=\"badge {class}\">{}</span></td><td><a href=\"#{}\">{}</a></td><td class=\"num\">{:.2} s</td></tr>",
            html::esc(r.verdict.label()),
            section::anchor(&r.name),
            html::esc(&r.name),
            r.duration.as_secs_f64()
        );
    }
    page.push_str("</table>\n");
    page.push_str(&sections);
    page.push_str(
        "<p id=\"render-check\">rendering not checked (scripts off)</p>\n</body>\n</html>\n",
    );
    (page, candidates)
}

fn tolerance_text(t: &Tolerance) -> String {
    let mut parts = Vec::new();
    if let Some(v) = t.frame_interval_us {
        parts.push(format!("frame interval ±{v} µs"));
    }
    if let Some(v) = t.replay_error_us {
        parts.push(format!("replay lateness ≤ {v} µs"));
    }
    if let Some(v) = t.dropped_frames {
        parts.push(format!("dropped frames ≤ {v}"));
    }
    if parts.is_empty() {
        "none in [timing] (timing is compared exactly in the snapshots)".into()
    } else {
        parts.join(", ")
    }
}

/// Write the report to `<out_dir>/report.html`, and a copy into the run's
/// own directory when the captures are in one below `out_dir`.
pub fn write(run: &Run, out_dir: &Path) -> io::Result<Written> {
    let (page, candidates) = render(run);
    std::fs::create_dir_all(out_dir)?;
    let path = out_dir.join("report.html");
    std::fs::write(&path, &page)?;
    let copy = match run_dir(run.results) {
        Some(d) if d != out_dir && d.starts_with(out_dir) => {
            let p = d.join("report.html");
            std::fs::write(&p, &page)?;
            Some(p)
        }
        _ => None,
    };
    Ok(Written {
        path,
        copy,
        candidates,
    })
}
