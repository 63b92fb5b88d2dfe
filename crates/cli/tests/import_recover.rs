//! `omvstream import` (images to a V2.0 stream with given timing) and
//! `omvstream recover` (complete frames of a damaged stream).
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use omv_imageio::PixFormat;
use std::path::Path;

fn elapsed_ms(path: &Path) -> Vec<u64> {
    let (code, v) = inspect_json(path);
    assert_eq!(code, 0, "{v}");
    v["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["elapsed_us"].as_u64().unwrap() / 1000)
        .collect()
}

/// A folder of images: two PNGs (RGB 24x16, gray 10x6) and a JPEG (32x16).
fn images(dir: &Path) {
    let rgb: Vec<u8> = (0..24 * 16).flat_map(|i| [i as u8, 90, 200]).collect();
    let png = omvstream::export::encode_png(&omvstream::pixels::Picture {
        width: 24,
        height: 16,
        pixels: omvstream::pixels::Pixels::Rgb(rgb),
    })
    .unwrap();
    std::fs::write(dir.join("a.png"), png).unwrap();
    let gray = omvstream::export::encode_png(&omvstream::pixels::Picture {
        width: 10,
        height: 6,
        pixels: omvstream::pixels::Pixels::Gray(vec![77; 60]),
    })
    .unwrap();
    std::fs::write(dir.join("b.png"), gray).unwrap();
    let jpg = omv_pattern::encode_jpeg(omv_pattern::Content::ColorBars, 0, 0, 32, 16, 90).unwrap();
    std::fs::write(dir.join("c.jpg"), jpg).unwrap();
    std::fs::write(dir.join("notes.txt"), "not an image").unwrap();
}

#[test]
fn import_a_folder_at_30_fps_keeps_sizes_and_the_average_rate() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = dir.path().join("imgs");
    std::fs::create_dir(&imgs).unwrap();
    images(&imgs);
    let out = dir.path().join("out.bin");
    let r = omvstream(&["import", s(&imgs), "-o", s(&out), "--fps", "30"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
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
    let png = dir.path().join("png");
    assert_eq!(omvstream(&["export", s(&out), "--png", s(&png)]).code, 0);
    let (_, _, _, px) = read_png(&png.join("000001.png"));
    assert!(
        px.chunks(3).all(|p| p.iter().all(|&c| c.abs_diff(77) <= 4)),
        "{px:?}"
    );
}

#[test]
fn import_with_a_timing_file_and_keep_jpeg() {
    let dir = tempfile::tempdir().unwrap();
    images(dir.path());
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "file,elapsed_ms\na.png,5\nb.png,250\nc.jpg,40\n").unwrap();
    let out = dir.path().join("out.bin");
    let files = [
        dir.path().join("c.jpg"),
        dir.path().join("a.png"),
        dir.path().join("b.png"),
    ];
    // Files in the given order: the CSV's names must follow it.
    let r = omvstream(&[
        "import",
        s(&files[1]),
        s(&files[2]),
        s(&files[0]),
        "-o",
        s(&out),
        "--timing",
        s(&csv),
        "--pixformat",
        "jpeg",
    ]);
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
    let r = omvstream(&[
        "import",
        s(&files[0]),
        s(&files[1]),
        s(&files[2]),
        "-o",
        s(&out),
        "--timing",
        s(&csv),
    ]);
    fails_with(&r, "t.csv: line 2: expected file c.jpg, found \"a.png\"");
}

#[test]
fn export_then_import_keeps_the_recorded_timing() {
    let specs: Vec<Spec> = [12, 33, 90, 41]
        .iter()
        .map(|&ms| spec(40, 30, PixFormat::Rgb565, ms))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = write_stream(dir.path(), "orig.bin", &specs);
    let png = dir.path().join("png");
    assert_eq!(omvstream(&["export", s(&path), "--png", s(&png)]).code, 0);
    let back = dir.path().join("back.bin");
    let timing = png.join("timing.csv");
    let r = omvstream(&["import", s(&png), "-o", s(&back), "--timing", s(&timing)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(elapsed_ms(&back), [12, 33, 90, 41]);
}

#[test]
fn import_bad_input_exits_1_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    images(dir.path());
    let out = dir.path().join("out.bin");
    let a = dir.path().join("a.png");
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "elapsed_us\nsoon\n").unwrap();
    let r = omvstream(&["import", s(&a), "-o", s(&out), "--timing", s(&csv)]);
    fails_with(
        &r,
        "line 2: expected a whole number in column elapsed_us, found \"soon\"",
    );
    let txt = dir.path().join("notes.txt");
    let r = omvstream(&["import", s(&txt), "-o", s(&out), "--fps", "10"]);
    fails_with(&r, "expected a PNG or JPEG file");
    let r = omvstream(&["import", s(&a), "-o", s(&out), "--fps", "0"]);
    fails_with(&r, "--fps: expected a rate above 0");
    let r = omvstream(&["import", s(&a), "-o", s(&out)]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

fn hashes(path: &Path) -> Vec<String> {
    let (_, v) = inspect_json(path);
    v["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["sha256"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn recover_a_truncated_stream_keeps_the_complete_frames() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = stream(&[spec(320, 240, PixFormat::Rgb565, 33); 4]);
    let full = dir.path().join("full.bin");
    std::fs::write(&full, &bytes).unwrap();
    let cut = dir.path().join("cut.bin");
    let cut_at = bytes.len() - 1000;
    std::fs::write(&cut, &bytes[..cut_at]).unwrap();
    let out = dir.path().join("rec.bin");
    let r = omvstream(&["recover", s(&cut), "-o", s(&out)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
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

#[test]
fn recover_skips_a_corrupt_chunk_and_keeps_the_frames_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let specs: Vec<Spec> = (0..5)
        .map(|i| spec(16, 8, PixFormat::Grayscale, 10 + i))
        .collect();
    let mut bytes = stream(&specs);
    let full = dir.path().join("full.bin");
    std::fs::write(&full, &bytes).unwrap();
    // Frame 2's pixformat field (chunk bytes 12..16) corrupted.
    let at = 16 + 2 * 160;
    bytes[at + 12..at + 16].copy_from_slice(&0xDEAD_BEEFu32.to_le_bytes());
    let bad = dir.path().join("bad.bin");
    std::fs::write(&bad, &bytes).unwrap();
    assert_eq!(inspect_json(&bad).1["frames"].as_array().unwrap().len(), 2);
    let out = dir.path().join("rec.bin");
    let r = omvstream(&["recover", s(&bad), "-o", s(&out)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
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
    let dir = tempfile::tempdir().unwrap();
    let specs: Vec<Spec> = (0..4)
        .map(|i| spec(16, 8, PixFormat::Grayscale, 10 + i))
        .collect();
    let full = write_stream(dir.path(), "full.bin", &specs);
    let mut bytes = std::fs::read(&full).unwrap();
    // Frame 1 corrupt, frame 3 cut: frames 0 and 2 survive.
    bytes[16 + 160 + 12..16 + 160 + 16].copy_from_slice(&[0xFF; 4]);
    bytes.truncate(16 + 3 * 160 + 40);
    let bad = dir.path().join("bad.bin");
    std::fs::write(&bad, &bytes).unwrap();
    let out = dir.path().join("rec.bin");
    let r = omvstream(&["recover", s(&bad), "-o", s(&out)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
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
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.bin");
    std::fs::write(&empty, b"").unwrap();
    let out = dir.path().join("rec.bin");
    let r = omvstream(&["recover", s(&empty), "-o", s(&out)]);
    fails_with(&r, "empty.bin: at byte 0: data ends inside the file header");
    let complete = write_stream(dir.path(), "ok.bin", &[spec(8, 8, PixFormat::Grayscale, 5)]);
    let r = omvstream(&["recover", s(&complete), "-o", s(&out)]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("nothing dropped"), "{}", r.stdout);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&complete).unwrap()
    );
}
