//! A scenario that names something that does not exist, or asks for what
//! cannot be run, is an error when it is parsed (file:line:col, the field,
//! a did-you-mean), never a silent skip or a failure found mid-run.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use omv_hil::scenario::Capability;
use omv_hil::Scenario;
use rstest::rstest;

const BASE: &str = r#"description = "record onto a small card"
boards = ["sim"]
needs = ["files"]

[sensor]
width = 320
height = 240
pixformat = "RGB565"

[card]
profile = "class10"
capacity_kib = 6144

[[step]]
op = "open"
path = "/sdcard/a.bin"
mode = "w"

[[step]]
op = "record"
frames = 30

[[step]]
op = "count"
expect = 30
"#;

fn parse_err(text: &str) -> String {
    Scenario::from_toml(text, Path::new("hil/scenarios/bad.toml"))
        .unwrap_err()
        .to_string()
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
    let text = BASE.replacen(from, to, 1);
    assert_ne!(text, BASE, "the case must change the text");
    let msg = parse_err(&text);
    assert!(
        msg.starts_with("hil/scenarios/") && msg.contains(want),
        "got:\n{msg}\nwant it to contain:\n{want}"
    );
    assert!(msg.contains('^'), "{msg}");
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
    let grown = grey.replacen(
        "[[step]]\nop = \"record\"",
        "[[step]]\nop = \"sensor\"\npixformat = \"RGB565\"\n\n[[step]]\nop = \"record\"",
        1,
    );
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
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hil/boards");
    let mut files: Vec<String> = omv_hil::BoardInfo::load_dir(&dir)
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    let mut known = omv_hil::boards::KNOWN.map(str::to_owned).to_vec();
    files.sort();
    known.sort();
    assert_eq!(files, known, "hil/boards/*.toml and boards::KNOWN differ");
}
