//! The optional fields of `[sensor]` and of the steps: read with their own
//! names in errors, defaults kept where absent.

use std::path::Path;

use omv_proto::{Content, Op, PixFormat, SensorSettings};

use crate::scenario::Scenario;

/// A scenario with `sensor` in its `[sensor]` table (line 3) and `step` as
/// its only step (from line 5).
fn parse(sensor: &str, step: &str) -> Result<Scenario, String> {
    let text = format!("description = \"t\"\n[sensor]\n{sensor}\n[[step]]\n{step}\n");
    Scenario::from_toml(&text, Path::new("t.toml")).map_err(|e| e.to_string())
}

#[test]
fn a_sensor_step_sets_only_the_fields_it_names() {
    let s = parse("", "op = \"sensor\"\nheight = 60\ncontent = \"noise\"").unwrap();
    let want = SensorSettings {
        height: Some(60),
        content: Some(Content::Noise),
        ..SensorSettings::default()
    };
    assert_eq!(s.steps[0].op, Op::Sensor(want));
    let s = parse(
        "",
        "op = \"sensor\"\nwidth = 8\npixformat = \"BAYER\"\nfps = 5",
    )
    .unwrap();
    let want = SensorSettings {
        width: Some(8),
        pixformat: Some(PixFormat::BayerBggr),
        fps: Some(5),
        ..SensorSettings::default()
    };
    assert_eq!(s.steps[0].op, Op::Sensor(want));
}

#[test]
fn optional_fields_are_checked_with_their_own_names() {
    let cases = [
        (
            "",
            "op = \"sensor\"\nwidth = 0",
            "6:9: step[1].width: must be 1 to 32767 pixels, found 0",
        ),
        (
            "",
            "op = \"sensor\"\nheight = 40000",
            "6:10: step[1].height: must be 1 to 32767 pixels, found 40000",
        ),
        (
            "",
            "op = \"sensor\"\nfps = 70000",
            "6:7: step[1].fps: must be at most 65535, found 70000",
        ),
        (
            "",
            "op = \"sensor\"\ncontent = \"dots\"",
            "6:11: step[1].content: unknown content \"dots\"",
        ),
        (
            "",
            "op = \"replay\"\nframes = 0",
            "6:10: step[1].frames: must be at least 1",
        ),
        (
            "width = 0",
            "op = \"write\"",
            "3:9: sensor.width: must be 1 to 32767 pixels, found 0",
        ),
        (
            "fps = 70000",
            "op = \"write\"",
            "3:7: sensor.fps: must be at most 65535, found 70000",
        ),
        (
            "content = \"dots\"",
            "op = \"write\"",
            "3:11: sensor.content: unknown content \"dots\"",
        ),
    ];
    for (sensor, step, want) in cases {
        let got = parse(sensor, step).unwrap_err();
        assert!(got.contains(want), "{sensor} / {step}: {got}");
    }
}

#[test]
fn sensor_keys_left_out_keep_the_defaults() {
    let s = parse("height = 60\npixformat = \"GRAYSCALE\"", "op = \"write\"").unwrap();
    assert_eq!((s.sensor.width, s.sensor.height), (320, 60));
    assert_eq!(s.sensor.pixformat, PixFormat::Grayscale);
    assert_eq!((s.sensor.fps, s.sensor.content), (30, Content::ColorBars));
}
