//! Reviewing golden snapshots (`cargo xtask golden review|pending|unreferenced`):
//! the `.snap.new` files waiting under `golden/<board>/`, their diffs
//! against the accepted files, accepting (rename over the golden, as
//! `cargo insta review` does) or rejecting (delete) one, and the goldens
//! whose scenario is gone. The CLI asks and prints; this module decides.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{diff, snapshot_contents};

/// Every `golden/<board>/*.snap.new` under `root`, sorted.
pub fn pending(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = boards(root)
        .iter()
        .filter_map(|b| std::fs::read_dir(root.join("golden").join(b)).ok())
        .flat_map(|files| files.flatten().map(|f| f.path()))
        .filter(|p| p.to_string_lossy().ends_with(".snap.new"))
        .collect();
    out.sort();
    out
}

/// The golden file a `.snap.new` would replace.
pub fn accepted_path(new: &Path) -> PathBuf {
    new.with_extension("")
}

/// What a reviewer reads for `new`: `=== <golden file>`, then the diff
/// from the accepted snapshot, or `(new snapshot)` and the whole text when
/// there is none yet.
pub fn show(new: &Path) -> String {
    let golden_path = accepted_path(new);
    let old = std::fs::read_to_string(&golden_path)
        .map(|t| snapshot_contents(&t))
        .unwrap_or_default();
    let captured = std::fs::read_to_string(new)
        .map(|t| snapshot_contents(&t))
        .unwrap_or_default();
    let head = format!("=== {}\n", golden_path.display());
    if old.is_empty() {
        format!("{head}(new snapshot)\n{captured}\n")
    } else {
        head + &diff(&old, &captured)
    }
}

/// A reviewer's answer for one pending snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// `a`: the new snapshot becomes the golden file.
    Accept,
    /// `r`: the new snapshot is deleted.
    Reject,
    /// Anything else: left for later.
    Skip,
}

impl Decision {
    /// The answer to "accept (a), reject (r), skip (s)?".
    pub fn parse(answer: &str) -> Decision {
        match answer.trim() {
            "a" => Decision::Accept,
            "r" => Decision::Reject,
            _ => Decision::Skip,
        }
    }

    /// Carry the decision out on `new` (a `.snap.new`); returns what was
    /// done: `accepted`, `rejected` or `skipped`.
    pub fn apply(self, new: &Path) -> io::Result<&'static str> {
        match self {
            Decision::Accept => std::fs::rename(new, accepted_path(new)).map(|()| "accepted"),
            Decision::Reject => std::fs::remove_file(new).map(|()| "rejected"),
            Decision::Skip => Ok("skipped"),
        }
    }
}

/// The boards with a golden folder (`golden/<board>/`), sorted.
pub fn boards(root: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(root.join("golden"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Golden snapshots (`*.snap`, `*.snap.new`) of `board` whose scenario is
/// not among `names` (insta's "unreferenced"), sorted.
pub fn unreferenced(root: &Path, board: &str, names: &[String]) -> Vec<PathBuf> {
    let Ok(files) = std::fs::read_dir(root.join("golden").join(board)) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = files
        .flatten()
        .map(|f| f.path())
        .filter(|p| {
            let file = p
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stem = file
                .strip_suffix(".snap.new")
                .or_else(|| file.strip_suffix(".snap"));
            stem.is_some_and(|s| !names.iter().any(|n| n == s))
        })
        .collect();
    out.sort();
    out
}

/// [`unreferenced`] over every board with a golden folder.
pub fn unreferenced_all(root: &Path, names: &[String]) -> Vec<PathBuf> {
    boards(root)
        .iter()
        .flat_map(|b| unreferenced(root, b, names))
        .collect()
}

/// True if `cargo insta` runs in `root` (cargo-insta is installed).
pub fn cargo_insta_available(root: &Path) -> bool {
    Command::new("cargo")
        .args(["insta", "--version"])
        .current_dir(root)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::golden::snapshot_file;

    #[test]
    fn pending_snapshots_are_the_snap_new_files_under_golden() {
        let dir = tempfile::tempdir().unwrap();
        let sim = dir.path().join("golden/sim");
        std::fs::create_dir_all(&sim).unwrap();
        for f in ["b.snap.new", "a.snap.new", "a.snap", "c.snap"] {
            std::fs::write(sim.join(f), "---\n---\nx\n").unwrap();
        }
        let p = pending(dir.path());
        assert_eq!(p, [sim.join("a.snap.new"), sim.join("b.snap.new")]);
        assert_eq!(accepted_path(&p[0]), sim.join("a.snap"));
        assert!(pending(&dir.path().join("nothing")).is_empty());
    }

    #[test]
    fn show_accept_and_reject() {
        let dir = tempfile::tempdir().unwrap();
        let sim = dir.path().join("golden/sim");
        std::fs::create_dir_all(&sim).unwrap();
        let file = |t: &str| snapshot_file("cargo xtask hil", "d", t);
        std::fs::write(sim.join("a.snap"), file("one\ntwo")).unwrap();
        std::fs::write(sim.join("a.snap.new"), file("one\nthree")).unwrap();
        std::fs::write(sim.join("b.snap.new"), file("fresh")).unwrap();
        let a = sim.join("a.snap.new");
        let shown = show(&a);
        assert!(shown.starts_with(&format!("=== {}\n", sim.join("a.snap").display())));
        assert!(
            shown.contains("\n-two\n") && shown.contains("\n+three\n"),
            "{shown}"
        );
        let b = sim.join("b.snap.new");
        assert!(
            show(&b).ends_with("(new snapshot)\nfresh\n"),
            "{}",
            show(&b)
        );
        assert_eq!(Decision::parse(" a\n"), Decision::Accept);
        assert_eq!(Decision::parse("x").apply(&a).unwrap(), "skipped");
        assert!(a.exists());
        assert_eq!(Decision::Accept.apply(&a).unwrap(), "accepted");
        let accepted = std::fs::read_to_string(sim.join("a.snap")).unwrap();
        assert_eq!(snapshot_contents(&accepted), "one\nthree");
        assert_eq!(Decision::parse("r").apply(&b).unwrap(), "rejected");
        assert!(pending(dir.path()).is_empty());
        assert!(Decision::Reject.apply(&b).is_err(), "already gone");
    }

    #[test]
    fn unreferenced_goldens_over_every_board() {
        let dir = tempfile::tempdir().unwrap();
        for (b, f) in [
            ("sim", "a.snap"),
            ("sim", "gone.snap"),
            ("qemu", "x.snap.new"),
        ] {
            std::fs::create_dir_all(dir.path().join("golden").join(b)).unwrap();
            std::fs::write(dir.path().join("golden").join(b).join(f), "").unwrap();
        }
        let names = vec!["a".to_owned()];
        assert_eq!(boards(dir.path()), ["qemu", "sim"]);
        assert_eq!(
            unreferenced_all(dir.path(), &names),
            [
                dir.path().join("golden/qemu/x.snap.new"),
                dir.path().join("golden/sim/gone.snap")
            ]
        );
    }
}
