//! `omvstream export`: PNG per frame with the frame's size, APNG with the
//! recorded intervals, `--frames`, and bad input.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use omv_imageio::PixFormat;

#[test]
fn every_pixformat_exports_a_png_of_the_frames_size() {
    let specs = [
        spec(320, 240, PixFormat::Rgb565, 33),
        spec(64, 48, PixFormat::Grayscale, 40),
        spec(33, 7, PixFormat::Binary, 40),
        spec(20, 10, PixFormat::BayerBggr, 40),
        spec(20, 10, PixFormat::BayerRggb, 40),
        spec(21, 9, PixFormat::Yuv422, 40),
        spec(22, 9, PixFormat::Yvu422, 40),
        spec(48, 32, PixFormat::Jpeg, 40),
    ];
    let dir = Dir::new();
    let out = dir.join("png");
    let r = succeeds(&[
        "export",
        s(&dir.stream("all.bin", &specs)),
        "--png",
        s(&out),
    ]);
    assert_eq!(r.stdout, "exported 8 frames to 9 files\n");
    for (i, sp) in specs.iter().enumerate() {
        if sp.pixformat == PixFormat::Jpeg {
            // Written as it is.
            let jpg = std::fs::read(out.join(format!("{i:06}.jpg"))).unwrap();
            assert_eq!(jpg, payload(*sp, i as u32));
            continue;
        }
        let (w, h, colour, pixels) = read_png(&out.join(format!("{i:06}.png")));
        assert_eq!(
            (w, h),
            (u32::from(sp.width), u32::from(sp.height)),
            "frame {i}"
        );
        let gray = matches!(sp.pixformat, PixFormat::Grayscale | PixFormat::Binary);
        let want = if gray {
            png::ColorType::Grayscale
        } else {
            png::ColorType::Rgb
        };
        assert_eq!(colour, want, "frame {i}");
        if sp.pixformat == PixFormat::Grayscale {
            assert_eq!(pixels, payload(*sp, i as u32));
        }
    }
    let timing = std::fs::read_to_string(out.join("timing.csv")).unwrap();
    let lines: Vec<&str> = timing.lines().collect();
    assert_eq!(lines[0], "index,file,elapsed_us,width,height,pixformat");
    assert_eq!(lines[1], "0,000000.png,33000,320,240,RGB565");
    assert_eq!(lines[8], "7,000007.jpg,40000,48,32,JPEG");
}

/// Export a stream of `specs` with `--apng`; the APNG's frame count and frames.
fn export_apng(specs: &[Spec]) -> (u32, Vec<ApngFrame>) {
    let dir = Dir::new();
    let apng = dir.join("anim.png");
    succeeds(&[
        "export",
        s(&dir.stream("in.bin", specs)),
        "--apng",
        s(&apng),
    ]);
    read_apng(&apng)
}

#[test]
fn apng_has_every_frame_and_the_recorded_intervals() {
    let intervals = [10, 33, 34, 100, 67, 250, 1];
    let specs: Vec<Spec> = intervals
        .iter()
        .map(|&ms| spec(320, 240, PixFormat::Rgb565, ms))
        .collect();
    let (n, frames) = export_apng(&specs);
    assert_eq!(n, 7);
    for (i, ((size, delay), _)) in frames.iter().zip(&intervals).enumerate() {
        assert_eq!(*size, (320, 240));
        // Frame i stays up for the interval recorded before frame i + 1;
        // the last for the interval before it.
        let want = intervals[(i + 1).min(intervals.len() - 1)] as f64;
        assert!(
            (delay - want).abs() <= 1.0,
            "frame {i}: {delay} ms, want {want}"
        );
    }
}

