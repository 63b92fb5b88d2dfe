//! `cargo xtask golden pending|unreferenced|review`, as library calls: the
//! CLI parses the subcommand, prints the [`Console`]'s lines and asks the
//! reviewer; these decide and carry it out ([`super::review`]). Each
//! returns the process exit code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::review::{self, Decision};
use crate::exit::RunExit;
use crate::scenario;
use crate::select;
use crate::session::Console;

/// `golden pending`: every candidate waiting for review with its diff,
/// then how many.
pub fn pending(root: &Path, console: &mut dyn Console) -> i32 {
    let pending = review::pending(root);
    for p in &pending {
        show(p, console);
    }
    console.out(&format!("{} snapshot(s) waiting for review", pending.len()));
    0
}

/// `golden unreferenced [--delete]`: the goldens whose scenario is gone
/// from `hil/scenarios/`, listed or deleted.
pub fn unreferenced(root: &Path, delete: bool, console: &mut dyn Console) -> i32 {
    let loaded = match scenario::load_dir_all(&root.join("hil/scenarios")) {
        Ok(l) => l,
        Err(e) => {
            console.err(&format!("error: {e}"));
            return RunExit::Definition.code();
        }
    };
    let stale = review::unreferenced_all(root, &select::scenario_names(&loaded));
    for p in &stale {
        if delete {
            if let Err(e) = std::fs::remove_file(p) {
                console.err(&format!("error: cannot delete {}: {e}", p.display()));
                return 1;
            }
            console.out(&format!("deleted {}", p.display()));
        } else {
            console.out(&p.display().to_string());
        }
    }
    let verb = if delete {
        "deleted"
    } else {
        "without a scenario"
    };
    console.out(&format!("{} golden snapshot(s) {verb}", stale.len()));
    if !delete && !stale.is_empty() {
        console.out("delete them with `cargo xtask golden unreferenced --delete`");
    }
    0
}

/// `golden review`: `cargo insta review` when cargo-insta is installed
/// (then each candidate thumbnail sheet follows its snapshot's fate, and
/// the sheets without a snapshot are reviewed here), else the built-in
/// review. `ask` shows a prompt and returns the reviewer's answer; `None`
/// when there is no one to ask (stdin is not a terminal).
pub fn review(
    root: &Path,
    console: &mut dyn Console,
    ask: &mut dyn FnMut(&str) -> Option<String>,
) -> i32 {
    if !review::cargo_insta_available(root) {
        console.out("cargo-insta is not installed (cargo install cargo-insta --version 1.49.0); using the built-in review");
        return builtin(&review::pending(root), console, ask);
    }
    let before = snapshots_waiting(root);
    let code = match Command::new("cargo")
        .args(["insta", "review"])
        .current_dir(root)
        .status()
    {
        Ok(st) => st.code().unwrap_or(1),
        Err(e) => {
            console.err(&format!("error: cannot run cargo insta review: {e}"));
            return 1;
        }
    };
    for line in follow_snapshots(&before) {
        console.out(&line);
    }
    let sheets = review::pending(root);
    if code != 0 || sheets.is_empty() {
        return code;
    }
    builtin(&sheets, console, ask)
}

/// The built-in review of `pending`: each shown, then accepted, rejected
/// or skipped as the reviewer answers.
pub fn builtin(
    pending: &[PathBuf],
    console: &mut dyn Console,
    ask: &mut dyn FnMut(&str) -> Option<String>,
) -> i32 {
    if pending.is_empty() {
        console.out("no snapshots waiting for review");
        return 0;
    }
    for (i, p) in pending.iter().enumerate() {
        show(p, console);
        let Some(answer) = ask("accept (a), reject (r), skip (s)? ") else {
            for rest in &pending[i + 1..] {
                show(rest, console);
            }
            console.err("stdin is not a terminal: review interactively");
            return 1;
        };
        match Decision::parse(&answer).apply(p) {
            Ok(what) => console.out(what),
            Err(e) => {
                console.err(&format!("error: {}: {e}", p.display()));
                return 1;
            }
        }
    }
    0
}

fn show(p: &Path, console: &mut dyn Console) {
    let text = review::show(p);
    console.out(text.strip_suffix('\n').unwrap_or(&text));
}

/// Each `.snap.new` under `root` with its text, for [`follow_snapshots`].
fn snapshots_waiting(root: &Path) -> BTreeMap<PathBuf, String> {
    review::pending(root)
        .into_iter()
        .filter(|p| review::sheet_with(p).is_some())
        .filter_map(|p| Some((p.clone(), std::fs::read_to_string(&p).ok()?)))
        .collect()
}

