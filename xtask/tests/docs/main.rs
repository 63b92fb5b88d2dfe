//! The repository explains itself: no file points outside the repository
//! (nothing points at the shared folder beside it or at an absolute path
//! of a development machine), every `docs/<page>.md` a file mentions exists, every
//! `docs/<page>.md §N` it cites is a numbered heading of that page, every
//! relative Markdown link (and `#anchor`) in README.md and docs/ resolves,
//! and the quirk table of docs/format.md §6 has the rows of the crate
//! docs' table (`crates/imageio/src/lib.rs`), naming tests that exist.
//! Reads files only; runs in milliseconds. Its modules check that the
//! pages say what the code accepts: `scenarios` (docs/scenarios.md
//! against the scenario parser), `op_values` (its §6 "Gives" column
//! against the parser), `boards` (its §8 against the board files), `code`
//! (commands, paths and names the pages cite; absolute paths of a machine).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod boards;
mod code;
mod op_values;
mod scenarios;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The repository's root.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A file of the repository by its path from the root.
pub(crate) fn read(rel: &str) -> String {
    fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every UTF-8 file of the repository (build outputs and `.git` left out),
/// as (path relative to the root, text).
pub(crate) fn files() -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name == "target" || name == ".git" {
                    continue;
                }
                walk(root, &path, out);
            } else if let Ok(text) = fs::read_to_string(&path) {
                let rel = path.strip_prefix(root).unwrap();
                out.push((rel.to_string_lossy().replace('\\', "/"), text));
            }
        }
    }
    let mut out = Vec::new();
    walk(&root(), &root(), &mut out);
    assert!(
        out.iter().any(|(p, _)| p == "docs/README.md"),
        "docs/README.md missing: the walk did not find the docs"
    );
    out
}

/// The section numbers of a page's headings: `## 3. Chunks` gives `3`,
/// `### 3.2 V2.0 chunk` gives `3.2`.
fn sections(page: &str) -> BTreeSet<String> {
    page.lines()
        .filter(|l| l.starts_with('#'))
        .filter_map(|l| {
            let token = l.trim_start_matches('#').split_whitespace().next()?;
            let n = token.trim_end_matches('.');
            (!n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || c == '.'))
                .then(|| n.to_owned())
        })
        .collect()
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to `-`.
fn slug(heading: &str) -> String {
    let text = heading.trim_start_matches('#').trim();
    let mut s = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            s.extend(c.to_lowercase());
        } else if c == ' ' || c == '-' {
            s.push('-');
        } else if c == '_' {
            s.push('_');
        }
    }
    s
}

fn anchors(page: &str) -> BTreeSet<String> {
    let mut in_code = false;
    let mut out = BTreeSet::new();
    for l in page.lines() {
        if l.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && l.starts_with('#') {
            out.insert(slug(l));
        }
    }
    out
}

