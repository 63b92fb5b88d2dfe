//! What a session shows without running anything: `--list` (the
//! scenarios and boards) and `--dry-run` (the board's plan, which
//! scenarios would run, which would be skipped and why).

use std::path::Path;

use super::Console;
use crate::boards::{self, BoardFile, BoardOptions};
use crate::exit::RunExit;
use crate::runner;
use crate::scenario::{self, Loaded, ScenarioError};
use crate::select::Selection;

/// `--list`: every scenario of `loaded` (with `[only …]` and `[needs …]`),
/// the files that do not parse, and the boards under `root/hil/boards/`.
/// A broken scenario or board file makes it a definition error.
pub fn list(root: &Path, loaded: &Loaded, console: &mut dyn Console) -> RunExit {
    console.out("scenarios (hil/scenarios/):");
    let scenarios = &loaded.scenarios;
    let width = scenarios.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in scenarios {
        let mut only = String::new();
        if !s.boards.is_empty() {
            only.push_str(&format!(" [only {}]", s.boards.join(", ")));
        }
        if !s.needs.is_empty() {
            let needs: Vec<&str> = s.needs.iter().map(|c| c.name()).collect();
            only.push_str(&format!(" [needs {}]", needs.join(", ")));
        }
        console.out(&format!("  {:<width$}  {}{only}", s.name, s.description));
    }
    for e in &loaded.broken {
        console.out(&format!(
            "  {:<width$}  [does not parse: {}]",
            scenario::name_of(&e.path),
            first_line(e)
        ));
    }
    console.out("boards (hil/boards/):");
    match BoardFile::load_dir(&root.join("hil/boards")) {
        Ok(bs) => {
            for b in bs {
                console.out(&format!("  {:<6} {}", b.name, b.description));
            }
            if loaded.broken.is_empty() {
                RunExit::Passed
            } else {
                RunExit::Definition
            }
        }
        Err(e) => {
            console.err(&format!("error: {e}"));
            RunExit::Definition
        }
    }
}

/// `--dry-run`: the board's plan, the scenarios that would run, the ones
/// that would be skipped and why, and the broken ones (a definition error).
pub fn dry_run(
    board: &str,
    opts: &BoardOptions,
    selection: &Selection,
    console: &mut dyn Console,
) -> RunExit {
    let planned = boards::load(board, &opts.root)
        .and_then(|file| boards::dry_run(&file, opts).map(|plan| (file, plan)));
    let (file, plan) = match planned {
        Ok(planned) => planned,
        Err(e) => {
            console.err(&format!("error: {e}"));
            return RunExit::Definition;
        }
    };
    console.out(plan.trim_end());
    // The simulator's capabilities are known without hardware; the other
    // boards' come from their agent's hello, so only `boards = [...]`
    // decides here and `needs` is checked when the scenario runs.
    let sim = (board == "sim")
        .then(|| boards::open(&file, opts).ok())
        .flatten();
    let caps = sim.as_ref().map(|b| b.capabilities());
    let (run, skipped): (Vec<_>, Vec<_>) = selection
        .scenarios
        .iter()
        .map(|s| (s, runner::skip_reason_on(board, caps, s)))
        .partition(|(_, why)| why.is_none());
    console.out(&format!(
        "scenarios that would run on {board} ({}):",
        run.len()
    ));
    for (s, _) in &run {
        let needs: Vec<&str> = s.needs.iter().map(|c| c.name()).collect();
        if caps.is_none() && !needs.is_empty() {
            console.out(&format!(
                "  {}  (needs {}: checked against the agent's hello)",
                s.name,
                needs.join(", ")
            ));
        } else {
            console.out(&format!("  {}", s.name));
        }
    }
    if !skipped.is_empty() {
        console.out(&format!("skipped on {board} ({}):", skipped.len()));
        for (s, why) in &skipped {
            console.out(&format!(
                "  {}  {}",
                s.name,
                why.as_deref().unwrap_or_default()
            ));
        }
    }
    if selection.broken.is_empty() {
        return RunExit::Passed;
    }
    console.out(&format!(
        "not runnable: the file does not parse ({}):",
        selection.broken.len()
    ));
    for e in &selection.broken {
        console.out(&format!(
            "  {}  {}",
            scenario::name_of(&e.path),
            first_line(e)
        ));
    }
    RunExit::Definition
}

/// The first line of a scenario file's error.
fn first_line(e: &ScenarioError) -> String {
    e.to_string().lines().next().unwrap_or_default().to_owned()
}