/// After a review outside this module (`cargo insta review`): each
/// snapshot of `before` that is no longer waiting was accepted if its
/// golden now holds its text, else rejected; its candidate thumbnail sheet
/// is accepted or rejected with it. Returns what was done, a line each.
pub fn follow_snapshots(before: &BTreeMap<PathBuf, String>) -> Vec<String> {
    let mut lines = Vec::new();
    for (new, text) in before {
        if new.exists() {
            continue;
        }
        let Some(stem) = new
            .to_string_lossy()
            .strip_suffix(".snap.new")
            .map(str::to_owned)
        else {
            continue;
        };
        let sheet = PathBuf::from(format!("{stem}.thumbs.new.png"));
        if !sheet.is_file() {
            continue;
        }
        let golden = std::fs::read_to_string(review::accepted_path(new)).ok();
        let accepted =
            golden.as_deref().map(super::snapshot_contents) == Some(super::snapshot_contents(text));
        let decision = if accepted {
            Decision::Accept
        } else {
            Decision::Reject
        };
        match decision.apply(&sheet) {
            Ok(what) => lines.push(format!("{} {what} with its snapshot", sheet.display())),
            Err(e) => lines.push(format!("warning: {}: {e}", sheet.display())),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::golden::snapshot_contents;
    use crate::session::Transcript;

    /// `golden/sim/` under a new root with `a` (changed, with a candidate
    /// sheet), `b` (new) and `c` (only its sheet is new).
    fn waiting() -> (tempfile::TempDir, PathBuf) {
        review::sim_goldens(&[
            ("a.snap", "one"),
            ("a.snap.new", "two"),
            ("a.thumbs.new.png", "a sheet"),
            ("b.snap.new", "fresh"),
            ("c.thumbs.new.png", "c sheet"),
        ])
    }

    #[test]
    fn the_builtin_review_does_what_the_reviewer_answers() {
        let (dir, sim) = waiting();
        let mut t = Transcript::default();
        assert_eq!(pending(dir.path(), &mut t), 0);
        assert_eq!(t.out.last().unwrap(), "3 snapshot(s) waiting for review");
        assert!(t.out[0].starts_with(&format!("=== {}\n", sim.join("a.snap").display())));
        let mut answers = vec!["a", "r", "s"].into_iter();
        let mut prompts = 0;
        let mut ask = |p: &str| {
            assert_eq!(p, "accept (a), reject (r), skip (s)? ");
            prompts += 1;
            answers.next().map(str::to_owned)
        };
        let mut t = Transcript::default();
        assert_eq!(builtin(&review::pending(dir.path()), &mut t, &mut ask), 0);
        assert_eq!(prompts, 3);
        let said: Vec<&str> = t
            .out
            .iter()
            .skip(1)
            .step_by(2)
            .map(String::as_str)
            .collect();
        assert_eq!(
            said,
            ["accepted with its thumbnail sheet", "rejected", "skipped"]
        );
        let a = std::fs::read_to_string(sim.join("a.snap")).unwrap();
        assert_eq!(snapshot_contents(&a), "two");
        assert_eq!(
            std::fs::read_to_string(sim.join("a.thumbs.png")).unwrap(),
            "a sheet"
        );
        assert!(!sim.join("b.snap.new").exists() && !sim.join("b.snap").exists());
        assert_eq!(review::pending(dir.path()), [sim.join("c.thumbs.new.png")]);
        let mut t = Transcript::default();
        assert_eq!(builtin(&[], &mut t, &mut |_| None), 0);
        assert_eq!(t.out, ["no snapshots waiting for review"]);
    }

    #[test]
    fn without_a_terminal_the_review_only_shows() {
        let (dir, _sim) = waiting();
        let mut t = Transcript::default();
        assert_eq!(
            builtin(&review::pending(dir.path()), &mut t, &mut |_| None),
            1
        );
        assert_eq!(t.out.len(), 3, "{:?}", t.out);
        assert_eq!(t.err, ["stdin is not a terminal: review interactively"]);
        assert_eq!(review::pending(dir.path()).len(), 3, "nothing decided");
    }

    #[test]
    fn a_sheet_follows_its_snapshot_through_another_review() {
        let (dir, sim) = waiting();
        std::fs::write(sim.join("b.thumbs.new.png"), "b sheet").unwrap();
        let before = snapshots_waiting(dir.path());
        assert_eq!(before.len(), 2, "{before:?}");
        // As `cargo insta review` would: accept a, reject b.
        std::fs::rename(sim.join("a.snap.new"), sim.join("a.snap")).unwrap();
        std::fs::remove_file(sim.join("b.snap.new")).unwrap();
        let lines = follow_snapshots(&before);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].ends_with("a.thumbs.new.png accepted with its snapshot"),
            "{lines:?}"
        );
        assert!(
            lines[1].ends_with("b.thumbs.new.png rejected with its snapshot"),
            "{lines:?}"
        );
        assert_eq!(
            std::fs::read_to_string(sim.join("a.thumbs.png")).unwrap(),
            "a sheet"
        );
        assert!(!sim.join("b.thumbs.new.png").exists() && !sim.join("b.thumbs.png").exists());
        assert_eq!(review::pending(dir.path()), [sim.join("c.thumbs.new.png")]);
    }

    #[test]
    fn unreferenced_goldens_are_listed_then_deleted() {
        let (dir, sim) = waiting();
        std::fs::create_dir_all(dir.path().join("hil/scenarios")).unwrap();
        std::fs::write(
            dir.path().join("hil/scenarios/a.toml"),
            "description = \"a\"\n[[step]]\nop = \"sync\"\n",
        )
        .unwrap();
        let mut t = Transcript::default();
        assert_eq!(unreferenced(dir.path(), false, &mut t), 0);
        assert_eq!(
            t.out[2], "2 golden snapshot(s) without a scenario",
            "{:?}",
            t.out
        );
        assert!(sim.join("b.snap.new").exists());
        let mut t = Transcript::default();
        assert_eq!(unreferenced(dir.path(), true, &mut t), 0);
        assert_eq!(t.out.last().unwrap(), "2 golden snapshot(s) deleted");
        assert!(!sim.join("b.snap.new").exists() && !sim.join("c.thumbs.new.png").exists());
        assert!(sim.join("a.snap.new").exists());
    }
}
