//! The GitHub workflows parse, have the jobs the project relies on, and call
//! only the `cargo xtask` commands and flags listed here; the hardware matrix
//! covers exactly the board files that are flashed through a probe.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use yaml_serde::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
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

fn runs(job: &Value) -> Vec<String> {
    steps(job)
        .iter()
        .filter_map(|s| s["run"].as_str().map(str::to_owned))
        .collect()
}

fn all_runs(wf: &Value) -> Vec<String> {
    jobs(wf).iter().flat_map(|(_, j)| runs(j)).collect()
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
fn ci_has_fmt_clippy_tests_scenarios_and_firmware_builds() {
    let wf = load("ci.yml");
    let names: BTreeSet<String> = jobs(&wf).into_iter().map(|(n, _)| n).collect();
    let want: BTreeSet<String> = ["fmt", "clippy", "test", "firmware", "hil-sim", "hil-qemu"]
        .map(String::from)
        .into();
    assert_eq!(names, want);
    let runs = all_runs(&wf);
    let has = |needle: &str| runs.iter().any(|r| r.contains(needle));
    assert!(has("cargo fmt --all --check"));
    assert!(has("cargo clippy --workspace --all-targets -- -D warnings"));
    assert!(has("cargo test --workspace"));
    assert!(has("cargo xtask hil --board sim"));
    assert!(has("cargo xtask hil --board qemu"));
    assert!(has("apt-get install -y -q qemu-system-arm"));
    // The firmware is built for every board that has one, h7 included.
    let fw = &wf["jobs"]["firmware"];
    assert_eq!(strings(&fw["strategy"]["matrix"]["board"]), ["qemu", "h7"]);
    assert!(runs_contain(
        fw,
        "--no-default-features --features ${{ matrix.board }} --release"
    ));
    assert!(steps(fw).iter().any(|s| s["with"]["targets"]
        .as_str()
        .is_some_and(|t| t.contains("thumbv7em-none-eabihf"))));
    assert!(has(
        "--no-default-features --features h7 --release -- -D warnings"
    ));
    // CI never writes snapshots.
    assert_eq!(wf["env"]["INSTA_UPDATE"].as_str(), Some("no"));
    assert_eq!(wf["env"]["CI"].as_str(), Some("true"));
}

fn runs_contain(job: &Value, needle: &str) -> bool {
    runs(job).iter().any(|r| r.contains(needle))
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
    // The agent is built for the board, the plan shown, then the scenarios run with a JUnit report.
    let runs = runs(job);
    assert!(runs
        .iter()
        .any(|r| r.contains("--features ${{ matrix.board }} --release")));
    assert!(runs
        .iter()
        .any(|r| r.contains("cargo xtask hil --board ${{ matrix.board }} --dry-run")));
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
    "hil --dry-run",
    "hil --junit",
    "hil --list",
    "hil --port",
    "hil --probe",
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
