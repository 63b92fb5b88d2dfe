//! Reviewing golden snapshots (`cargo xtask golden review|pending|unreferenced`):
//! the `.snap.new` files waiting under `golden/<board>/`, their diffs
//! against the accepted files, accepting (rename over the golden, as
//! `cargo insta review` does) or rejecting (delete) one, and the goldens
//! whose scenario is gone. The CLI asks and prints; this module decides.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{diff, snapshot_contents};

/// A snapshot waiting for review.
const SNAP_NEW: &str = ".snap.new";
/// A candidate golden thumbnail sheet (the run report writes it).
const SHEET_NEW: &str = ".thumbs.new.png";

/// Everything under `root/golden/<board>/` waiting for review, sorted:
/// each `<scenario>.snap.new`, and each candidate thumbnail sheet
/// `<scenario>.thumbs.new.png` that has no `.snap.new` (its snapshot
/// matched; only the sheet is new). A sheet beside a `.snap.new` is
/// reviewed with it ([`Decision::apply`]).
pub fn pending(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = boards(root)
        .iter()
        .filter_map(|b| std::fs::read_dir(root.join("golden").join(b)).ok())
        .flat_map(|files| files.flatten().map(|f| f.path()))
        .filter(|p| {
            let name = p.to_string_lossy();
            name.ends_with(SNAP_NEW)
                || name
                    .strip_suffix(SHEET_NEW)
                    .is_some_and(|stem| !Path::new(&format!("{stem}{SNAP_NEW}")).exists())
        })
        .collect();
    out.sort();
    out
}

/// The golden file a candidate would replace: `<scenario>.snap` for a
/// `.snap.new`, `<scenario>.thumbs.png` for a `.thumbs.new.png`.
pub fn accepted_path(new: &Path) -> PathBuf {
    match new.to_string_lossy().strip_suffix(SHEET_NEW) {
        Some(stem) => PathBuf::from(format!("{stem}.thumbs.png")),
        None => new.with_extension(""),
    }
}

/// The candidate thumbnail sheet reviewed with the snapshot `new` (a
/// `.snap.new`), if the run wrote one: `<scenario>.thumbs.new.png`.
pub fn sheet_with(new: &Path) -> Option<PathBuf> {
    let stem = new.to_string_lossy().strip_suffix(SNAP_NEW)?.to_owned();
    let sheet = PathBuf::from(format!("{stem}{SHEET_NEW}"));
    sheet.is_file().then_some(sheet)
}

fn is_sheet(p: &Path) -> bool {
    p.to_string_lossy().ends_with(SHEET_NEW)
}

