//! A scenario that names something that does not exist, or asks for what
//! cannot be run, is an error when it is parsed (file:line:col, the field,
//! a did-you-mean), never a silent skip or a failure found mid-run.
#![allow(clippy::unwrap_used)]

mod common;
use common::{assert_contains_all, assert_parse_error, parse_err, repo};

use std::path::Path;

use omv_hil::scenario::Capability;
use omv_hil::Scenario;
use rstest::rstest;

const BASE: &str = include_str!("fixtures/card.toml");

/// `text` with a `sensor` step setting `keys` before its first `record`.
fn sensor_step_before_record(text: &str, keys: &str) -> String {
    text.replacen(
        "[[step]]\nop = \"record\"",
        &format!("[[step]]\nop = \"sensor\"\n{keys}\n\n[[step]]\nop = \"record\""),
        1,
    )
}

#[test]
fn the_base_text_parses_with_typed_capabilities() {
    let s = Scenario::from_toml(BASE, Path::new("base.toml")).unwrap();
    assert_eq!(s.needs, [Capability::Files]);
    assert_eq!(s.boards, ["sim"]);
}

#[rstest]
#[case::misspelled_capability(
    "needs = [\"files\"]",
    "needs = [\"files\", \"power-cutt\"]",
    "bad.toml:3:19: needs: unknown capability \"power-cutt\"; did you mean \"power-cut\"? (expected one of files, memory, power-cut"
)]
#[case::unknown_capability(
    "needs = [\"files\"]",
    "needs = [\"teleport\"]",
    "bad.toml:3:10: needs: unknown capability \"teleport\" (expected one of files,"
)]
#[case::unknown_board(
    "boards = [\"sim\"]",
    "boards = [\"nope\"]",
    "bad.toml:2:11: boards: unknown board \"nope\" (expected one of sim, qemu, h7)"
)]
#[case::misspelled_board(
    "boards = [\"sim\"]",
    "boards = [\"sim\", \"qmeu\"]",
    "bad.toml:2:18: boards: unknown board \"qmeu\"; did you mean \"qemu\"?"
)]
#[case::misspelled_top_level_field(
    "needs = [\"files\"]",
    "need = [\"files\"]",
    "bad.toml:3:1: need: unknown field `need`; did you mean `needs`?"
)]
#[case::misspelled_sensor_field(
    "width = 320",
    "widht = 320",
    "bad.toml:6:1: widht: unknown field `widht`; did you mean `width`?"
)]
#[case::misspelled_step_field(
    "frames = 30",
    "frmaes = 30",
    "bad.toml:21:1: frmaes: unknown field `frmaes`; did you mean `frames`?"
)]
#[case::unknown_card_profile(
    "profile = \"class10\"",
    "profile = \"class11\"",
    "bad.toml:11:11: card.profile: unknown card profile \"class11\"; did you mean \"class10\"? (expected one of class4, class10, uhs1_a1, worn"
)]
#[case::misspelled_real_card(
    "profile = \"class10\"",
    "profile = \"real_clas10\"",
    "bad.toml:11:11: card.profile: unknown card profile \"real_clas10\"; did you mean \"real_class10\"?"
)]
#[case::zero_rate_ideal_card(
    "profile = \"class10\"",
    "profile = \"ideal:0\"",
    "bad.toml:11:11: card.profile: unknown card profile \"ideal:0\""
)]
#[case::expect_of_the_wrong_type(
    "expect = 30",
    "expect = true",
    "bad.toml:25:10: step[3].expect: op \"count\" gives a count or index (an integer >= 0), found true"
)]
#[case::expect_on_an_op_without_a_value(
    "mode = \"w\"",
    "mode = \"w\"\nexpect = 0",
    "bad.toml:18:10: step[1].expect: op \"open\" gives no value"
)]
#[case::expect_a_negative_count(
    "expect = 30",
    "expect = -1",
    "bad.toml:25:10: step[3].expect: op \"count\" gives a count or index (an integer >= 0), found -1"
)]
#[case::more_frames_than_the_card_holds(
    "frames = 30",
    "frames = 100",
    "bad.toml:21:10: step[2].frames: 100 frame(s) of 320x240 RGB565 (153600 bytes each) bring the stream to 15360000 bytes, more than the 6144 KiB card holds (at most 40 such frames)"
)]
#[case::a_long_recording_on_a_small_card(
    "frames = 30",
    "seconds = 10",
    "bad.toml:21:11: step[2].seconds: 300 frame(s) of 320x240 RGB565"
)]
fn a_definition_error_is_found_when_parsed(
    #[case] from: &str,
    #[case] to: &str,
    #[case] want: &str,
) {
    assert_parse_error(BASE, from, to, want);
}

