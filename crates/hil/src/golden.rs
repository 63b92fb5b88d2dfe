//! Golden snapshots: `golden/<board>/<scenario>.snap`, in insta's file
//! format (a `---` YAML metadata block with `source` and `description`,
//! `---`, the text) so that `cargo insta review` and `cargo xtask golden
//! review` ([`review`]) accept or reject the `.snap.new` files a run writes.
//!
//! # One snapshot engine: this module
//!
//! Every comparison with a golden file goes through [`check`]: the
//! harness's runner (`cargo xtask hil`) and the scenario tests
//! (`crates/hil/tests/scenarios.rs`) alike. The tests used to compare the
//! same files a second time with `insta::assert_snapshot!`; that is gone,
//! and insta is only a dev-dependency of one conformance test that reads
//! what [`snapshot_file`] writes with `insta::Snapshot::from_file`, as
//! `cargo insta review` does. Building on insta instead was ruled out
//! because insta 1.49's public API can read a snapshot file but not write
//! one: `Snapshot` has no public constructor, `MetaData`'s fields are
//! crate-private and `Snapshot::save` is `#[doc(hidden)]`; only its
//! assertion macros write, and they write `.snap.new` in place (not
//! atomically), from any test process, with the test file as `source`.
//! A review file must be written only by the run that owns it (see
//! below), so the writer is ours.
//!
//! # Review files
//!
//! A mismatch writes `<scenario>.snap.new` next to the golden file for
//! review when the caller says it may (`write_new`), which `cargo xtask
//! hil` does only when snapshots may be written at all ([`may_write_new`]:
//! not with `CI=true` or `INSTA_UPDATE=no`) and the run holds the board's
//! [`ReviewLock`] (`target/hil/<board>/review.lock`): of two runs at once
//! in one checkout, only one writes or removes `golden/<board>/*.snap.new`.
//! A `.snap.new` is written to a temporary file beside it and renamed into
//! place, so a reader never sees half of one.

pub mod commands;
mod lock;
pub mod review;

pub use lock::{ReviewLock, REVIEW_LOCK};

use std::io;
use std::path::{Path, PathBuf};

/// What comparing a summary with its golden file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoldenCheck {
    /// The golden file holds exactly this summary.
    Match,
    /// There is no golden file yet.
    Missing {
        /// Where it should be.
        path: PathBuf,
        /// The `.snap.new` written for review, if writing was allowed.
        new: Option<PathBuf>,
    },
    /// The golden file differs.
    Changed {
        /// The golden file.
        path: PathBuf,
        /// A unified diff, golden (`-`) to captured (`+`).
        diff: String,
        /// The `.snap.new` written for review, if writing was allowed.
        new: Option<PathBuf>,
    },
}

/// Whether `.snap.new` files may be written: not in CI (`CI` set to
/// anything but `false`/`0`), not with `INSTA_UPDATE=no`.
pub fn may_write_new() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    let no = std::env::var("INSTA_UPDATE").is_ok_and(|v| v == "no");
    !(ci || no)
}

/// `golden/<board>/<scenario>.snap` under `root`.
pub fn golden_path(root: &Path, board: &str, scenario: &str) -> PathBuf {
    root.join("golden")
        .join(board)
        .join(format!("{scenario}.snap"))
}

/// The text of an insta snapshot file: everything after the metadata block
/// (`---` ... `---`), trailing whitespace removed, CRLF as LF (insta's
/// normalisation).
pub fn snapshot_contents(file_text: &str) -> String {
    let body = match file_text
        .strip_prefix("---\n")
        .or(file_text.strip_prefix("---\r\n"))
    {
        Some(rest) => {
            let mut body = "";
            let mut offset = 0;
            for line in rest.split_inclusive('\n') {
                offset += line.len();
                if line.trim_end() == "---" {
                    body = &rest[offset..];
                    break;
                }
            }
            body
        }
        None => file_text,
    };
    normalize(body)
}

fn normalize(s: &str) -> String {
    s.trim_end().replace("\r\n", "\n")
}

/// An insta snapshot file holding `contents`.
pub fn snapshot_file(source: &str, description: &str, contents: &str) -> String {
    format!(
        "---\nsource: {}\ndescription: {}\n---\n{}\n",
        yaml_str(source),
        yaml_str(description),
        normalize(contents)
    )
}

