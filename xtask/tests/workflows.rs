//! The GitHub workflows parse, have the jobs the project relies on, run the
//! checks of `cargo xtask test` by group (every group exactly once, none of
//! its commands a second time) and call only the `cargo xtask` commands and
//! flags listed here; the hardware matrix covers exactly the board files
//! that are flashed through a probe. Reads files and runs the built xtask's
//! `test --list`; runs in milliseconds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_serde::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `cargo xtask test --list` of the built xtask: group -> command lines.
fn check_groups() -> BTreeMap<String, Vec<String>> {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["test", "--list"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let (group, rest) = line
            .strip_prefix('[')
            .and_then(|l| l.split_once("] "))
            .unwrap_or_else(|| panic!("not `[group] name: command`: {line}"));
        let command = rest.rsplit_once(": ").unwrap().1;
        groups
            .entry(group.to_owned())
            .or_default()
            .push(command.to_owned());
    }
    assert!(groups.len() >= 5, "{groups:?}");
    groups
}

/// The group each `cargo xtask test --group G` in `scripts` runs.
fn groups_run(scripts: &[String]) -> Vec<String> {
    scripts
        .iter()
        .flat_map(|s| s.lines())
        .filter_map(|l| l.split("cargo xtask test --group ").nth(1))
        .map(|g| g.split_whitespace().next().unwrap_or("").to_owned())
        .collect()
}

fn load(name: &str) -> Value {
    let path = root().join(".github/workflows").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn jobs(wf: &Value) -> Vec<(String, &Value)> {
    wf["jobs"]
        .as_mapping()
        .expect("jobs is a mapping")
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_owned(), v))
        .collect()
}

fn steps(job: &Value) -> &Vec<Value> {
    job["steps"].as_sequence().expect("steps is a list")
}

fn runs_of(job: &Value) -> Vec<String> {
    steps(job)
        .iter()
        .filter_map(|s| s["run"].as_str().map(str::to_owned))
        .collect()
}

fn all_runs(wf: &Value) -> Vec<String> {
    jobs(wf).iter().flat_map(|(_, j)| runs_of(j)).collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .unwrap_or_else(|| panic!("expected a list, got {v:?}"))
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect()
}

/// Every `cargo xtask SUB --flag` in the run scripts, as `SUB --flag`
/// (plus `SUB` alone). Flags collected into a bash array (`args+=(--x ...)`)
/// in the same script count for the xtask calls of that script.
fn xtask_calls(scripts: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for script in scripts {
        let joined = script.replace("\\\n", " ");
        let mut subs = vec![];
        let mut array_flags = vec![];
        for line in joined.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            if let Some(i) = words.windows(2).position(|w| w == ["cargo", "xtask"]) {
                let sub = words.get(i + 2).copied().unwrap_or("").to_owned();
                out.insert(sub.clone());
                for w in words.get(i + 3..).unwrap_or_default() {
                    if let Some(flag) = w.strip_prefix("--") {
                        out.insert(format!("{sub} --{}", flag.split('=').next().unwrap()));
                    }
                }
                subs.push(sub);
            } else if line.contains("args+=(") {
                array_flags.extend(
                    words
                        .iter()
                        .filter_map(|w| w.trim_start_matches("args+=(").strip_prefix("--"))
                        .map(|f| f.trim_end_matches(')').to_owned()),
                );
            }
        }
        for sub in &subs {
            for f in &array_flags {
                out.insert(format!("{sub} --{f}"));
            }
        }
    }
    out
}

#[test]
fn every_step_is_a_run_or_a_pinned_action() {
    for name in ["ci.yml", "hil.yml"] {
        let wf = load(name);
        assert!(wf["name"].as_str().is_some(), "{name}: no name");
        assert!(wf["on"].as_mapping().is_some(), "{name}: no `on` triggers");
        for (job, j) in jobs(&wf) {
            assert!(!j["runs-on"].is_null(), "{name}/{job}: no runs-on");
            assert!(
                j["timeout-minutes"].as_u64().is_some(),
                "{name}/{job}: every job needs a timeout"
            );
            assert!(!steps(j).is_empty(), "{name}/{job}: no steps");
            for s in steps(j) {
                match (s["uses"].as_str(), s["run"].as_str()) {
                    (Some(action), None) => {
                        let (repo, version) = action.split_once('@').unwrap_or((action, ""));
                        // dtolnay/rust-toolchain's ref names the toolchain itself.
                        let toolchain = repo == "dtolnay/rust-toolchain" && version == "stable";
                        assert!(
                            version.starts_with('v') || version.len() == 40 || toolchain,
                            "{name}/{job}: action {action} is not pinned to a version"
                        );
                    }
                    (None, Some(_)) => {}
                    other => {
                        panic!("{name}/{job}: a step needs exactly one of uses/run: {other:?}")
                    }
                }
            }
        }
    }
}

