//! What a user reads when something is wrong: a broken scenario file, a
//! missing or changed golden snapshot, a failed expectation, a failing board.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{assert_contains_all, assert_parse_error, parse_err, run_options};

use std::path::Path;

use omv_hil::board::{Board, BoardError, Setup};
use omv_hil::golden::GoldenCheck;
use omv_hil::runner::{run_scenario, RunOptions, Verdict};
use omv_hil::Scenario;
use omv_proto::{ErrorName, Event, Op, OpError, Outcome, Value};
use rstest::rstest;

const GOOD: &str = include_str!("fixtures/small.toml");

#[test]
fn the_good_text_parses() {
    let s = Scenario::from_toml(GOOD, Path::new("hil/scenarios/good.toml")).unwrap();
    assert_eq!(s.name, "good");
    assert_eq!(s.steps.len(), 3);
    assert_eq!(s.steps[1].line, 14);
    assert_eq!(s.steps[1].op, Op::Record { frames: 2 });
}

/// Each broken file names the file, the line and column, the field, and
/// what is expected; the offending line is quoted.
#[rstest]
#[case::unknown_op(
    "op = \"record\"",
    "op = \"recrod\"",
    "bad.toml:14:6: step[2].op: unknown op \"recrod\"; expected one of open, write, record"
)]
#[case::wrong_type(
    "frames = 2",
    "frames = \"two\"",
    "bad.toml:15:10: invalid type: string \"two\", expected u32"
)]
#[case::unknown_field(
    "frames = 2",
    "frame = 2",
    "bad.toml:15:1: frame: unknown field `frame`; did you mean `frames`? (expected one of `op`"
)]
#[case::field_of_another_op(
    "expect = 2",
    "expect = 2\npause = true",
    "bad.toml:20:9: step[3].pause: not a field of op \"count\" (its fields: none)"
)]
#[case::missing_field("frames = 2\n", "\n",
    "bad.toml:14:6: step[2].frames: op \"record\" needs `frames` (a count) or `seconds` (a duration)")]
#[case::bad_pixformat("pixformat = \"GRAYSCALE\"", "pixformat = \"GREY\"",
    "bad.toml:6:13: sensor.pixformat: unknown pixformat \"GREY\"; expected one of BINARY, GRAYSCALE")]
#[case::bad_error_name(
    "expect = 2",
    "error = \"EOF\"",
    "bad.toml:19:9: step[3].error: unknown error \"EOF\"; expected one of Closed,"
)]
#[case::expect_and_error("expect = 2", "expect = 2\nerror = \"Closed\"",
    "bad.toml:19:10: step[3].expect: give `expect` (a value on success) or `error` (a failure), not both")]
#[case::syntax("count = 2", "count = ", "bad.toml:11:9: ")]
#[case::open_without_mode(
    "shape = [16, 8, \"GRAYSCALE\"]\ncount = 2",
    "path = \"/sdcard/a.bin\"",
    "bad.toml:9:6: step[1].mode: op \"open\" needs `mode`"
)]
#[case::zero_frames(
    "frames = 2",
    "frames = 0",
    "bad.toml:15:10: step[2].frames: must be at least 1"
)]
fn a_broken_scenario_says_where_and_why(#[case] from: &str, #[case] to: &str, #[case] want: &str) {
    let msg = assert_parse_error(GOOD, from, to, want);
    // The offending line is quoted under the message (and a caret).
    assert!(msg.contains("\n "), "{msg}");
}

#[test]
fn a_file_without_steps_or_description_says_so() {
    let msg = parse_err("description = \"x\"\n");
    assert_contains_all(&msg, ["step: no steps: add at least one [[step]]"]);
    let msg = parse_err("[[step]]\nop = \"sync\"\n");
    assert!(msg.contains("description: missing"), "{msg}");
}

#[test]
fn a_replay_with_loop_needs_a_frame_count() {
    let msg =
        parse_err(&GOOD.replace("op = \"count\"\nexpect = 2", "op = \"replay\"\nloop = true"));
    assert_contains_all(&msg, ["a replay with loop = true never ends"]);
}

