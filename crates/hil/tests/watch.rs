//! What `run_all` watches while a scenario runs: its `Progress` hears of
//! every step before it runs, so a run without a terminal can say which
//! step is taking long (issue 10 item 8), and a step still running at the
//! scenario's overall timeout is cancelled (item 4).
#![allow(clippy::unwrap_used)]

mod common;
use common::{run_options, write_scenario};

use std::time::Instant;

use omv_hil::boards::sim::SimHarnessBoard;
use omv_hil::runner::{run_all, Progress, ScenarioResult};
use omv_hil::{Board, BoardError, Scenario, Setup};

const TINY: &str = include_str!("fixtures/tiny-record.toml");

#[derive(Default)]
struct Told(Vec<String>);

impl Progress for Told {
    fn start(&mut self, s: &Scenario) {
        self.0.push(format!("start {}", s.name));
    }
    fn step(&mut self, number: u32, text: &str) {
        self.0.push(format!("step {number} {text}"));
    }
    fn done(&mut self, r: &ScenarioResult) {
        self.0.push(format!("done {}", r.name));
    }
}

#[test]
fn every_step_is_announced_between_start_and_done() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Scenario::load(&write_scenario(dir.path(), "tiny", TINY)).unwrap();
    let opts = run_options(dir.path(), dir.path().join("elsewhere"), false);
    let mut board = SimHarnessBoard::new().unwrap();
    let mut told = Told::default();
    let results = run_all(&mut board, &[scenario], &opts, &mut told);
    assert_eq!(results.len(), 1);
    let t = &told.0;
    assert_eq!(t.first().map(String::as_str), Some("start tiny"));
    assert_eq!(t.last().map(String::as_str), Some("done tiny"));
    let steps: Vec<&str> = t[1..t.len() - 1].iter().map(String::as_str).collect();
    assert_eq!(steps.len(), 3, "{t:?}");
    assert!(steps[0].starts_with("step 0 "), "sensor setup: {t:?}");
    assert!(steps[1].starts_with("step 1 "), "{t:?}");
    assert!(steps[2].starts_with("step 2 record"), "{t:?}");
}

/// Record two frames, then replay them unpaced in a loop 4 000 000 000
/// times: without cancellation this runs for hours of wall time.
const RUNAWAY: &str = include_str!("fixtures/runaway.toml");

#[test]
fn a_runaway_step_is_cancelled_at_the_scenario_deadline_and_the_board_stays_usable() {
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::load(&write_scenario(dir.path(), "runaway", RUNAWAY)).unwrap();
    assert_eq!(s.timeout_s, Some(30));
    let mut board = SimHarnessBoard::new().unwrap();
    board
        .begin(&Setup {
            scenario: s.name.clone(),
            seed: 1,
            card: s.card.clone(),
        })
        .unwrap();
    assert!(board.run(0, &s.sensor.op(1)).unwrap().is_ok());
    for (i, st) in s.steps.iter().take(4).enumerate() {
        assert!(board.run(i as u32 + 1, &st.op).unwrap().is_ok());
    }
    // The deadline has passed as the replay starts: it is cancelled
    // between frames instead of running for hours.
    board.set_deadline(Some(Instant::now()));
    let err = board.run(5, &s.steps[4].op).unwrap_err();
    assert!(
        matches!(&err, BoardError::Timeout { what, .. } if what.contains("overall timeout")),
        "{err}"
    );
    // Its cancelled answer was taken: the next step gets its own.
    board.set_deadline(None);
    assert!(board.run(6, &s.steps[5].op).unwrap().is_ok());
    board.end().unwrap();
}

#[test]
fn timeout_s_must_be_positive() {
    let dir = tempfile::tempdir().unwrap();
    let zero = RUNAWAY.replace("timeout_s = 30", "timeout_s = 0");
    let e = Scenario::load(&write_scenario(dir.path(), "zero", &zero))
        .unwrap_err()
        .to_string();
    assert!(e.contains("zero.toml:2:") && e.contains("timeout_s"), "{e}");
}
