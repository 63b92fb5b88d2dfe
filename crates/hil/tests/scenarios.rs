//! Every scenario in `hil/scenarios/` runs on the `sim` board, meets its
//! expectations, and matches its golden snapshot `golden/sim/<name>.snap`,
//! compared by `omv_hil::golden::check` as `cargo xtask hil` compares it
//! (one snapshot engine). A test writes nothing into `golden/`: a changed
//! summary is reviewed from the `.snap.new` a `cargo xtask hil` run writes
//! (`cargo xtask golden review` or `cargo insta review`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use omv_hil::boards::sim::SimHarnessBoard;
use omv_hil::golden::{self, GoldenCheck};
use omv_hil::runner::{capture, written_paths};
use omv_hil::{summary, Board, Scenario};
use rstest::rstest;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[rstest]
fn scenario_on_sim_matches_its_golden_snapshot(
    #[files("../../hil/scenarios/*.toml")] path: PathBuf,
) {
    let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut board = SimHarnessBoard::new().unwrap();
    let cap = capture(&mut board, &scenario, scenario.seed).unwrap_or_else(|e| panic!("{e}"));
    let failures = cap.failures();
    assert!(
        failures.is_empty(),
        "{}: expectations failed:\n{}",
        scenario.name,
        failures.join("\n")
    );
    // Every file the scenario wrote was downloaded.
    assert_eq!(
        cap.files
            .iter()
            .map(|f| f.board_path.clone())
            .collect::<Vec<_>>(),
        written_paths(&scenario)
    );
    let text = summary::render(&scenario, &cap, &board.snapshot_policy());
    let path = golden::golden_path(&root(), "sim", &scenario.name);
    let hint = format!(
        "run `cargo xtask hil --scenario {}`, then review the .snap.new with `cargo xtask golden review`",
        scenario.name
    );
    match golden::check(&path, &text, &scenario.description, false).unwrap() {
        GoldenCheck::Match => {}
        GoldenCheck::Missing { .. } => panic!("no golden snapshot {}: {hint}", path.display()),
        GoldenCheck::Changed { diff, .. } => {
            panic!(
                "the summary differs from {}: {hint}\n{diff}",
                path.display()
            )
        }
    }
}

#[test]
fn every_scenario_has_a_golden_snapshot_and_every_golden_a_scenario() {
    let scenarios = omv_hil::scenario::load_dir(&root().join("hil/scenarios")).unwrap();
    let names: Vec<String> = scenarios.iter().map(|s| s.name.clone()).collect();
    let mut goldens: Vec<String> = std::fs::read_dir(root().join("golden/sim"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".snap").map(str::to_owned))
        .collect();
    goldens.sort();
    assert_eq!(
        goldens, names,
        "golden/sim/*.snap and hil/scenarios/*.toml differ"
    );
}

#[test]
fn a_sim_run_is_deterministic() {
    let scenario = Scenario::load(&root().join("hil/scenarios/seed-replay.toml")).unwrap();
    let run = || {
        let mut board = SimHarnessBoard::new().unwrap();
        let cap = capture(&mut board, &scenario, 7).unwrap();
        summary::render(&scenario, &cap, &board.snapshot_policy())
    };
    assert_eq!(run(), run());
}

#[test]
fn the_seed_changes_the_content_but_not_the_frame_table_shape() {
    let text = include_str!("fixtures/seeded.toml");
    let scenario = Scenario::from_toml(text, Path::new("seeded.toml")).unwrap();
    let table = |seed| {
        let mut board = SimHarnessBoard::new().unwrap();
        let cap = capture(&mut board, &scenario, seed).unwrap();
        cap.files[0].table().unwrap()
    };
    let (a, b, a2) = (table(1), table(2), table(1));
    assert_eq!(a, a2, "same seed, same file");
    assert_eq!(a.frames.len(), 3);
    assert_eq!(a.len, b.len);
    for (x, y) in a.frames.iter().zip(&b.frames) {
        assert_eq!(
            (x.offset, x.payload_len, x.elapsed_us),
            (y.offset, y.payload_len, y.elapsed_us)
        );
        assert_ne!(
            x.sha256, y.sha256,
            "the box starts elsewhere with another seed"
        );
    }
}