#[test]
fn a_missing_file_is_named() {
    let e = Scenario::load(Path::new("/nonexistent/x.toml")).unwrap_err();
    assert!(e
        .to_string()
        .starts_with("/nonexistent/x.toml: cannot read scenario file"));
}

/// A board that answers from a script, to test the runner alone.
struct Scripted {
    answers: Vec<Outcome>,
    fail_at: Option<u32>,
}

impl Scripted {
    /// A board whose answers pass `good()`: open, record, count = 2.
    fn passing() -> Self {
        Scripted {
            answers: vec![
                Outcome::Ok(Value::Unit),
                Outcome::Ok(Value::Unit),
                Outcome::Ok(Value::Number(2)),
            ],
            fail_at: None,
        }
    }

    /// A board whose link fails at `step`.
    fn failing_at(step: u32) -> Self {
        Scripted {
            answers: vec![],
            fail_at: Some(step),
        }
    }
}

impl Board for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }
    fn begin(&mut self, _: &Setup) -> Result<(), BoardError> {
        Ok(())
    }
    fn run(&mut self, step: u32, _: &Op) -> Result<Outcome, BoardError> {
        if self.fail_at == Some(step) {
            return Err(BoardError::Link {
                board: "scripted".into(),
                message: "serial port vanished".into(),
            });
        }
        Ok(if step == 0 {
            Outcome::Ok(Value::Unit)
        } else {
            self.answers
                .get(step as usize - 1)
                .cloned()
                .unwrap_or(Outcome::Ok(Value::Unit))
        })
    }
    fn take_events(&mut self) -> Result<Vec<Event>, BoardError> {
        Ok(vec![])
    }
    fn download(&mut self, _: &str) -> Result<Option<Vec<u8>>, BoardError> {
        Ok(None)
    }
}

fn opts(root: &Path) -> RunOptions {
    run_options(root, "hil/scenarios", true)
}

/// `GOOD` as `hil/scenarios/<name>.toml`, `header` (top-level keys) first.
fn scenario(name: &str, header: &str) -> Scenario {
    let path = format!("hil/scenarios/{name}.toml");
    Scenario::from_toml(&format!("{header}{GOOD}"), Path::new(&path)).unwrap()
}

fn good() -> Scenario {
    scenario("good", "")
}

#[test]
fn a_failed_expectation_names_the_step_line_op_and_both_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut board = Scripted {
        answers: vec![
            Outcome::Ok(Value::Unit),
            Outcome::Err(OpError::new(ErrorName::EndOfStream, "end of stream")),
            Outcome::Ok(Value::Number(1)),
        ],
        fail_at: None,
    };
    let r = run_scenario(&mut board, &good(), &opts(dir.path()));
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(
        r.failures[0],
        "step 2 (line 14): record 2: expected success, got error EndOfStream: end of stream"
    );
    assert_eq!(
        r.failures[1],
        "step 3 (line 18): count(): expected 2, got 1"
    );
    // The capture is saved even when the scenario fails.
    let cap = r.capture_dir.clone().unwrap();
    assert!(cap.join("steps.txt").is_file());
    assert!(cap.join("summary.txt").is_file());
    assert!(r.line().starts_with("FAIL"), "{}", r.line());
}

#[test]
fn a_board_failure_is_an_error_with_the_boards_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut board = Scripted::failing_at(2);
    let r = run_scenario(&mut board, &good(), &opts(dir.path()));
    assert_eq!(r.verdict, Verdict::Error);
    assert_eq!(
        r.failures,
        ["board `scripted`: link failed: serial port vanished"]
    );
}

