//! One scenario's part of the report: verdict, steps and results, the
//! frames as a contact sheet, the timing plots, and for a changed snapshot
//! the diff and the frames beside the golden's.

use std::fmt::Write as _;
use std::path::Path;

use super::charts::charts;
use super::data::{self, Tolerance};
use super::html::{self, esc};
use super::plot;
use super::review::{Review, Status};
use super::thumbs::{self, CapturedStream, Thumb};
use crate::golden::GoldenCheck;
use crate::runner::ScenarioResult;
use crate::scenario::Scenario;

/// Frames shown per stream file at most (spread over it).
pub const SHEET_FRAMES: u32 = 40;
/// Largest contact-sheet thumbnail, pixels.
pub const THUMB: (u32, u32) = (96, 72);

/// What a section is made of.
pub struct Input<'a> {
    /// The result of the run.
    pub result: &'a ScenarioResult,
    /// The scenario, if it parsed.
    pub scenario: Option<&'a Scenario>,
    /// The board file's tolerances.
    pub tolerance: Tolerance,
    /// The stream files of the capture, in the order the scenario writes them.
    pub streams: Vec<CapturedStream>,
    /// The golden sheet's review.
    pub review: Option<Review>,
}

/// The anchor of a scenario's section.
pub fn anchor(name: &str) -> String {
    let a: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("s-{a}")
}

/// The section's HTML.
pub fn render(inp: &Input) -> String {
    let r = inp.result;
    let label = r.verdict.label();
    let class = html::verdict_class(label);
    let mut out = String::new();
    let _ = write!(
        out,
        "<section class=\"scenario {class}\" id=\"{}\">\n<h2>{} <span class=\"badge {class}\">{}</span></h2>\n",
        anchor(&r.name),
        esc(&r.name),
        esc(label)
    );
    if let Some(s) = inp.scenario {
        let _ = writeln!(out, "<p>{}</p>", esc(&s.description));
    }
    let _ = write!(
        out,
        "<p class=\"meta\">board {} · {:.2} s",
        esc(&r.board),
        r.duration.as_secs_f64()
    );
    if let Some(d) = &r.capture_dir {
        let _ = write!(out, " · capture {}", esc(&d.display().to_string()));
    }
    if let Some(n) = &r.note {
        let _ = write!(out, " · {}", esc(n));
    }
    out.push_str("</p>\n");
    if !r.failures.is_empty() {
        out.push_str("<ul class=\"failures\">\n");
        for f in &r.failures {
            // The snapshot diff is shown once, below, coloured.
            let f = match &r.golden {
                Some(GoldenCheck::Changed { diff, .. }) if !diff.is_empty() => {
                    f.replace(diff.as_str(), "").trim_end().to_owned()
                }
                _ => f.clone(),
            };
            let _ = writeln!(out, "<li>{}</li>", esc(&f));
        }
        out.push_str("</ul>\n");
    }
    if let Some(summary) = &r.summary {
        steps_table(&mut out, summary, &r.failures);
    }
    if let Some(GoldenCheck::Changed { diff, path, .. }) = &r.golden {
        let _ = writeln!(
            out,
            "<h3>Snapshot diff against {}</h3>\n{}",
            esc(&path.display().to_string()),
            html::diff(diff)
        );
    }
    if let Some(rv) = &inp.review {
        review_html(&mut out, rv);
    }
    for s in &inp.streams {
        contact_sheet(&mut out, s);
    }
    if let Some(dir) = &r.capture_dir {
        plots(&mut out, dir, inp.scenario, inp.tolerance);
    }
    if let Some(summary) = &r.summary {
        let _ = writeln!(
            out,
            "<details><summary>Summary (the snapshot text)</summary><pre>{}</pre></details>",
            esc(summary)
        );
    }
    out.push_str("</section>\n");
    out
}

