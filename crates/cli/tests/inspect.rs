//! `omvstream inspect` on real streams and on bad input: exit status and JSON.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use omv_imageio::PixFormat;

#[test]
fn a_qvga_rgb565_stream_is_complete_with_one_row_per_frame() {
    let dir = Dir::new();
    let path = dir.stream("qvga.bin", &[spec(320, 240, PixFormat::Rgb565, 33); 3]);
    let (code, v) = inspect_json(&path);
    assert_eq!(code, 0);
    assert_eq!(v["version"], 20);
    assert_eq!(v["complete"], true);
    assert_eq!(v["error"], serde_json::Value::Null);
    let frames = v["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 3);
    assert_eq!(frames[2]["offset"], 16 + 2 * (32 + 153_600));
    assert_eq!(frames[2]["elapsed_us"], 33_000);
    assert_eq!(
        (frames[0]["width"].clone(), frames[0]["height"].clone()),
        (320.into(), 240.into())
    );
    let text = omvstream(&["inspect", s(&path)]);
    assert_eq!(text.code, 0);
    assert!(
        text.stdout.starts_with("version 2.0  frames 3\n"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.ends_with("complete\n"));
}

#[test]
fn an_empty_file_prints_the_documented_json_and_exits_1() {
    let dir = Dir::new();
    let path = dir.file("empty.bin", b"");
    let r = omvstream(&["inspect", "--json", s(&path)]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stdout,
        "{\"version\":null,\"frames\":[],\"complete\":false,\"error\":\"at byte 0: data ends inside the file header: expected 16 bytes, found 0\"}\n"
    );
    // Without --json: nothing on stdout, the reason on stderr.
    let t = omvstream(&["inspect", s(&path)]);
    assert_eq!((t.code, t.stdout.as_str()), (1, ""));
    assert!(
        t.stderr.contains("data ends inside the file header"),
        "{}",
        t.stderr
    );
}

#[test]
fn a_corrupt_header_is_json_with_the_reason() {
    let mut bytes = stream(&[spec(8, 8, PixFormat::Grayscale, 10)]);
    bytes[..4].copy_from_slice(b"JUNK");
    let dir = Dir::new();
    let (code, v) = inspect_json(&dir.file("bad.bin", bytes));
    assert_eq!(code, 1);
    assert_eq!(v["complete"], false);
    assert_eq!(v["version"], serde_json::Value::Null);
    assert_eq!(
        v["error"],
        "at byte 0: not an OMV IMG STR stream (bad magic)"
    );
}

#[test]
fn a_truncated_stream_keeps_its_complete_frames_and_exits_1() {
    let bytes = stream(&[spec(16, 8, PixFormat::Grayscale, 10); 3]);
    // Each chunk: 32 + 128 bytes. Cut 5 bytes into the third payload.
    let cut = 16 + 2 * 160 + 32 + 5;
    let dir = Dir::new();
    let (code, v) = inspect_json(&dir.file("cut.bin", &bytes[..cut]));
    assert_eq!(code, 1);
    assert_eq!(v["complete"], false);
    assert_eq!(v["frames"].as_array().unwrap().len(), 2);
    assert_eq!(
        v["error"],
        format!(
            "at byte {}: data ends inside the payload: expected 128 bytes, found 5",
            16 + 2 * 160 + 32
        )
    );
}