#[test]
fn frames_beyond_the_card_are_fine_when_the_failure_is_expected() {
    let text = BASE
        .replacen("frames = 30", "frames = 100\nerror = \"Io\"", 1)
        .replacen("expect = 30", "expect = 40", 1);
    Scenario::from_toml(&text, Path::new("full.toml")).unwrap();
    // The sensor's format counts: 100 GRAYSCALE QVGA frames fit in 6 MiB.
    let grey =
        BASE.replacen("\"RGB565\"", "\"GRAYSCALE\"", 1)
            .replacen("frames = 30", "frames = 80", 1);
    Scenario::from_toml(&grey, Path::new("grey.toml")).unwrap();
    // ... and a later `sensor` step changes it.
    let grown = sensor_step_before_record(&grey, "pixformat = \"RGB565\"");
    assert!(parse_err(&grown).contains("80 frame(s) of 320x240 RGB565"));
}

#[test]
fn a_missing_description_points_at_the_top_level_table_not_at_a_comment() {
    let text = "# a comment\n\nboards = [\"sim\"]\n[[step]]\nop = \"sync\"\n";
    let msg = parse_err(text);
    assert!(
        msg.starts_with(
            "hil/scenarios/bad.toml:3:1: description: missing from the top-level table"
        ),
        "{msg}"
    );
}

#[test]
fn a_step_without_op_points_at_its_table() {
    let msg = parse_err(&BASE.replacen("op = \"count\"\n", "", 1));
    assert!(
        msg.starts_with("hil/scenarios/bad.toml:23:1: missing field `op`"),
        "{msg}"
    );
}

#[test]
fn the_board_names_a_scenario_may_use_are_the_board_files() {
    let dir = repo("hil/boards");
    let mut files: Vec<String> = omv_hil::BoardFile::load_dir(&dir)
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    let mut known = omv_hil::boards::KNOWN.map(str::to_owned).to_vec();
    files.sort();
    known.sort();
    assert_eq!(files, known, "hil/boards/*.toml and boards::KNOWN differ");
}

/// A recording on a board whose clock is real time, with a 10 s limit.
const TIMED: &str = include_str!("fixtures/timed.toml");

#[test]
fn frames_times_the_frame_period_beyond_the_timeout_is_a_definition_error() {
    // 300 frames at 30 fps: 299 periods of 33 333 us after the first
    // frame = 9.967 s, inside 10 s; the sleep brings it to 10.067 s.
    let msg = parse_err(TIMED);
    assert!(
        msg.starts_with("hil/scenarios/bad.toml:19:6: step[3].ms: the scenario needs at least 10.067 s of board time"),
        "{msg}"
    );
    assert_contains_all(&msg, ["beyond its 10 s timeout (its `timeout_s`)"]);
    let msg = parse_err(&TIMED.replacen("frames = 300", "frames = 302", 1));
    assert!(
        msg.starts_with(
            "hil/scenarios/bad.toml:15:10: step[2].frames: the scenario needs at least 10.033 s"
        ),
        "{msg}"
    );
    // Without the sleep it fits; a `seconds` recording counts its length.
    let fits = TIMED.replacen("ms = 100", "ms = 33", 1);
    Scenario::from_toml(&fits, Path::new("fits.toml")).unwrap();
    let secs = TIMED.replacen("frames = 300", "seconds = 11", 1);
    assert!(parse_err(&secs).contains("step[2].seconds: the scenario needs at least 11.000 s"));
    // A slower sensor set by a step makes the same count too long.
    let slow = sensor_step_before_record(TIMED, "fps = 15");
    assert!(parse_err(&slow).contains("step[3].frames: the scenario needs at least 19.933 s"));
}