/// The `steps:` block of the summary as a table; steps named in a failure
/// line (`step N (line L): ...`) are marked.
fn steps_table(out: &mut String, summary: &str, failures: &[String]) {
    let lines: Vec<&str> = summary
        .lines()
        .skip_while(|l| l.trim() != "steps:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect();
    if lines.is_empty() {
        return;
    }
    out.push_str(
        "<h3>Steps</h3>\n<table>\n<tr><th>step</th><th>operation</th><th>result</th></tr>\n",
    );
    for l in lines {
        let l = l.trim();
        let (head, result) = l.split_once("  ->  ").unwrap_or((l, ""));
        let (num, op) = head.split_once("  ").unwrap_or((head, ""));
        let n = num.trim_start_matches('#');
        let failed = n.parse::<u32>().is_ok_and(|n| {
            let tag = format!("step {n} ");
            failures.iter().any(|f| f.starts_with(&tag))
        });
        let _ = writeln!(
            out,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td></tr>",
            if failed { " class=\"failed\"" } else { "" },
            esc(num),
            esc(op.trim()),
            esc(result)
        );
    }
    out.push_str("</table>\n");
}

fn png_img(t: &Thumb, scale: u32, alt: &str) -> String {
    match t.png() {
        Ok(bytes) => html::img(&bytes, t.width * scale, t.height * scale, alt),
        Err(e) => format!("<span class=\"meta\">({})</span>", esc(&e.to_string())),
    }
}

/// The frames of one stream file: up to [`SHEET_FRAMES`] thumbnails.
fn contact_sheet(out: &mut String, stream: &CapturedStream) {
    let name = stream
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let st = match thumbs::stream_thumbs(stream, SHEET_FRAMES, THUMB, false) {
        Ok(st) => st,
        Err(e) => {
            let _ = writeln!(
                out,
                "<h3>Frames of {}</h3><p class=\"meta\">{}</p>",
                esc(&name),
                esc(&e)
            );
            return;
        }
    };
    let shown = if st.picked.len() as u32 == st.frames {
        format!("{} frames", st.frames)
    } else {
        format!(
            "{} of {} frames, spread over the stream",
            st.picked.len(),
            st.frames
        )
    };
    let _ = writeln!(out, "<h3>Frames of {} ({shown})</h3>", esc(&name));
    if let Some(f) = &st.fault {
        let _ = writeln!(out, "<p class=\"meta\">stream fault: {}</p>", esc(f));
    }
    out.push_str("<div class=\"sheet\">\n");
    for f in &st.picked {
        let i = &f.info;
        let what = format!(
            "frame {}: {}x{} {}, {} us after the previous one",
            i.index,
            i.width,
            i.height,
            i.pixformat.name(),
            i.elapsed_us
        );
        let caption = format!("#{} +{:.1} ms", i.index, i.elapsed_us as f64 / 1e3);
        let pic = match &f.thumb {
            Ok(t) => png_img(t, 1, &what),
            Err(e) => format!("<span class=\"meta\">{}</span>", esc(e)),
        };
        let _ = writeln!(
            out,
            "<figure title=\"{}\">{pic}<figcaption>{}</figcaption></figure>",
            esc(&what),
            esc(&caption)
        );
    }
    out.push_str("</div>\n");
}

/// The golden thumbnail sheet's state and, for a changed snapshot, the
/// differing frames: golden | captured | changed pixels.
fn review_html(out: &mut String, rv: &Review) {
    match &rv.status {
        Status::NotKept(_) | Status::Match => {}
        Status::Candidate { why, new } => {
            let _ = writeln!(
                out,
                "<p class=\"meta\">golden thumbnails: {}; {}</p>",
                esc(why),
                match new {
                    Some(p) => format!(
                        "candidate written to {} for review",
                        esc(&p.display().to_string())
                    ),
                    None =>
                        "no candidate written (CI=true or INSTA_UPDATE=no, or the scenario failed)"
                            .into(),
                }
            );
        }
    }
    if let Some(e) = &rv.error {
        let _ = writeln!(out, "<p class=\"meta\">golden thumbnails: {}</p>", esc(e));
    }
    if rv.pairs.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<h3>Frames that differ from the golden thumbnails ({} of them{})</h3>",
        rv.differing,
        if rv.differing as usize > rv.pairs.len() {
            format!(", first {}", rv.pairs.len())
        } else {
            String::new()
        }
    );
    out.push_str("<table class=\"compare\">\n<tr><th>frame</th><th>golden</th><th>captured</th><th>changed pixels</th></tr>\n");
    for p in &rv.pairs {
        let cell = |t: &Option<Thumb>, what: &str| {
            t.as_ref().map_or_else(
                || format!("<span class=\"meta\">(no {what} frame)</span>"),
                |t| png_img(t, 2, what),
            )
        };
        let changed = p.changed.as_ref().map_or_else(
            || "<span class=\"meta\">(only on one side)</span>".to_owned(),
            |(t, n)| format!("{}{n} px", png_img(t, 2, "changed pixels")),
        );
        let _ = writeln!(
            out,
            "<tr><td>#{}</td><td>{}</td><td>{}</td><td>{changed}</td></tr>",
            p.index,
            cell(&p.golden, "golden"),
            cell(&p.current, "captured")
        );
    }
    out.push_str("</table>\n");
}

/// The timing plots of the capture's `trace.csv`.
fn plots(out: &mut String, dir: &Path, scenario: Option<&Scenario>, tol: Tolerance) {
    let Ok(text) = std::fs::read_to_string(dir.join(crate::capture::TRACE_FILE)) else {
        return;
    };
    let rows = match data::parse_trace(&text) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(
                out,
                "<p class=\"meta\">no plots: {}</p>",
                esc(&e.to_string())
            );
            return;
        }
    };
    let s = data::series(&rows, |step| {
        scenario.map_or(0, |sc| data::fps_at(sc, step))
    });
    let charts = charts(&s, tol);
    if charts.is_empty() {
        return;
    }
    out.push_str("<h3>Timing</h3>\n<div class=\"plots\">\n");
    for c in &charts {
        match plot::svg(c) {
            Some(Ok(svg)) => out.push_str(&svg),
            Some(Err(e)) => {
                let _ = writeln!(out, "<p class=\"meta\">{}</p>", esc(&e));
            }
            None => {}
        }
        out.push('\n');
    }
    out.push_str("</div>\n");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_steps_block_becomes_a_table_with_the_failed_step_marked() {
        let summary = "scenario: x\n\nsteps:\n  setup  sensor 8x8  ->  ok\n   #1  count()  ->  3\n   #2  close  ->  error OSError\n\nfile ...\n";
        let mut out = String::new();
        steps_table(
            &mut out,
            summary,
            &["step 2 (line 9): close: expected success".into()],
        );
        assert_eq!(out.matches("<tr").count(), 4);
        assert!(
            out.contains(
                "<tr class=\"failed\"><td>#2</td><td>close</td><td>error OSError</td></tr>"
            ),
            "{out}"
        );
        assert!(
            out.contains("<td>#1</td><td>count()</td><td>3</td>"),
            "{out}"
        );
    }
}
