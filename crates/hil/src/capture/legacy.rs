//! What the layout before per-run directories left in a board directory:
//! captures straight under it (`target/hil/<board>/<scenario>/`) and its
//! failure list (`target/hil/<board>/last-failed`). Nothing reads them
//! any more but the first run's carrying the old failure list forward;
//! pruning removes them ([`super::prune`]).

use std::io;
use std::path::{Path, PathBuf};

use super::run_dir::{is_run_id, LAST_FAILED, LATEST};
use super::{AGENT_LOG_FILE, AGENT_RTT_LOG_FILE, STEPS_FILE, SUMMARY_FILE, TRACE_FILE};

/// The files a scenario's capture directory holds besides its stream
/// files: a directory with one of these and no subdirectory is an old
/// capture.
const CAPTURE_FILES: [&str; 5] = [
    STEPS_FILE,
    TRACE_FILE,
    SUMMARY_FILE,
    AGENT_LOG_FILE,
    AGENT_RTT_LOG_FILE,
];

/// The old layout's capture directories and failure list under
/// `board_dir`, sorted. Run directories, `latest`, hidden files and any
/// directory that does not look like a capture are not among them.
pub fn leftovers(board_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(board_dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(kind) = e.file_type() else {
                return false;
            };
            if name.starts_with('.') || name == LATEST || is_run_id(&name) {
                return false;
            }
            if kind.is_file() {
                return name == LAST_FAILED;
            }
            kind.is_dir() && is_old_capture(&e.path())
        })
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

fn is_old_capture(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let mut capture = false;
    for e in entries.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            return false;
        }
        capture |= CAPTURE_FILES.contains(&e.file_name().to_string_lossy().as_ref());
    }
    capture
}

/// Remove [`leftovers`] under `board_dir`; returns what was removed.
pub fn remove(board_dir: &Path) -> io::Result<Vec<PathBuf>> {
    let found = leftovers(board_dir);
    for p in &found {
        let removed = if p.is_dir() {
            std::fs::remove_dir_all(p)
        } else {
            std::fs::remove_file(p)
        };
        removed
            .map_err(|e| io::Error::new(e.kind(), format!("cannot prune {}: {e}", p.display())))?;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn old_captures_and_the_old_failure_list_are_found_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let write = |rel: &str| {
            let p = d.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        };
        write("seed-record/steps.txt");
        write("seed-record/stream.bin");
        write("crashed/agent.log");
        write("last-failed");
        write("report.html");
        write("review.lock");
        write("20261201-101925.042-77/tiny/steps.txt");
        write("20261201-101925.042-77/last-failed");
        write("notes/todo.txt");
        write("nested/steps.txt");
        write("nested/inner/x");
        write(".latest.lock");
        assert_eq!(
            leftovers(d),
            [
                d.join("crashed"),
                d.join("last-failed"),
                d.join("seed-record")
            ]
        );
        assert_eq!(remove(d).unwrap().len(), 3);
        assert!(leftovers(d).is_empty());
        for kept in [
            "report.html",
            "20261201-101925.042-77/last-failed",
            "notes",
            "nested/inner",
        ] {
            assert!(d.join(kept).exists(), "{kept}");
        }
        assert!(leftovers(&d.join("none")).is_empty());
    }
}
