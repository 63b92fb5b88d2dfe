//! Golden snapshots: `golden/<board>/<scenario>.snap`, in insta's file
//! format so that `cargo insta review` (and `cargo xtask golden review`)
//! accept or reject them, and the `rstest` scenario tests compare the very
//! same files with `insta::assert_snapshot!`.
//!
//! A mismatch writes `<scenario>.snap.new` next to the golden file for
//! review, unless snapshots must not be written (CI): `CI=true` or
//! `INSTA_UPDATE=no`.

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
/// none yet) write `<path>.new` when `write_new`. A stale `.snap.new` is
/// removed when the summary matches.
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
        match std::fs::remove_file(&new_path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        return Ok(GoldenCheck::Match);
    }
    let new = if write_new {
        if let Some(dir) = new_path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(
            &new_path,
            snapshot_file("cargo xtask hil", description, &captured),
        )?;
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
}