/// A YAML double-quoted scalar.
fn yaml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Compare `summary` with the golden file at `path`; on a difference (or
/// none yet) write `<path>.new` when `write_new` (atomically: a temporary
/// file renamed into place). When the summary matches, a stale `.snap.new`
/// is removed, also only when `write_new`: a caller that may not write
/// review files (CI, or another run owns them) leaves them alone.
pub fn check(
    path: &Path,
    summary: &str,
    description: &str,
    write_new: bool,
) -> io::Result<GoldenCheck> {
    let new_path = path.with_extension("snap.new");
    let golden = match std::fs::read_to_string(path) {
        Ok(text) => Some(snapshot_contents(&text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
    };
    let captured = normalize(summary);
    if golden.as_deref() == Some(captured.as_str()) {
        if write_new {
            match std::fs::remove_file(&new_path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        return Ok(GoldenCheck::Match);
    }
    let new = if write_new {
        let text = snapshot_file("cargo xtask hil", description, &captured);
        write_atomically(&new_path, text.as_bytes())?;
        Some(new_path)
    } else {
        None
    };
    Ok(match golden {
        None => GoldenCheck::Missing {
            path: path.to_owned(),
            new,
        },
        Some(old) => GoldenCheck::Changed {
            path: path.to_owned(),
            diff: diff(&old, &captured),
            new,
        },
    })
}

/// Write `bytes` to `path` through a temporary file in the same directory
/// renamed over it: readers see the old file or the new one, never a part.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".snap-new-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .map(drop)
        .map_err(|e| io::Error::new(e.error.kind(), format!("{}: {}", path.display(), e.error)))
}

/// A unified diff of two texts with 2 lines of context.
pub fn diff(old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .header("golden", "captured")
        .to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn contents_skip_insta_metadata_and_trailing_space() {
        let file = "---\nsource: x.rs\nexpression: s\n---\nline 1\nline 2\n\n";
        assert_eq!(snapshot_contents(file), "line 1\nline 2");
        assert_eq!(snapshot_contents("plain\r\ntext\n"), "plain\ntext");
    }

    #[test]
    fn a_written_file_reads_back_to_its_contents() {
        let f = snapshot_file("cargo xtask hil", "say \"hi\": now", "a\nb\n");
        assert!(f.starts_with("---\nsource: \"cargo xtask hil\"\n"));
        assert!(f.contains("description: \"say \\\"hi\\\": now\"\n"));
        assert_eq!(snapshot_contents(&f), "a\nb");
    }

    #[test]
    fn missing_changed_and_matching_goldens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sim").join("s.snap");
        // Missing: a .snap.new is written for review when allowed.
        match check(&path, "one\ntwo\n", "d", true).unwrap() {
            GoldenCheck::Missing { path: p, new } => {
                assert_eq!(p, path);
                let new = new.unwrap();
                assert_eq!(new, dir.path().join("sim").join("s.snap.new"));
                let text = std::fs::read_to_string(&new).unwrap();
                assert_eq!(snapshot_contents(&text), "one\ntwo");
                // Accepting = renaming, as cargo insta does.
                std::fs::rename(&new, &path).unwrap();
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            check(&path, "one\ntwo", "d", true).unwrap(),
            GoldenCheck::Match
        );
        // Changed, in CI: a diff, nothing written.
        match check(&path, "one\nthree\n", "d", false).unwrap() {
            GoldenCheck::Changed { diff, new, .. } => {
                assert_eq!(new, None);
                assert!(diff.contains("-two\n"), "{diff}");
                assert!(diff.contains("+three\n"), "{diff}");
            }
            other => panic!("{other:?}"),
        }
        assert!(!path.with_extension("snap.new").exists());
    }

    /// `cargo insta review` reads what this module writes: insta's own
    /// reader finds the description and the same text in a written file
    /// and in every shipped golden.
    #[test]
    fn insta_reads_our_files_as_we_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.snap.new");
        let text = snapshot_file("cargo xtask hil", "say \"hi\": now", "a\n  b\n\n");
        std::fs::write(&path, &text).unwrap();
        let snap = insta::Snapshot::from_file(&path).unwrap();
        assert_eq!(snap.metadata().description(), Some("say \"hi\": now"));
        assert_eq!(snap.metadata().source(), Some("cargo xtask hil"));
        assert_eq!(
            snap.as_text().unwrap().to_string(),
            snapshot_contents(&text)
        );
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut seen = 0;
        for board in ["sim", "qemu"] {
            for f in std::fs::read_dir(root.join("golden").join(board)).unwrap() {
                let p = f.unwrap().path();
                if p.extension().is_some_and(|e| e == "snap") {
                    let ours = snapshot_contents(&std::fs::read_to_string(&p).unwrap());
                    let theirs = insta::Snapshot::from_file(&p).unwrap();
                    assert_eq!(
                        theirs.as_text().unwrap().to_string(),
                        ours,
                        "{}",
                        p.display()
                    );
                    seen += 1;
                }
            }
        }
        assert!(seen > 30, "{seen} goldens");
    }
}