#[test]
fn ci_runs_every_check_group_of_xtask_test_once_and_lists_no_check_itself() {
    let wf = load("ci.yml");
    let groups = check_groups();
    let runs = all_runs(&wf);
    let mut called = groups_run(&runs);
    called.sort();
    let want: Vec<String> = groups.keys().cloned().collect();
    assert_eq!(
        called, want,
        "each group of `cargo xtask test` exactly once"
    );
    // The checks are not listed a second time: no cargo command but xtask.
    for r in &runs {
        for line in r.lines() {
            for tool in ["fmt", "clippy", "test", "build"] {
                assert!(
                    !line.contains(&format!("cargo {tool}")),
                    "ci.yml runs `cargo {tool}` itself: {line}"
                );
            }
        }
    }
    for (name, job) in jobs(&wf) {
        let scripts = runs_of(job);
        let commands: Vec<&String> = groups_run(&scripts)
            .iter()
            .flat_map(|g| &groups[g])
            .collect();
        let uses = |needle: &str| commands.iter().any(|c| c.contains(needle));
        // A group that builds for the board or in the firmware workspace
        // (formatting aside) needs the target.
        let builds_for_the_board = commands.iter().any(|c| {
            !c.starts_with("cargo fmt")
                && (c.contains("thumbv7em-none-eabihf") || c.contains("firmware/"))
        });
        if builds_for_the_board {
            assert!(
                steps(job).iter().any(|s| s["with"]["targets"]
                    .as_str()
                    .is_some_and(|t| t.contains("thumbv7em-none-eabihf"))),
                "ci.yml/{name}: its checks build for thumbv7em-none-eabihf"
            );
        }
        let apt = scripts.iter().any(|s| s.contains("apt-get install"));
        // The qemu board's scenarios (and its tests in the host tests) need the emulator;
        // the stack budgets disassemble with arm-none-eabi-objdump.
        if uses("--board qemu") || uses("cargo test") {
            assert!(
                apt && scripts.iter().any(|s| s.contains("qemu-system-arm")),
                "ci.yml/{name}: needs qemu-system-arm"
            );
        }
        if uses("xtask stack") {
            assert!(
                scripts.iter().any(|s| s.contains("binutils-arm-none-eabi")),
                "ci.yml/{name}: needs arm-none-eabi-objdump"
            );
        }
    }
    // CI never writes snapshots.
    assert_eq!(wf["env"]["INSTA_UPDATE"].as_str(), Some("no"));
    assert_eq!(wf["env"]["CI"].as_str(), Some("true"));
}

#[test]
fn groups_are_extracted_from_scripts() {
    let scripts = vec!["echo\ncargo xtask test --group fmt --keep-going".to_owned()];
    assert_eq!(groups_run(&scripts), ["fmt"]);
    assert!(groups_run(&["cargo xtask test".to_owned()]).is_empty());
}

/// Board files flashed through a probe (they have a `[flash]` section).
fn probe_boards() -> BTreeSet<String> {
    let dir = root().join("hil/boards");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter(|p| {
            let v: toml::Table = std::fs::read_to_string(p).unwrap().parse().unwrap();
            v.contains_key("flash")
        })
        .map(|p| p.file_stem().unwrap().to_str().unwrap().to_owned())
        .collect()
}

