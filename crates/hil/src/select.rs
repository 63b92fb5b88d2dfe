//! Which scenarios a run takes: `--scenario` names, globs over names, and
//! paths to scenario files anywhere; the last run's failures
//! (`--only-failed`); broken files reported without stopping the others.

use std::path::{Path, PathBuf};

use crate::runner::{ScenarioResult, Verdict};
use crate::scenario::{self, Loaded, Scenario, ScenarioError};

/// What a run takes.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// The scenarios to run, in the order asked for, each once.
    pub scenarios: Vec<Scenario>,
    /// Selected files that do not parse: definition errors of this run.
    pub broken: Vec<ScenarioError>,
    /// Broken files in the scenario directory that were not selected.
    pub broken_elsewhere: Vec<ScenarioError>,
}

/// True if `pattern` names a file rather than a scenario: it holds a path
/// separator or ends in `.toml`.
pub fn is_path(pattern: &str) -> bool {
    pattern.contains('/')
        || pattern.contains(std::path::MAIN_SEPARATOR)
        || pattern.ends_with(".toml")
}

fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// Select from `loaded` (the scenario directory) by `patterns`: every
/// scenario when empty; else each pattern is a scenario name, a glob over
/// names (`seed-*`, `replay-pause-?????`), or a path to a scenario file
/// (inside `hil/scenarios/` or not). A pattern that matches nothing is an
/// error naming the closest scenario.
pub fn select(loaded: &Loaded, patterns: &[String]) -> Result<Selection, String> {
    let mut sel = Selection::default();
    let mut taken_broken = vec![false; loaded.broken.len()];
    if patterns.is_empty() {
        sel.scenarios = loaded.scenarios.clone();
        sel.broken = loaded.broken.clone();
        return Ok(sel);
    }
    let broken_names: Vec<String> = loaded
        .broken
        .iter()
        .map(|e| scenario::name_of(&e.path))
        .collect();
    for pattern in patterns {
        if is_path(pattern) {
            let path = Path::new(pattern);
            if !path.is_file() {
                return Err(format!("no scenario file {pattern}"));
            }
            match Scenario::load(path) {
                Ok(s) => push(&mut sel.scenarios, s),
                Err(e) => {
                    if !sel.broken.contains(&e) {
                        sel.broken.push(e);
                    }
                }
            }
            continue;
        }
        let matches = |name: &str| -> Result<bool, String> {
            if is_glob(pattern) {
                glob::Pattern::new(pattern)
                    .map(|p| p.matches(name))
                    .map_err(|e| format!("--scenario {pattern:?} is not a valid glob: {e}"))
            } else {
                Ok(name == pattern)
            }
        };
        let mut found = false;
        for s in &loaded.scenarios {
            if matches(&s.name)? {
                found = true;
                push(&mut sel.scenarios, s.clone());
            }
        }
        for (i, name) in broken_names.iter().enumerate() {
            if matches(name)? {
                found = true;
                if !taken_broken[i] {
                    taken_broken[i] = true;
                    sel.broken.push(loaded.broken[i].clone());
                }
            }
        }
        if !found {
            return Err(no_match(pattern, loaded, &broken_names));
        }
    }
    sel.broken_elsewhere = loaded
        .broken
        .iter()
        .zip(&taken_broken)
        .filter(|(_, taken)| !**taken)
        .map(|(e, _)| e.clone())
        .collect();
    Ok(sel)
}

fn push(into: &mut Vec<Scenario>, s: Scenario) {
    if !into.iter().any(|t| t.path == s.path) {
        into.push(s);
    }
}

fn no_match(pattern: &str, loaded: &Loaded, broken: &[String]) -> String {
    let names: Vec<&str> = loaded
        .scenarios
        .iter()
        .map(|s| s.name.as_str())
        .chain(broken.iter().map(String::as_str))
        .collect();
    let hint = scenario::closest(pattern, names.iter().copied())
        .map(|n| format!("; did you mean {n:?}?"))
        .unwrap_or_default();
    let what = if is_glob(pattern) {
        "matches no scenario"
    } else {
        "is no scenario"
    };
    format!(
        "--scenario {pattern:?} {what} in hil/scenarios/{hint} (the scenarios: {}; a file elsewhere is given by its path)",
        names.join(", ")
    )
}

/// Where the names of a run's outstanding failures are kept: `last-failed`
/// in the run's own directory (`target/hil/<board>/<run-id>/`;
/// `--only-failed` reads the one under `target/hil/<board>/latest/`).
pub fn last_failed_path(out_dir: &Path) -> PathBuf {
    out_dir.join("last-failed")
}

/// The last run's failures (one `--scenario` pattern a line: a name, or a
/// path for a file outside the scenario directory); empty if none recorded.
pub fn read_last_failed(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|t| {
            t.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// How a scenario is named in the last-failed list: by name if it is in
/// `dir`, else by its path.
pub fn pattern_for(dir: &Path, path: &Path) -> String {
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    match path.parent() {
        Some(parent) if same(parent, dir) => scenario::name_of(path),
        _ => path.display().to_string(),
    }
}

/// The failure list after a run: the old list without the scenarios this
/// run took (their new verdicts replace them), plus this run's failures
/// and definition errors. Sorted, each once.
pub fn next_last_failed(
    old: &[String],
    dir: &Path,
    selection: &Selection,
    results: &[ScenarioResult],
) -> Vec<String> {
    let ran: Vec<String> = selection
        .scenarios
        .iter()
        .map(|s| pattern_for(dir, &s.path))
        .chain(selection.broken.iter().map(|e| pattern_for(dir, &e.path)))
        .collect();
    let mut out: Vec<String> = old.iter().filter(|o| !ran.contains(o)).cloned().collect();
    for (s, r) in selection.scenarios.iter().zip(results) {
        if r.verdict.is_failure() {
            out.push(pattern_for(dir, &s.path));
        }
    }
    out.extend(selection.broken.iter().map(|e| pattern_for(dir, &e.path)));
    out.sort();
    out.dedup();
    out
}

/// Write the failure list (an empty list removes the file).
pub fn write_last_failed(path: &Path, names: &[String]) -> std::io::Result<()> {
    if names.is_empty() {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut text = names.join("\n");
    text.push('\n');
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// The names of every scenario file in `loaded`, parsed or not.
pub fn scenario_names(loaded: &Loaded) -> Vec<String> {
    loaded
        .scenarios
        .iter()
        .map(|s| s.name.clone())
        .chain(loaded.broken.iter().map(|e| scenario::name_of(&e.path)))
        .collect()
}

/// `--only-failed`: split the last run's recorded failures into those
/// that still select a scenario and those whose scenario has gone since
/// (not an error now: there is nothing left to re-run).
pub fn still_selectable(loaded: &Loaded, recorded: Vec<String>) -> (Vec<String>, Vec<String>) {
    recorded
        .into_iter()
        .partition(|p| select(loaded, std::slice::from_ref(p)).is_ok())
}

/// A scenario file that does not parse, as a result of a run on `board`:
/// an error, so reports and JUnit list it with the others.
pub fn broken_result(board: &str, e: &ScenarioError) -> ScenarioResult {
    ScenarioResult {
        failures: vec![e.to_string()],
        ..ScenarioResult::new(&scenario::name_of(&e.path), board, Verdict::Error)
    }
}
