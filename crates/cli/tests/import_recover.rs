//! `omvstream import` (images to a V2.0 stream with given timing) and
//! `omvstream recover` (complete frames of a damaged stream).
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use omv_imageio::PixFormat;
use omvstream::pixels::{Picture, Pixels};
use rstest::rstest;
use std::path::Path;

fn elapsed_ms(path: &Path) -> Vec<u64> {
    let (code, ms) = frame_column(path, |f| f["elapsed_us"].as_u64().unwrap() / 1000);
    assert_eq!(code, 0, "{ms:?}");
    ms
}

/// Write a `width × height` PNG of `pixels` to `dir/name`.
fn write_png(dir: &Path, name: &str, width: u32, height: u32, pixels: Pixels) {
    let png = omvstream::export::encode_png(&Picture {
        width,
        height,
        pixels,
    })
    .unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

/// A folder of images: two PNGs (RGB 24x16, gray 10x6) and a JPEG (32x16).
fn images(dir: &Path) {
    let rgb: Vec<u8> = (0..24 * 16).flat_map(|i| [i as u8, 90, 200]).collect();
    write_png(dir, "a.png", 24, 16, Pixels::Rgb(rgb));
    write_png(dir, "b.png", 10, 6, Pixels::Gray(vec![77; 60]));
    let jpg = omv_pattern::encode_jpeg(omv_pattern::Content::ColorBars, 0, 0, 32, 16, 90).unwrap();
    std::fs::write(dir.join("c.jpg"), jpg).unwrap();
    std::fs::write(dir.join("notes.txt"), "not an image").unwrap();
}

#[test]
fn import_a_folder_at_30_fps_keeps_sizes_and_the_average_rate() {
    let dir = Dir::new();
    let imgs = dir.join("imgs");
    std::fs::create_dir(&imgs).unwrap();
    images(&imgs);
    let out = dir.join("out.bin");
    succeeds(&["import", s(&imgs), "-o", s(&out), "--fps", "30"]);
    let (_, v) = inspect_json(&out);
    let frames = v["frames"].as_array().unwrap();
    let sizes: Vec<(u64, u64)> = frames
        .iter()
        .map(|f| (f["width"].as_u64().unwrap(), f["height"].as_u64().unwrap()))
        .collect();
    assert_eq!(sizes, [(24, 16), (10, 6), (32, 16)]);
    assert!(frames.iter().all(|f| f["pixformat"] == "RGB565"));
    // 1/30 s in whole ms: 33, 33, 34 (frame times 33.3, 66.7, 100 ms).
    assert_eq!(elapsed_ms(&out), [33, 33, 34]);
    // The gray PNG's pixels arrive as RGB565 gray (77 -> 0x4A69).
    let png = dir.join("png");
    assert_eq!(omvstream(&["export", s(&out), "--png", s(&png)]).code, 0);
    let (_, _, _, px) = read_png(&png.join("000001.png"));
    assert!(
        px.chunks(3).all(|p| p.iter().all(|&c| c.abs_diff(77) <= 4)),
        "{px:?}"
    );
}

#[test]
fn import_with_a_timing_file_and_keep_jpeg() {
    let dir = Dir::new();
    images(dir.path());
    let csv = dir.file("t.csv", "file,elapsed_ms\na.png,5\nb.png,250\nc.jpg,40\n");
    let out = dir.join("out.bin");
    let files = [dir.join("c.jpg"), dir.join("a.png"), dir.join("b.png")];
    // `import` of `files` in `order`, timed by the CSV.
    let import = |order: [usize; 3], more: &[&str]| {
        let inputs = order.map(|i| s(&files[i]));
        let timed = ["-o", s(&out), "--timing", s(&csv)];
        omvstream(&[&["import"][..], &inputs, &timed, more].concat())
    };
    // Files in the given order: the CSV's names must follow it.
    let r = import([1, 2, 0], &["--pixformat", "jpeg"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(elapsed_ms(&out), [5, 250, 40]);
    let (_, v) = inspect_json(&out);
    assert!(v["frames"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["pixformat"] == "JPEG"));
    // The JPEG file is stored as it is.
    let jpg = std::fs::read(&files[0]).unwrap();
    assert_eq!(v["frames"][2]["payload_len"], jpg.len());
    // A wrong order is caught by the file column.
    let r = import([0, 1, 2], &[]);
    fails_with(&r, "t.csv: line 2: expected file c.jpg, found \"a.png\"");
}

#[test]
fn export_then_import_keeps_the_recorded_timing() {
    let specs: Vec<Spec> = [12, 33, 90, 41]
        .iter()
        .map(|&ms| spec(40, 30, PixFormat::Rgb565, ms))
        .collect();
    let dir = Dir::new();
    let path = dir.stream("orig.bin", &specs);
    let png = dir.join("png");
    assert_eq!(omvstream(&["export", s(&path), "--png", s(&png)]).code, 0);
    let back = dir.join("back.bin");
    let timing = png.join("timing.csv");
    succeeds(&["import", s(&png), "-o", s(&back), "--timing", s(&timing)]);
    assert_eq!(elapsed_ms(&back), [12, 33, 90, 41]);
}

/// How an `import` run is timed: `--fps N`, or `--timing` a CSV of this text.
enum Timed {
    Fps(&'static str),
    Csv(&'static str),
}

#[rstest]
#[case::a_bad_timing_value(
    "a.png",
    Timed::Csv("elapsed_us\nsoon\n"),
    "line 2: expected a whole number in column elapsed_us, found \"soon\""
)]
#[case::not_an_image("notes.txt", Timed::Fps("10"), "expected a PNG or JPEG file")]
#[case::a_zero_rate("a.png", Timed::Fps("0"), "--fps: expected a rate above 0")]
fn import_bad_input_exits_1_with_the_reason(
    #[case] input: &str,
    #[case] timed: Timed,
    #[case] reason: &str,
) {
    let dir = Dir::new();
    images(dir.path());
    let (flag, value) = match timed {
        Timed::Fps(fps) => ("--fps", fps.to_owned()),
        Timed::Csv(csv) => ("--timing", s(&dir.file("t.csv", csv)).to_owned()),
    };
    let (input, out) = (dir.join(input), dir.join("out.bin"));
    let r = omvstream(&["import", s(&input), "-o", s(&out), flag, &value]);
    fails_with(&r, reason);
}

#[test]
fn import_without_a_rate_or_timing_is_a_usage_error() {
    let dir = Dir::new();
    images(dir.path());
    let r = omvstream(&[
        "import",
        s(&dir.join("a.png")),
        "-o",
        s(&dir.join("out.bin")),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

fn hashes(path: &Path) -> Vec<String> {
    frame_column(path, |f| f["sha256"].as_str().unwrap().to_owned()).1
}

/// Recover `input` to `dir/rec.bin`, which must succeed: the run and the
/// recovered file's path.
fn recover(dir: &Dir, input: &Path) -> (Run, std::path::PathBuf) {
    let out = dir.join("rec.bin");
    (succeeds(&["recover", s(input), "-o", s(&out)]), out)
}

#[test]
fn recover_a_truncated_stream_keeps_the_complete_frames() {
    let dir = Dir::new();
    let bytes = stream(&[spec(320, 240, PixFormat::Rgb565, 33); 4]);
    let full = dir.file("full.bin", &bytes);
    let cut_at = bytes.len() - 1000;
    let (r, out) = recover(&dir, &dir.file("cut.bin", &bytes[..cut_at]));
    let last = 16 + 3 * (32 + 153_600);
    assert!(
        r.stdout.starts_with("kept 3 frames (V2.0 input)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!(
            "dropped bytes {last}..{cut_at} ({} bytes): at byte {}: data ends inside the payload",
            cut_at - last,
            last + 32
        )),
        "{}",
        r.stdout
    );
    assert_eq!(hashes(&out), hashes(&full)[..3]);
    assert_eq!(elapsed_ms(&out), [33, 33, 33]);
}

/// `n` 16×8 GRAYSCALE frames, 10, 11, 12 ... ms apart.
fn gray_frames(n: u64) -> Vec<Spec> {
    (0..n)
        .map(|i| spec(16, 8, PixFormat::Grayscale, 10 + i))
        .collect()
}

#[test]
fn recover_skips_a_corrupt_chunk_and_keeps_the_frames_after_it() {
    let dir = Dir::new();
    let mut bytes = stream(&gray_frames(5));
    let full = dir.file("full.bin", &bytes);
    // Frame 2's pixformat field (chunk bytes 12..16) corrupted.
    let at = 16 + 2 * 160;
    bytes[at + 12..at + 16].copy_from_slice(&0xDEAD_BEEFu32.to_le_bytes());
    let bad = dir.file("bad.bin", &bytes);
    assert_eq!(inspect_json(&bad).1["frames"].as_array().unwrap().len(), 2);
    let (r, out) = recover(&dir, &bad);
    assert_eq!(
        r.stdout.lines().nth(1).unwrap(),
        format!(
            "dropped bytes {at}..{} (160 bytes): at byte {at}: invalid pixformat 0xDEADBEEF",
            at + 160
        )
    );
    let h = hashes(&full);
    assert_eq!(hashes(&out), [&h[..2], &h[3..]].concat());
    assert_eq!(elapsed_ms(&out), [10, 11, 13, 14]);
}

#[test]
fn recover_resyncs_before_a_truncated_tail() {
    let dir = Dir::new();
    let full = dir.stream("full.bin", &gray_frames(4));
    let mut bytes = std::fs::read(&full).unwrap();
    // Frame 1 corrupt, frame 3 cut: frames 0 and 2 survive.
    bytes[16 + 160 + 12..16 + 160 + 16].copy_from_slice(&[0xFF; 4]);
    bytes.truncate(16 + 3 * 160 + 40);
    let (r, out) = recover(&dir, &dir.file("bad.bin", &bytes));
    let h = hashes(&full);
    assert_eq!(hashes(&out), [h[0].clone(), h[2].clone()]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert!(
        lines[1].starts_with("dropped bytes 176..336 (160 bytes): at byte 176: invalid pixformat"),
        "{}",
        r.stdout
    );
    assert!(
        lines[2].starts_with(
            "dropped bytes 496..536 (40 bytes): at byte 528: data ends inside the payload"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn recover_bad_input_exits_1() {
    let dir = Dir::new();
    let out = dir.join("rec.bin");
    let r = omvstream(&["recover", s(&dir.file("empty.bin", b"")), "-o", s(&out)]);
    fails_with(&r, "empty.bin: at byte 0: data ends inside the file header");
    let complete = dir.stream("ok.bin", &[spec(8, 8, PixFormat::Grayscale, 5)]);
    let r = omvstream(&["recover", s(&complete), "-o", s(&out)]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("nothing dropped"), "{}", r.stdout);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&complete).unwrap()
    );
}