/// Each `docs/<page>.md` in `line` (not inside a longer path or a URL),
/// with the `§N` numbers that follow it before the next page is named.
fn citations(line: &str) -> Vec<(String, Vec<String>)> {
    let mut starts = Vec::new();
    for (i, _) in line.match_indices("docs/") {
        let before = line[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || "/._-".contains(c)) {
            continue;
        }
        let rest = &line[i + 5..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        if !name.is_empty() && rest[name.len()..].starts_with(".md") {
            starts.push((i, format!("docs/{name}.md"), i + 5 + name.len() + 3));
        }
    }
    let mut out = Vec::new();
    for (k, (_, page, end)) in starts.iter().enumerate() {
        let until = starts.get(k + 1).map_or(line.len(), |s| s.0);
        let tail = &line[*end..until];
        let mut secs = Vec::new();
        for (j, _) in tail.match_indices('§') {
            let n: String = tail[j + '§'.len_utf8()..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let n = n.trim_end_matches('.');
            if !n.is_empty() {
                secs.push(n.to_owned());
            }
        }
        out.push((page.clone(), secs));
    }
    out
}

#[test]
fn nothing_refers_to_a_path_outside_the_repository() {
    // The shared folder beside the repository, and absolute paths of the
    // machines it is developed on: a clone has none of them. A worktree's
    // `.git` file names its folder: git's, not the project's.
    let needles = [
        concat!("..", "/shared"),
        concat!("/", "work/"),
        concat!("/home/", "runner/"),
    ];
    let hits: Vec<String> = files()
        .iter()
        .filter(|(path, _)| path != ".git")
        .flat_map(|(path, text)| {
            text.lines()
                .enumerate()
                .filter(|(_, l)| needles.iter().any(|s| l.contains(s)))
                .map(move |(n, l)| format!("{path}:{}: {}", n + 1, l.trim()))
        })
        .collect();
    assert!(
        hits.is_empty(),
        "paths outside the repository:\n{}",
        hits.join("\n")
    );
}

#[test]
fn every_cited_docs_page_and_section_exists() {
    let root = root();
    let mut bad = Vec::new();
    let mut cited = 0;
    for (path, text) in files() {
        for (n, line) in text.lines().enumerate() {
            for (page, secs) in citations(line) {
                cited += 1;
                let Ok(body) = fs::read_to_string(root.join(&page)) else {
                    bad.push(format!("{path}:{}: {page} does not exist", n + 1));
                    continue;
                };
                let have = sections(&body);
                for s in secs {
                    if !have.contains(&s) {
                        bad.push(format!(
                            "{path}:{}: {page} has no section §{s} (its sections: {})",
                            n + 1,
                            have.iter().cloned().collect::<Vec<_>>().join(", ")
                        ));
                    }
                }
            }
        }
    }
    assert!(
        cited > 20,
        "only {cited} citations of docs/ found: is the search broken?"
    );
    assert!(bad.is_empty(), "broken docs citations:\n{}", bad.join("\n"));
}

#[test]
fn markdown_links_in_readme_and_docs_resolve() {
    let root = root();
    let mut bad = Vec::new();
    let pages: Vec<(String, String)> = files()
        .into_iter()
        .filter(|(p, _)| p == "README.md" || (p.starts_with("docs/") && p.ends_with(".md")))
        .collect();
    for (path, text) in &pages {
        let dir = Path::new(path).parent().unwrap_or(Path::new(""));
        for (i, _) in text.match_indices("](") {
            let target: String = text[i + 2..].chars().take_while(|c| *c != ')').collect();
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = match target.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (target.as_str(), None),
            };
            let resolved = if file.is_empty() {
                root.join(path)
            } else {
                root.join(dir).join(file)
            };
            if !resolved.exists() {
                bad.push(format!(
                    "{path}: link to {target}: {} does not exist",
                    resolved.display()
                ));
                continue;
            }
            if let Some(a) = anchor {
                let body = fs::read_to_string(&resolved).unwrap_or_default();
                if !anchors(&body).contains(a) {
                    bad.push(format!(
                        "{path}: link to {target}: no heading with anchor #{a}"
                    ));
                }
            }
        }
    }
    assert!(bad.is_empty(), "broken links:\n{}", bad.join("\n"));
}

#[test]
fn the_quirk_table_in_docs_matches_the_crate_docs_and_names_real_tests() {
    let root = root();
    let quirks = |text: &str, prefix: &str| -> BTreeSet<u32> {
        text.lines()
            .filter_map(|l| l.strip_prefix(prefix))
            .filter_map(|l| {
                let n: String = l.chars().take_while(char::is_ascii_digit).collect();
                n.parse().ok()
            })
            .collect()
    };
    let lib = fs::read_to_string(root.join("crates/imageio/src/lib.rs")).unwrap();
    let doc = fs::read_to_string(root.join("docs/format.md")).unwrap();
    let in_crate = quirks(&lib, "//! | Q");
    let in_docs = quirks(&doc, "| Q");
    assert!(
        in_crate.len() >= 20,
        "the crate's quirk table was not found"
    );
    assert_eq!(in_crate, in_docs, "crate docs vs docs/format.md §6");

    let tests_dir = root.join("crates/imageio/tests");
    let sources: String = fs::read_dir(&tests_dir)
        .unwrap()
        .filter_map(|e| fs::read_to_string(e.unwrap().path()).ok())
        .collect();
    let mut missing = Vec::new();
    for row in doc.lines().filter(|l| l.starts_with("| Q")) {
        let last = row.trim_end_matches('|').rsplit('|').next().unwrap_or("");
        for (k, name) in last.split('`').enumerate() {
            let is_ident = name.contains('_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if k % 2 == 1 && is_ident && !sources.contains(&format!("fn {name}(")) {
                missing.push(format!(
                    "{name} (row {})",
                    row.split('|').nth(1).unwrap_or("").trim()
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/format.md §6 names tests that do not exist: {missing:?}"
    );
}

#[test]
fn the_helpers_see_what_they_should() {
    assert_eq!(
        sections("## 3. Chunks\n### 3.2 V2.0\n#### x"),
        ["3", "3.2"].map(String::from).into()
    );
    assert_eq!(slug("## 6. Quirk decisions"), "6-quirk-decisions");
    assert_eq!(
        slug("## 8. Board files: `hil/boards/<name>.toml`"),
        "8-board-files-hilboardsnametoml"
    );
    let c = citations("see docs/format.md §2, §3.2 and docs/api.md §4; https://x/docs/y.md");
    assert_eq!(
        c,
        vec![
            ("docs/format.md".into(), vec!["2".into(), "3.2".into()]),
            ("docs/api.md".into(), vec!["4".into()]),
        ]
    );
}