#[test]
fn apng_of_mixed_sizes_and_jpeg_uses_the_largest_canvas() {
    let (n, frames) = export_apng(&[
        spec(32, 16, PixFormat::Grayscale, 20),
        spec(48, 32, PixFormat::Jpeg, 40),
        spec(16, 40, PixFormat::Rgb565, 60),
    ]);
    assert_eq!(n, 3);
    assert!(frames.iter().all(|(size, _)| *size == (48, 40)));
    let delays: Vec<f64> = frames.iter().map(|f| f.1).collect();
    assert_eq!(delays, [40.0, 60.0, 60.0]);
}

#[test]
fn frames_takes_a_range() {
    let specs: Vec<Spec> = (0..6)
        .map(|i| spec(8, 8, PixFormat::Grayscale, 10 * (i + 1)))
        .collect();
    let dir = Dir::new();
    let path = dir.stream("six.bin", &specs);
    let (out, apng) = (dir.join("png"), dir.join("a.png"));
    let png_args = ["export", s(&path), "--png", s(&out)];
    succeeds(&[&png_args[..], &["--apng", s(&apng), "--frames", "2..5"]].concat());
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["000002.png", "000003.png", "000004.png", "timing.csv"]
    );
    let (n, frames) = read_apng(&apng);
    assert_eq!(n, 3);
    // Frame 4's delay is the interval before frame 5, outside the range.
    assert_eq!(
        frames.iter().map(|f| f.1).collect::<Vec<_>>(),
        [40.0, 50.0, 60.0]
    );
    let bad = omvstream(&[&png_args[..], &["--frames", "4..9"]].concat());
    fails_with(
        &bad,
        "--frames: expected a non-empty range within 0..6, found 4..9",
    );
    let usage = omvstream(&[&png_args[..], &["--frames", "x..2"]].concat());
    assert_eq!(usage.code, 2, "{}", usage.stderr);
}

#[test]
fn bad_input_is_an_error_with_exit_1() {
    let dir = Dir::new();
    let out = dir.join("png");
    let empty = dir.file("empty.bin", b"");
    let r = omvstream(&["export", s(&empty), "--png", s(&out)]);
    fails_with(&r, "at byte 0: data ends inside the file header");
    // A JPEG frame whose header claims 30000x30000: refused, not allocated.
    let mut huge = stream(&[spec(48, 32, PixFormat::Jpeg, 10)]);
    huge[16 + 4..16 + 12].copy_from_slice(&[0x30, 0x75, 0, 0, 0x30, 0x75, 0, 0]);
    let huge_path = dir.file("huge.bin", huge);
    let r = omvstream(&["export", s(&huge_path), "--apng", s(&dir.join("h.png"))]);
    fails_with(&r, "expected at most 67108864 pixels, found 30000x30000");
    // A stream without frames has nothing to export.
    let none = dir.stream("none.bin", &[]);
    let n_png = dir.join("n.png");
    let r = omvstream(&["export", s(&none), "--png", s(&out), "--apng", s(&n_png)]);
    fails_with(
        &r,
        "FILE: expected a stream with at least one complete frame, found no frames",
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    // A truncated stream: the complete frames are exported, the damage reported.
    let bytes = stream(&[spec(16, 8, PixFormat::Grayscale, 10); 3]);
    let cut = dir.file("cut.bin", &bytes[..bytes.len() - 20]);
    let r = omvstream(&["export", s(&cut), "--png", s(&out)]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "exported 2 frames to 3 files\n");
    assert!(
        r.stderr.contains("damaged after 2 complete frames"),
        "{}",
        r.stderr
    );
    // A JPEG frame whose payload is not a JPEG: named by index and offset.
    let mut bad = stream(&[spec(48, 32, PixFormat::Jpeg, 10)]);
    bad[16 + 32..16 + 34].copy_from_slice(b"XX");
    let badjpg = dir.file("badjpg.bin", bad);
    let r = omvstream(&["export", s(&badjpg), "--apng", s(&dir.join("x.png"))]);
    fails_with(&r, "frame 0 at byte 16 (JPEG 48x32): JPEG: ");
}
