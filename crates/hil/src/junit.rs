//! A JUnit XML report of a run, for CI test views.
//!
//! On boards with timing tolerances (`qemu`, `h7`) each test case carries
//! its timing figures as `<properties>` (as pytest and the Jenkins/GitLab
//! JUnit readers take them): `timing.<figure>.measured_<unit>`,
//! `.tolerance_<unit>`, `.margin_<unit>` and `.within`
//! ([`crate::timing::TimingReport::properties`]).

use std::fmt::Write as _;

use crate::escape::escape_markup as esc;
use crate::runner::{ScenarioResult, Verdict};

/// The JUnit XML text for the results of one board.
pub fn report(board: &str, results: &[ScenarioResult]) -> String {
    let count = |f: fn(&Verdict) -> bool| results.iter().filter(|r| f(&r.verdict)).count();
    let failures = count(|v| {
        matches!(
            v,
            Verdict::Fail | Verdict::SnapshotChanged | Verdict::SnapshotMissing
        )
    });
    let errors = count(|v| *v == Verdict::Error);
    let skipped = count(|v| *v == Verdict::Skipped);
    let time: f64 = results.iter().map(|r| r.duration.as_secs_f64()).sum();
    let suite = format!("hil.{board}");
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"hil\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time:.3}\">",
        results.len()
    );
    let _ = writeln!(
        x,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time:.3}\">",
        esc(&suite),
        results.len()
    );
    for r in results {
        let _ = write!(
            x,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            esc(&suite),
            esc(&r.name),
            r.duration.as_secs_f64()
        );
        let detail = r.failures.join("\n");
        let first = r
            .failures
            .first()
            .and_then(|f| f.lines().next())
            .unwrap_or("");
        let tag = match r.verdict {
            Verdict::Pass => None,
            Verdict::Skipped => {
                let _ = writeln!(x, ">\n      <skipped message=\"{}\"/>", esc(first));
                x.push_str("    </testcase>\n");
                continue;
            }
            Verdict::Error => Some("error"),
            Verdict::Fail | Verdict::SnapshotChanged | Verdict::SnapshotMissing => Some("failure"),
        };
        x.push('>');
        x.push('\n');
        if let Some(timing) = &r.timing {
            x.push_str("      <properties>\n");
            for (name, value) in timing.properties() {
                let _ = writeln!(
                    x,
                    "        <property name=\"{}\" value=\"{}\"/>",
                    esc(&name),
                    esc(&value)
                );
            }
            x.push_str("      </properties>\n");
        }
        if let Some(tag) = tag {
            let _ = writeln!(
                x,
                "      <{tag} type=\"{}\" message=\"{}\">{}</{tag}>",
                esc(r.verdict.label()),
                esc(first),
                esc(&detail)
            );
        }
        if let Some(dir) = &r.capture_dir {
            let _ = writeln!(
                x,
                "      <system-out>capture: {}</system-out>",
                esc(&dir.display().to_string())
            );
        }
        x.push_str("    </testcase>\n");
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn result(name: &str, verdict: Verdict, failures: &[&str]) -> ScenarioResult {
        ScenarioResult {
            duration: Duration::from_millis(1500),
            failures: failures.iter().map(|s| s.to_string()).collect(),
            ..ScenarioResult::new(name, "sim", verdict)
        }
    }

    #[test]
    fn counts_and_escapes() {
        let x = report(
            "sim",
            &[
                result("a", Verdict::Pass, &[]),
                result(
                    "b",
                    Verdict::Fail,
                    &["step 1 (line 3): expected <30> & \"x\""],
                ),
                result("c", Verdict::SnapshotChanged, &["differs\n-a\n+b"]),
                result("d", Verdict::Error, &["board gone"]),
                result("e", Verdict::Skipped, &["runs only on h7"]),
            ],
        );
        assert!(x.contains(
            "<testsuites name=\"hil\" tests=\"5\" failures=\"2\" errors=\"1\" skipped=\"1\" time=\"7.500\">"
        ));
        assert!(x.contains("message=\"step 1 (line 3): expected &lt;30&gt; &amp; &quot;x&quot;\""));
        assert!(x.contains(
            "<failure type=\"snapshot changed\" message=\"differs\">differs\n-a\n+b</failure>"
        ));
        assert!(x.contains("<error type=\"ERROR\" message=\"board gone\">"));
        assert!(x.contains("<skipped message=\"runs only on h7\"/>"));
        assert_eq!(x.matches("<testcase ").count(), 5);
        assert_eq!(x.matches("</testcase>").count(), 5);
    }
}
