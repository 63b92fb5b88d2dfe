//! README.md and docs/*.md cite only what exists: every `cargo xtask`
//! command and flag is one xtask accepts (asked of the built binary's
//! `--help`), every repository path is a file or folder of the
//! repository, every long snake_case name (a test, a key) is a `fn` or a
//! key in the code. (`scenarios` checks the scenario and
//! board file keys; main.rs the citations, links and paths outside the repository.)

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use super::{files, read, root};
use std::process::Command;

/// README.md and every docs/*.md, as (path, text).
fn pages() -> Vec<(String, String)> {
    let mut out = vec![("README.md".to_owned(), read("README.md"))];
    let mut docs: Vec<_> = fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    for p in docs {
        let rel = format!("docs/{}", p.file_name().unwrap().to_string_lossy());
        out.push((rel.clone(), read(&rel)));
    }
    out
}

/// `xtask ARGS --help`'s text.
fn xtask_help(args: &[&str]) -> Option<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The subcommands a help text lists (the lines under "Commands:").
fn subcommands(help: &str) -> BTreeSet<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|c| c != "help")
        .collect()
}

#[test]
fn every_cargo_xtask_command_and_flag_in_the_docs_exists() {
    let top = xtask_help(&[]).expect("xtask --help");
    let commands = subcommands(&top);
    assert!(
        commands.contains("hil") && commands.contains("test"),
        "{commands:?}"
    );
    let mut helps: BTreeMap<Vec<String>, String> = BTreeMap::new();
    let mut bad = Vec::new();
    let mut seen = 0;
    for (path, text) in pages() {
        for (n, line) in text.lines().enumerate() {
            for (i, _) in line.match_indices("cargo xtask ") {
                // The command ends at a closing backtick, a comment or a pipe.
                let rest = &line[i + "cargo xtask ".len()..];
                let end = rest.find(['`', '#', '|', ')', ';']).unwrap_or(rest.len());
                let words: Vec<&str> = rest[..end].split_whitespace().collect();
                let Some(cmd) = words.first() else { continue };
                if cmd.starts_with('<') || *cmd == "..." {
                    continue;
                }
                seen += 1;
                let cmd = cmd.trim_end_matches(['.', ',', ':', '\'']);
                if !commands.contains(cmd) {
                    bad.push(format!(
                        "{path}:{}: `cargo xtask {cmd}`: no such command",
                        n + 1
                    ));
                    continue;
                }
                let mut key = vec![cmd.to_owned()];
                let sub_help = xtask_help(&[cmd]).unwrap();
                let subs = subcommands(&sub_help);
                if let Some(sub) = words.get(1).filter(|w| !w.starts_with('-')) {
                    let sub = sub.trim_end_matches(['.', ',', ':']);
                    if !subs.is_empty() {
                        if !subs.contains(sub) {
                            bad.push(format!(
                                "{path}:{}: `cargo xtask {cmd} {sub}`: no such command",
                                n + 1
                            ));
                            continue;
                        }
                        key.push(sub.to_owned());
                    }
                }
                let help = helps
                    .entry(key.clone())
                    .or_insert_with(|| {
                        let k: Vec<&str> = key.iter().map(String::as_str).collect();
                        xtask_help(&k).unwrap()
                    })
                    .clone();
                for w in &words[1..] {
                    let flag: String = w
                        .trim_start_matches('[')
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                        .collect();
                    if flag.starts_with("--")
                        && flag.len() > 2
                        && !help.contains(&format!("{flag} "))
                        && !help.contains(&format!("{flag}\n"))
                        && !help.contains(&format!("{flag}="))
                    {
                        bad.push(format!(
                            "{path}:{}: `cargo xtask {}` has no flag {flag}",
                            n + 1,
                            key.join(" ")
                        ));
                    }
                }
            }
        }
    }
    verdict("`cargo xtask` commands", seen, 20, &bad);
}