#[test]
fn the_board_files_timeout_applies_when_the_scenario_sets_none_and_sim_time_is_virtual() {
    let text = TIMED.replacen("timeout_s = 10\n", "", 1);
    let s = Scenario::from_toml(&text, Path::new("hil/scenarios/long.toml")).unwrap();
    assert_eq!(s.check_timeout(20, "the board file"), Ok(()));
    let e = s
        .check_timeout(10, "hil/boards/qemu.toml scenario_timeout_s")
        .unwrap_err();
    assert_eq!((e.line, e.column), (18, 6)); // one line up: no `timeout_s`
    assert_contains_all(
        &e.to_string(),
        ["(hil/boards/qemu.toml scenario_timeout_s)"],
    );
    // The sim board's clock is virtual: a scenario only for it is not limited.
    let sim = TIMED.replacen("[\"qemu\"]", "[\"sim\"]", 1);
    Scenario::from_toml(&sim, Path::new("sim.toml")).unwrap();
    assert!(!omv_hil::scenario::real_time("sim"));
    assert!(omv_hil::scenario::real_time("qemu"));
}

#[test]
fn sensor_model_keys_are_checked_and_imply_their_capability() {
    let with = |keys: &str| {
        BASE.replacen(
            "pixformat = \"RGB565\"\n",
            &format!("pixformat = \"RGB565\"\n{keys}\n"),
            1,
        )
    };
    let s = Scenario::from_toml(
        &with("startup_us = 1000\njitter_us = 8000\nbuffers = 1"),
        Path::new("m.toml"),
    )
    .unwrap();
    assert_eq!(s.needs, [Capability::Files, Capability::SensorModel]);
    assert_eq!(
        (
            s.sensor.model.startup_us,
            s.sensor.model.jitter_us,
            s.sensor.model.buffers
        ),
        (1000, 8000, 1)
    );
    // The defaults need nothing more.
    let plain = Scenario::from_toml(&with("buffers = 3"), Path::new("p.toml")).unwrap();
    assert_eq!(plain.needs, [Capability::Files]);
    let msg = parse_err(&with("jitter_us = 8334"));
    assert!(msg.starts_with("hil/scenarios/bad.toml:9:13: sensor.jitter_us: jitter_us must be under a quarter of the frame period (at 30 fps the period is 33333 us)"), "{msg}");
    let msg = parse_err(&with("buffers = 4"));
    assert!(
        msg.starts_with("hil/scenarios/bad.toml:9:11: sensor.buffers: buffers must be 1, 2 or 3"),
        "{msg}"
    );
    // A later `sensor` step's rate is checked against the jitter too.
    let faster = sensor_step_before_record(&with("jitter_us = 8000"), "fps = 60");
    let msg = parse_err(&faster);
    assert_contains_all(
        &msg,
        ["at 60 fps the sensor model cannot run: jitter_us must be under a quarter"],
    );
}

#[test]
fn footage_and_uploads_name_host_files_that_exist_and_imply_their_capabilities() {
    // Paths are relative to the scenario file's folder.
    let at = repo("hil/scenarios/x.toml");
    let text = BASE.replacen(
        "pixformat = \"RGB565\"\n",
        "pixformat = \"RGB565\"\nsource = \"../footage\"\n\n[[upload]]\nfrom = \"../footage/clip.bin\"\nto = \"/sdcard/clip.bin\"\n",
        1,
    );
    let s = Scenario::from_toml(&text, &at).unwrap();
    assert_eq!(
        s.needs,
        [Capability::Files, Capability::Footage, Capability::Upload]
    );
    assert!(s.sensor.source.as_ref().unwrap().ends_with("../footage"));
    assert_eq!(s.uploads[0].to, "/sdcard/clip.bin");
    let msg = Scenario::from_toml(&text.replacen("\"../footage\"", "\"../nowhere\"", 1), &at)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("x.toml:9:10: sensor.source: "), "{msg}");
    let msg = Scenario::from_toml(&text.replacen("clip.bin\"\nto", "gone.bin\"\nto", 1), &at)
        .unwrap_err()
        .to_string();
    assert_contains_all(&msg, ["x.toml:12:8: upload.from: cannot read "]);
    let msg = Scenario::from_toml(&text.replacen("to = \"/sdcard", "to = \"sdcard", 1), &at)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("x.toml:13:6: upload.to: a card path"), "{msg}");
}