#[test]
fn hil_runs_one_job_per_board_on_runners_labelled_by_board() {
    let wf = load("hil.yml");
    let all = jobs(&wf);
    assert_eq!(all.len(), 1, "one matrix job");
    let (_, job) = &all[0];
    let boards: BTreeSet<String> = strings(&job["strategy"]["matrix"]["board"])
        .into_iter()
        .collect();
    assert_eq!(
        boards,
        probe_boards(),
        "the matrix must list exactly the boards with a [flash] section"
    );
    assert_eq!(job["strategy"]["fail-fast"].as_bool(), Some(false));
    assert_eq!(
        strings(&job["runs-on"]),
        ["self-hosted", "hil", "${{ matrix.board }}"]
    );
    let group = job["concurrency"]["group"].as_str().unwrap();
    assert!(group.contains("${{ matrix.board }}"), "{group}");
    assert_eq!(
        job["concurrency"]["cancel-in-progress"].as_bool(),
        Some(false)
    );
    // The agents are built and checked (xtask test's firmware group) before
    // the scenarios run on the board with a JUnit report.
    let runs = runs_of(job);
    let firmware = runs
        .iter()
        .position(|r| r.contains("cargo xtask test --group firmware"));
    let board = runs
        .iter()
        .position(|r| r.contains("cargo xtask hil --board ${{ matrix.board }} --junit"));
    assert!(
        firmware.is_some() && firmware < board,
        "firmware checks, then the board run: {runs:?}"
    );
    let junit = "target/hil/${{ matrix.board }}/junit.xml";
    assert!(runs.iter().any(|r| r.contains(&format!("--junit {junit}"))));
    // JUnit and the captures are uploaded even when the run fails.
    let uploads: Vec<&Value> = steps(job)
        .iter()
        .filter(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact@"))
        })
        .collect();
    assert_eq!(uploads.len(), 2);
    for u in &uploads {
        assert_eq!(u["if"].as_str(), Some("always()"));
        assert!(u["with"]["name"]
            .as_str()
            .unwrap()
            .contains("${{ matrix.board }}"));
    }
    let paths: Vec<&str> = uploads
        .iter()
        .map(|u| u["with"]["path"].as_str().unwrap())
        .collect();
    assert!(paths.iter().any(|p| p.trim() == junit), "{paths:?}");
    assert!(
        paths
            .iter()
            .any(|p| p.contains("target/hil/${{ matrix.board }}/\n")),
        "{paths:?}"
    );
}

/// The xtask surface the workflows depend on. When this changes, check that
/// xtask still accepts every entry (`cargo xtask hil --help`).
const XTASK_CALLS: &[&str] = &[
    "hil",
    "hil --board",
    "hil --junit",
    "hil --port",
    "hil --probe",
    "test",
    "test --group",
];

#[test]
fn the_workflows_call_only_the_known_xtask_commands() {
    let mut scripts = all_runs(&load("ci.yml"));
    scripts.extend(all_runs(&load("hil.yml")));
    let calls = xtask_calls(&scripts);
    let want: BTreeSet<String> = XTASK_CALLS.iter().map(|s| s.to_string()).collect();
    assert_eq!(calls, want);
}

#[test]
fn xtask_calls_are_extracted_from_scripts() {
    let scripts = vec![
        "cargo xtask hil --board sim \\\n  --junit=x.xml\necho cargo xtask".to_owned(),
        "args=()\nargs+=(--probe \"$P\")\ncargo xtask golden review".to_owned(),
    ];
    let got: Vec<String> = xtask_calls(&scripts).into_iter().collect();
    assert_eq!(
        got,
        [
            "",
            "golden",
            "golden --probe",
            "hil",
            "hil --board",
            "hil --junit"
        ]
    );
}