/// Fails unless the pages cited more than `least` `what` (so a broken
/// search cannot pass) and none of them was `bad`.
fn verdict(what: &str, seen: usize, least: usize, bad: &[String]) {
    assert!(
        seen > least,
        "only {seen} {what} found in the docs: is the search broken?"
    );
    assert!(
        bad.is_empty(),
        "{what} in the docs that the code does not have:\n{}",
        bad.join("\n")
    );
}

/// Every backticked token (inline code, outside fenced blocks) of the
/// pages, as "page:line" and the token.
fn inline_code() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, text) in pages() {
        let mut fenced = false;
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
            } else if !fenced {
                for tok in line.split('`').skip(1).step_by(2) {
                    out.push((format!("{path}:{}", n + 1), tok.to_owned()));
                }
            }
        }
    }
    out
}

#[test]
fn every_repository_path_in_the_docs_exists() {
    let roots = [
        "crates/",
        "firmware/",
        "hil/",
        "xtask/",
        "golden/",
        "docs/",
        "fuzz/",
        ".github/",
        ".ci/",
    ];
    let mut bad = Vec::new();
    let mut seen = 0;
    for (at, tok) in inline_code() {
        let p = tok.split_whitespace().next().unwrap_or("");
        let p = p.split(['#', ':']).next().unwrap_or("");
        // Paths only: no placeholders, globs or run outputs.
        let placeholder =
            p.contains(['<', '*', '{', '$']) || p.chars().any(|c| c.is_ascii_uppercase());
        if !roots.iter().any(|r| p.starts_with(r)) || placeholder {
            continue;
        }
        seen += 1;
        // Made by a build or a run, or kept empty until one: not in a clone.
        let made = ["firmware/target", "golden/h7"]
            .iter()
            .any(|m| p.starts_with(m));
        if !made && !root().join(p.trim_end_matches(['.', ',', ')'])).exists() {
            bad.push(format!("{at}: `{tok}`: {p} does not exist"));
        }
    }
    verdict("repository paths", seen, 30, &bad);
}

/// All `.rs` and `.toml` text of the repository outside `target/`.
fn code() -> String {
    files()
        .into_iter()
        .filter(|(p, _)| p.ends_with(".rs") || p.ends_with(".toml"))
        .map(|(_, text)| text)
        .collect()
}

#[test]
fn every_test_name_and_long_key_in_the_docs_exists() {
    // A backticked snake_case name of four or more words is a test or a
    // key: it must be a `fn` or a field/key of the code.
    let snake = |tok: &str| {
        tok.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && tok
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && tok.split('_').count() >= 4
    };
    let names: Vec<(String, String)> = inline_code()
        .into_iter()
        .filter(|(_, tok)| snake(tok))
        .collect();
    let code = code();
    let in_code = |tok: &str| {
        [format!("fn {tok}("), format!("{tok}:"), format!("{tok} =")]
            .iter()
            .any(|n| code.contains(n.as_str()))
    };
    let bad: Vec<String> = names
        .iter()
        .filter(|(_, tok)| !in_code(tok))
        .map(|(at, tok)| format!("{at}: `{tok}` is no fn or key in the code"))
        .collect();
    verdict("long snake_case names", names.len(), 10, &bad);
}