#[test]
fn a_missing_golden_says_where_it_goes_and_how_to_accept_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut board = Scripted::passing();
    let r = run_scenario(&mut board, &good(), &opts(dir.path()));
    assert_eq!(r.verdict, Verdict::SnapshotMissing);
    let golden = dir.path().join("golden/scripted/good.snap");
    let new = dir.path().join("golden/scripted/good.snap.new");
    assert_eq!(
        r.failures[0],
        format!(
            "no golden snapshot {}: the captured summary is in {}; review it with `cargo xtask golden review` (or `cargo insta review`)",
            golden.display(),
            new.display()
        )
    );
    assert!(new.is_file());
    // In CI nothing is written and the message says what to do instead.
    std::fs::remove_file(&new).unwrap();
    let ci = RunOptions {
        write_new: false,
        ..opts(dir.path())
    };
    let r = run_scenario(&mut board, &good(), &ci);
    assert_contains_all(
        &r.failures[0],
        ["no .snap.new written (CI=true or INSTA_UPDATE=no); run `cargo xtask hil` locally"],
    );
    assert!(!new.exists());
}

#[test]
fn a_changed_golden_shows_the_diff_and_an_accepted_one_passes() {
    let dir = tempfile::tempdir().unwrap();
    let mut board = Scripted::passing();
    let o = opts(dir.path());
    let first = run_scenario(&mut board, &good(), &o);
    let golden = dir.path().join("golden/scripted/good.snap");
    std::fs::rename(golden.with_extension("snap.new"), &golden).unwrap();
    let again = run_scenario(&mut board, &good(), &o);
    assert_eq!(again.verdict, Verdict::Pass, "{:?}", again.failures);
    assert_eq!(again.golden, Some(GoldenCheck::Match));
    // Change one step's answer: the snapshot changes, with a diff.
    board.answers[2] = Outcome::Ok(Value::Number(3));
    board.answers.push(Outcome::Ok(Value::Unit));
    let mut s = good();
    s.steps[2].expect = omv_hil::scenario::Expect::Ok;
    let changed = run_scenario(&mut board, &s, &o);
    assert_eq!(changed.verdict, Verdict::SnapshotChanged);
    let msg = &changed.failures[0];
    assert!(
        msg.starts_with(&format!("summary differs from {}", golden.display())),
        "{msg}"
    );
    assert_contains_all(
        msg,
        ["-   #3  count()  ->  2\n", "+   #3  count()  ->  3\n"],
    );
    assert!(first.summary.unwrap().contains("board: scripted"));
}

/// A board whose own check (e.g. timing tolerances) fails the scenario.
struct Strict(Scripted);

impl Board for Strict {
    fn name(&self) -> &str {
        "strict"
    }
    fn begin(&mut self, s: &Setup) -> Result<(), BoardError> {
        self.0.begin(s)
    }
    fn run(&mut self, step: u32, op: &Op) -> Result<Outcome, BoardError> {
        self.0.run(step, op)
    }
    fn take_events(&mut self) -> Result<Vec<Event>, BoardError> {
        self.0.take_events()
    }
    fn download(&mut self, p: &str) -> Result<Option<Vec<u8>>, BoardError> {
        self.0.download(p)
    }
    fn check(&self, scenario: &Scenario, capture: &omv_hil::capture::Capture) -> Vec<String> {
        vec![format!(
            "{}: {} steps, replay error 4000 us > tolerance 3000 us",
            scenario.name,
            capture.steps.len()
        )]
    }
}

#[test]
fn a_boards_own_check_fails_the_scenario_with_its_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut board = Strict(Scripted::passing());
    let r = run_scenario(&mut board, &good(), &opts(dir.path()));
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(
        r.failures[0],
        "good: 4 steps, replay error 4000 us > tolerance 3000 us"
    );
}

#[test]
fn a_scenario_for_other_boards_or_capabilities_is_skipped_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut board = Scripted::failing_at(0);
    let only_h7 = scenario("only-h7", "boards = [\"h7\"]\n");
    let r = run_scenario(&mut board, &only_h7, &opts(dir.path()));
    assert_eq!(r.verdict, Verdict::Skipped);
    assert!(!r.verdict.is_failure());
    assert_eq!(
        r.failures,
        ["runs only on h7 (boards = [...] in hil/scenarios/only-h7.toml)"]
    );
    let needs = scenario("cut", "needs = [\"power-cut\", \"memory\"]\n");
    let r = run_scenario(&mut board, &needs, &opts(dir.path()));
    assert_eq!(r.verdict, Verdict::Skipped);
    assert_eq!(r.failures, ["board lacks power-cut, memory"]);
}