/// The package names of the cargo workspace in `dir` (members' `[package] name`,
/// `dir/*` globs expanded).
fn workspace_packages(dir: &Path) -> BTreeSet<String> {
    let manifest: toml::Table = std::fs::read_to_string(dir.join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let members = manifest["workspace"]["members"].as_array().unwrap();
    let mut crate_dirs = vec![];
    for m in members {
        let m = m.as_str().unwrap();
        match m.strip_suffix("/*") {
            Some(parent) => {
                for e in std::fs::read_dir(dir.join(parent)).unwrap() {
                    crate_dirs.push(e.unwrap().path());
                }
            }
            None => crate_dirs.push(dir.join(m)),
        }
    }
    crate_dirs
        .into_iter()
        .filter_map(|d| std::fs::read_to_string(d.join("Cargo.toml")).ok())
        .map(|text| {
            let t: toml::Table = text.parse().unwrap();
            t["package"]["name"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// `text` once per value of the job's `matrix.board` (or as is).
fn expand_matrix(text: &str, job: &Value) -> Vec<String> {
    match job["strategy"]["matrix"]["board"].as_sequence() {
        Some(boards) => boards
            .iter()
            .map(|b| text.replace("${{ matrix.board }}", b.as_str().unwrap()))
            .collect(),
        None => vec![text.to_owned()],
    }
}

/// Checks that every `-p NAME` in `command` (run `at`) is one of
/// `packages`; returns how many it checked.
fn check_package_args(command: &str, packages: &BTreeSet<String>, at: &str) -> usize {
    let words: Vec<&str> = command.split_whitespace().collect();
    let mut checked = 0;
    for w in words.windows(2).filter(|w| w[0] == "-p") {
        assert!(
            packages.contains(w[1]),
            "{at}: `-p {}` is not a package of its workspace: {command}\n(the packages: {packages:?})",
            w[1]
        );
        checked += 1;
    }
    checked
}

#[test]
fn every_cargo_package_and_directory_the_checks_and_workflows_use_exists() {
    let host = workspace_packages(&root());
    let firmware = workspace_packages(&root().join("firmware"));
    assert!(firmware.contains("agent-h7") && firmware.contains("agent-qemu"));
    let mut checked = 0;
    for name in ["ci.yml", "hil.yml"] {
        let wf = load(name);
        for (job, j) in jobs(&wf) {
            for s in steps(j) {
                let Some(script) = s["run"].as_str() else {
                    continue;
                };
                let dir = s["working-directory"].as_str().unwrap_or(".");
                assert!(
                    root().join(dir).is_dir(),
                    "{name}/{job}: no directory {dir}"
                );
                let packages = if dir == "firmware" { &firmware } else { &host };
                for script in expand_matrix(script, j) {
                    let at = format!("{name}/{job} (in {dir})");
                    checked += check_package_args(&script, packages, &at);
                }
            }
        }
    }
    // The checks the workflows run through `cargo xtask test`.
    for (group, commands) in check_groups() {
        for command in commands {
            let packages = if command.contains("--manifest-path firmware/Cargo.toml") {
                &firmware
            } else {
                &host
            };
            checked += check_package_args(&command, packages, &format!("xtask test [{group}]"));
        }
    }
    assert!(checked >= 4, "only {checked} package references found");
}

/// Long flags declared with clap's derive in `text`: the field after an
/// `#[arg(long ...)]` (snake_case to kebab-case) or its `long = "..."`.
fn declared_flags(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for (i, line) in lines.iter().enumerate() {
        if !(line.starts_with("#[arg(") && line.contains("long")) {
            continue;
        }
        if let Some(rest) = line.split("long = \"").nth(1) {
            out.insert(rest.split('"').next().unwrap().to_owned());
            continue;
        }
        let field = lines[i + 1..]
            .iter()
            .find(|l| !l.starts_with("#[") && !l.starts_with("///"))
            .unwrap();
        let name = field
            .trim_start_matches("pub ")
            .split(':')
            .next()
            .unwrap()
            .trim();
        out.insert(name.replace('_', "-"));
    }
    out
}

fn rust_sources(dir: &Path) -> String {
    let mut text = String::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            text.push_str(&rust_sources(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            text.push_str(&std::fs::read_to_string(&p).unwrap());
            text.push('\n');
        }
    }
    text
}

#[test]
fn declared_flags_are_found_in_clap_derives() {
    let text = "#[arg(long)]\n    /// doc\n    pub dry_run: bool,\n#[arg(long = \"junit\", value_name = \"P\")]\n x: u8,\n#[arg(short)]\n y: u8,";
    let got: Vec<String> = declared_flags(text).into_iter().collect();
    assert_eq!(got, ["dry-run", "junit"]);
}

#[test]
fn xtask_accepts_every_command_the_workflows_run() {
    // The CLI is xtask's clap derive plus the flags it flattens in from
    // the harness and from hil-flash (`ProbeArgs`).
    let mut sources = rust_sources(&root().join("xtask/src"));
    sources.push_str(&rust_sources(&root().join("crates/hil/src")));
    sources.push_str(&rust_sources(&root().join("crates/flash/src")));
    let flags = declared_flags(&sources);
    let main = std::fs::read_to_string(root().join("xtask/src/main.rs")).unwrap();
    for call in XTASK_CALLS {
        let mut parts = call.split_whitespace();
        let sub = parts.next().unwrap();
        let variant: String = sub[..1].to_uppercase() + &sub[1..];
        assert!(
            main.lines().any(|l| {
                let l = l.trim();
                l.strip_prefix(variant.as_str()).is_some_and(|r| {
                    r.starts_with(" {") || r.starts_with('(') || r.starts_with(',')
                })
            }),
            "xtask has no `{sub}` subcommand (no `{variant}` variant in xtask/src/main.rs)"
        );
        if let Some(flag) = parts.next() {
            let flag = flag.trim_start_matches("--");
            assert!(
                flags.contains(flag),
                "`cargo xtask {sub} --{flag}` is run by a workflow but no clap field declares --{flag}; declared: {flags:?}"
            );
        }
    }
}
