//! A board never imports from another board: what two boards share lives
//! in a shared module beside them (`boards/serial.rs`, `boards/firmware.rs`,
//! `boards/tolerance.rs`, ...), never inside one board's own files. Every
//! source file of board `a` (`boards/a.rs`, `boards/a/**.rs`) is searched
//! for a path naming another board's module.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

fn boards_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/boards")
}

/// Every `.rs` file under `dir`, recursively.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The files of board `name`: `boards/<name>.rs` and everything under
/// `boards/<name>/`.
fn board_files(name: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let file = boards_dir().join(format!("{name}.rs"));
    if file.is_file() {
        out.push(file);
    }
    let dir = boards_dir().join(name);
    if dir.is_dir() {
        sources(&dir, &mut out);
    }
    out
}

/// The ways a module of one board can name board `other`'s module: from
/// anywhere (`crate::boards::other`, `omv_hil::boards::other`), from
/// `boards/<a>.rs` (`super::other`) and from `boards/<a>/x.rs`
/// (`super::super::other`). A name followed by `::`, `;`, `,`, `}` or
/// ` as` is a use of the module, not a word in prose; so is a name in a
/// `boards::{...}` group.
fn references(text: &str, other: &str) -> Vec<(usize, String)> {
    let prefixes = [format!("boards::{other}"), format!("super::super::{other}")];
    let from_parent = format!("super::{other}");
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            let code = line.split("//").next().unwrap_or("");
            let ends = |rest: &str| {
                rest.starts_with("::")
                    || rest.starts_with(';')
                    || rest.starts_with(',')
                    || rest.starts_with('}')
                    || rest.starts_with(" as ")
            };
            let found = |needle: &str| {
                code.match_indices(needle)
                    .any(|(at, _)| ends(&code[at + needle.len()..]))
            };
            // `boards::{a, other::X}` names it inside a group.
            let grouped = code.match_indices("boards::{").any(|(at, m)| {
                let group = &code[at + m.len()..];
                let group = group.split('}').next().unwrap_or("");
                group.split(',').any(|item| {
                    let item = item.trim();
                    item == other || item.starts_with(&format!("{other}::"))
                })
            });
            prefixes.iter().any(|p| found(p)) || found(&from_parent) || grouped
        })
        .map(|(i, line)| (i + 1, line.trim().to_owned()))
        .collect()
}

#[test]
fn no_board_module_imports_another_boards_module() {
    let boards = omv_hil::boards::KNOWN;
    let mut found = Vec::new();
    for a in boards {
        let files = board_files(a);
        assert!(
            !files.is_empty(),
            "board `{a}` has no source under src/boards/"
        );
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for b in boards.iter().filter(|b| **b != a) {
                for (line, code) in references(&text, b) {
                    found.push(format!(
                        "{}:{line}: board `{a}` uses `{b}`: {code}",
                        file.display()
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "a board imports another board's module (move what both use to a shared module under src/boards/):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_search_finds_each_way_of_naming_another_board() {
    for text in [
        "use crate::boards::h7::timing;",
        "use omv_hil::boards::h7::AgentBoard;",
        "use super::h7::agent;",
        "use super::super::h7;",
        "let m = crate::boards::h7::timing::measure(&events);",
        "use crate::boards::{h7, sim};",
    ] {
        let hits = references(text, "h7").len() + references(text, "sim").len();
        assert!(hits > 0, "not found in {text:?}");
    }
    for text in [
        "use crate::boards::serial::AgentBoard;",
        "// the h7 board uses boards::h7::timing too",
        "use crate::boards::h7board;",
        "use super::sim_helpers;",
    ] {
        assert!(
            references(text, "h7").is_empty() && references(text, "sim").is_empty(),
            "false hit in {text:?}"
        );
    }
}