/// What a reviewer reads for `new`: `=== <golden file>`, then the diff
/// from the accepted snapshot, or `(new snapshot)` and the whole text when
/// there is none yet.
pub fn show(new: &Path) -> String {
    let golden_path = accepted_path(new);
    if is_sheet(new) {
        let what = if golden_path.exists() {
            "changed"
        } else {
            "new"
        };
        return format!(
            "=== {}\n({what} thumbnail sheet {}: its frames are in the run report)\n",
            golden_path.display(),
            new.display()
        );
    }
    let sheet = sheet_with(new)
        .map(|s| format!("(with the candidate thumbnail sheet {})\n", s.display()))
        .unwrap_or_default();
    let old = std::fs::read_to_string(&golden_path)
        .map(|t| snapshot_contents(&t))
        .unwrap_or_default();
    let captured = std::fs::read_to_string(new)
        .map(|t| snapshot_contents(&t))
        .unwrap_or_default();
    let head = format!("=== {}\n{sheet}", golden_path.display());
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

    /// Carry the decision out on `new` (a `.snap.new` or a lone
    /// `.thumbs.new.png`), and on the candidate thumbnail sheet beside a
    /// `.snap.new` with it: accepting renames both over their golden
    /// files, rejecting deletes both. Returns what was done: `accepted`,
    /// `rejected` or `skipped`, `… with its thumbnail sheet` when there
    /// was one.
    pub fn apply(self, new: &Path) -> io::Result<&'static str> {
        let sheet = sheet_with(new);
        let carry = |p: &Path| match self {
            Decision::Accept => std::fs::rename(p, accepted_path(p)),
            Decision::Reject => std::fs::remove_file(p),
            Decision::Skip => Ok(()),
        };
        carry(new)?;
        if let Some(s) = &sheet {
            carry(s).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", s.display())))?;
        }
        Ok(match (self, sheet.is_some()) {
            (Decision::Accept, false) => "accepted",
            (Decision::Accept, true) => "accepted with its thumbnail sheet",
            (Decision::Reject, false) => "rejected",
            (Decision::Reject, true) => "rejected with its thumbnail sheet",
            (Decision::Skip, _) => "skipped",
        })
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

/// Golden snapshots (`*.snap`, `*.snap.new`) and thumbnail sheets
/// (`*.thumbs.png`, `*.thumbs.new.png`) of `board` whose scenario is not
/// among `names` (insta's "unreferenced"), sorted.
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
            let stem = [SNAP_NEW, ".snap", SHEET_NEW, ".thumbs.png"]
                .iter()
                .find_map(|suffix| file.strip_suffix(suffix));
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

/// `golden/sim/` under a new root holding `files` (name, text; the text
/// of a `.snap` or `.snap.new` in insta's format), for tests.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn sim_goldens(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("golden/sim");
    std::fs::create_dir_all(&sim).unwrap();
    for (name, text) in files {
        let text = if name.contains(".snap") {
            super::snapshot_file("cargo xtask hil", "d", text)
        } else {
            (*text).to_owned()
        };
        std::fs::write(sim.join(name), text).unwrap();
    }
    (dir, sim)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pending_snapshots_are_the_snap_new_files_under_golden() {
        let files = ["b.snap.new", "a.snap.new", "a.snap", "c.snap"].map(|f| (f, "x"));
        let (dir, sim) = sim_goldens(&files);
        let p = pending(dir.path());
        assert_eq!(p, [sim.join("a.snap.new"), sim.join("b.snap.new")]);
        assert_eq!(accepted_path(&p[0]), sim.join("a.snap"));
        assert!(pending(&dir.path().join("nothing")).is_empty());
    }

    #[test]
    fn show_accept_and_reject() {
        let (dir, sim) = sim_goldens(&[
            ("a.snap", "one\ntwo"),
            ("a.snap.new", "one\nthree"),
            ("b.snap.new", "fresh"),
        ]);
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
    fn a_candidate_sheet_is_accepted_and_rejected_with_its_snapshot() {
        let (dir, sim) = sim_goldens(&[
            ("a.snap.new", "new"),
            ("a.thumbs.new.png", "sheet"),
            ("b.snap.new", "new"),
            ("b.thumbs.new.png", "sheet"),
            ("b.thumbs.png", "old sheet"),
            // A sheet whose snapshot matched waits on its own.
            ("c.thumbs.new.png", "lone"),
        ]);
        let p = pending(dir.path());
        assert_eq!(
            p,
            [
                sim.join("a.snap.new"),
                sim.join("b.snap.new"),
                sim.join("c.thumbs.new.png")
            ]
        );
        assert_eq!(accepted_path(&p[2]), sim.join("c.thumbs.png"));
        assert!(show(&p[0]).contains(&format!(
            "(with the candidate thumbnail sheet {})\n",
            sim.join("a.thumbs.new.png").display()
        )));
        assert!(
            show(&p[2]).contains("(new thumbnail sheet "),
            "{}",
            show(&p[2])
        );
        assert_eq!(
            Decision::Accept.apply(&p[0]).unwrap(),
            "accepted with its thumbnail sheet"
        );
        assert_eq!(
            std::fs::read_to_string(sim.join("a.thumbs.png")).unwrap(),
            "sheet"
        );
        assert!(!sim.join("a.thumbs.new.png").exists());
        assert_eq!(
            Decision::Reject.apply(&p[1]).unwrap(),
            "rejected with its thumbnail sheet"
        );
        assert!(!sim.join("b.thumbs.new.png").exists());
        assert_eq!(
            std::fs::read_to_string(sim.join("b.thumbs.png")).unwrap(),
            "old sheet"
        );
        assert_eq!(Decision::Accept.apply(&p[2]).unwrap(), "accepted");
        assert_eq!(
            std::fs::read_to_string(sim.join("c.thumbs.png")).unwrap(),
            "lone"
        );
        assert!(pending(dir.path()).is_empty());
    }

    #[test]
    fn unreferenced_goldens_over_every_board() {
        let dir = tempfile::tempdir().unwrap();
        for (b, f) in [
            ("sim", "a.snap"),
            ("sim", "gone.snap"),
            ("qemu", "x.snap.new"),
            ("sim", "a.thumbs.png"),
            ("sim", "gone.thumbs.png"),
            ("sim", "gone.thumbs.new.png"),
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
                dir.path().join("golden/sim/gone.snap"),
                dir.path().join("golden/sim/gone.thumbs.new.png"),
                dir.path().join("golden/sim/gone.thumbs.png")
            ]
        );
    }
}
