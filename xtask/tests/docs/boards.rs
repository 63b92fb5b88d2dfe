//! docs/scenarios.md §8 names every key the qemu and h7 board files may
//! set, and every top-level key of a board file: the lists are the
//! boards' own messages for an unknown key put into the shipped files.

use std::collections::BTreeSet;

use omv_hil::BoardFile;

use super::scenarios::{backticked_after, section};
use super::{read, root};

/// The keys a section of a shipped board file may have, from the board's
/// own message for an unknown key put into it.
fn board_keys(board: &str, section_header: &str) -> BTreeSet<String> {
    let rel = format!("hil/boards/{board}.toml");
    let text = read(&rel);
    let header = format!("\n{section_header}\n");
    assert!(text.contains(&header), "{rel} has no {section_header}");
    let bad = text.replacen(&header, &format!("{header}zzz = 1\n"), 1);
    let path = root().join(&rel);
    let file = BoardFile::parse(bad, &path);
    let msg = match (board, file) {
        (_, Err(e)) => e.to_string(),
        ("qemu", Ok(f)) => omv_hil::boards::qemu::QemuConfig::read(&f)
            .unwrap_err()
            .to_string(),
        ("h7", Ok(f)) => omv_hil::boards::h7::H7Config::read(&f)
            .unwrap_err()
            .to_string(),
        (b, Ok(_)) => panic!("no reader for board {b}"),
    };
    backticked_after(&msg, "zzz`, expected")
}

#[test]
fn every_board_file_key_is_documented() {
    let doc = read("docs/scenarios.md");
    let boards = section(&doc, "## 8.");
    // The top level: the common keys and the section names.
    let sim = read("hil/boards/sim.toml");
    let bad = format!("zzz = 1\n{sim}");
    let msg = BoardFile::parse(bad, &root().join("hil/boards/sim.toml"))
        .unwrap_err()
        .to_string();
    for key in backticked_after(&msg, "zzz`, expected") {
        let shown = boards.contains(&format!("`{key}`")) || boards.contains(&format!("`[{key}]`"));
        assert!(
            shown,
            "docs/scenarios.md §8 does not name the board file's top-level key `{key}`"
        );
    }
    for (board, page) in [("qemu", "### 8.1"), ("h7", "### 8.2")] {
        let text = read(&format!("hil/boards/{board}.toml"));
        let doc_part = section(&doc, page);
        for header in text.lines().filter(|l| l.starts_with('[')) {
            let name = header.trim_matches(['[', ']']);
            for key in board_keys(board, header) {
                assert!(
                    doc_part.contains(&format!("`{key}`"))
                        || doc_part.contains(&format!("`{key} ="))
                        || doc_part.contains(&format!("`[{name}.{key}]`")),
                    "docs/scenarios.md {page} does not name {board}.toml's {header} key `{key}`"
                );
            }
        }
    }
}