#[test]
fn every_rust_path_in_the_docs_names_an_item_of_the_code() {
    // `Type::item` or `crate::module::Item`: its last segment is declared
    // somewhere in the code (a fn, const, type, module, variant or field).
    // What the code declares: the word after a keyword, and the word a
    // line starts with (enum variants, struct fields).
    let mut declared = std::collections::HashSet::new();
    let word = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for line in code().lines() {
        let line = line.trim_start().trim_start_matches("pub ");
        declared.insert(word(line));
        for k in [
            "fn ", "const ", "struct ", "enum ", "trait ", "type ", "mod ", "static ",
        ] {
            for (i, _) in line.match_indices(k) {
                declared.insert(word(&line[i + k.len()..]));
            }
        }
    }
    // The standard library's own (`u32::from_le_bytes`) are not ours to check.
    let foreign = [
        "std", "core", "alloc", "u8", "u16", "u32", "u64", "usize", "i32", "i64", "f64",
    ];
    let mut bad = Vec::new();
    let mut seen = 0;
    for (at, tok) in inline_code() {
        let path: String = tok
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let segments: Vec<&str> = path.split("::").collect();
        let ident = |s: &&str| {
            s.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        if segments.len() < 2 || !segments.iter().all(ident) || foreign.contains(&segments[0]) {
            continue;
        }
        seen += 1;
        let last = segments[segments.len() - 1];
        if !declared.contains(last) {
            bad.push(format!(
                "{at}: `{tok}`: nothing in the code declares {last}"
            ));
        }
    }
    verdict("Rust paths", seen, 30, &bad);
}

#[test]
fn every_package_of_both_workspaces_is_on_the_architecture_map() {
    // The members as the two workspace manifests list them (`crates/*`
    // globs expanded), each package's own name from its manifest.
    let mut packages = Vec::new();
    for (workspace, manifest) in [("", "Cargo.toml"), ("firmware/", "firmware/Cargo.toml")] {
        let ws: toml::Table = toml::from_str(&read(manifest)).unwrap();
        for m in ws["workspace"]["members"].as_array().unwrap() {
            let m = format!("{workspace}{}", m.as_str().unwrap());
            let dirs: Vec<String> = match m.strip_suffix("/*") {
                Some(parent) => {
                    let mut d: Vec<String> = fs::read_dir(root().join(parent))
                        .unwrap()
                        .map(|e| e.unwrap().path())
                        .filter(|p| p.join("Cargo.toml").exists())
                        .map(|p| p.strip_prefix(root()).unwrap().display().to_string())
                        .collect();
                    d.sort();
                    d
                }
                None => vec![m],
            };
            for d in dirs {
                let pkg: toml::Table = toml::from_str(&read(&format!("{d}/Cargo.toml"))).unwrap();
                packages.push(pkg["package"]["name"].as_str().unwrap().to_owned());
            }
        }
    }
    assert!(packages.len() >= 15, "{packages:?}");
    let doc = read("docs/architecture.md");
    let map = doc
        .split("```")
        .nth(1)
        .expect("docs/architecture.md §1's diagram");
    let missing: Vec<&String> = packages
        .iter()
        .filter(|p| !map.split_whitespace().any(|w| w == p.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "packages missing from docs/architecture.md §1's map: {missing:?}"
    );
}

#[test]
fn every_item_the_stream_crate_exports_is_documented() {
    // The names `crates/imageio/src/lib.rs` exports at its root (`pub use`,
    // `pub const`), each in docs/api.md or docs/format.md.
    let lib = read("crates/imageio/src/lib.rs");
    let mut names = Vec::new();
    for line in lib.lines() {
        if let Some(rest) = line.strip_prefix("pub use ") {
            let list = rest.rsplit("::").next().unwrap().trim_end_matches(';');
            let list = list.trim_matches(['{', '}']);
            names.extend(list.split(',').map(|n| n.trim().to_owned()));
        } else if let Some(rest) = line.strip_prefix("pub const ") {
            names.push(rest.split(':').next().unwrap().trim().to_owned());
        }
    }
    assert!(names.len() > 25, "{names:?}");
    let pages = read("docs/api.md") + &read("docs/format.md");
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| {
            !["`", "::"]
                .iter()
                .any(|after| pages.contains(&format!("`{n}{after}")))
                && !pages.contains(&format!("`{n}<"))
                && !pages.contains(&format!("`{n} "))
                && !pages.contains(&format!("`{n}("))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "omv-imageio exports these, but docs/api.md and docs/format.md do not name them: {missing:?}"
    );
}
