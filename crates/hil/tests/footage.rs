//! `hil/footage/`: the small picture set and stream the footage and
//! upload scenarios use, made by this file's code (not drawn by hand).
//! The test fails if the committed files differ from what it makes; run
//! it with `OMV_WRITE_FOOTAGE=1` to (re)write them.
//!
//! Eight 80x60 PNG pictures and one JPEG: a dark-blue to teal gradient with
//! a yellow disc crossing from left to right and a red bar growing along
//! the bottom, so consecutive pictures differ and a scaled frame still
//! shows where it came from. `clip.bin` is the eight PNGs as a V2.0
//! RGB565 stream at 10 fps, written by `omvstream import` (its library).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

const W: u32 = 80;
const H: u32 = 60;
const PNGS: u32 = 8;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hil/footage")
}

/// Picture `i` as RGB888.
fn picture(i: u32) -> Vec<u8> {
    let mut rgb = Vec::with_capacity((W * H * 3) as usize);
    let (cx, cy, r) = (8 + i * 9, H / 2 - 6, 9);
    for y in 0..H {
        for x in 0..W {
            let dx = x.abs_diff(cx);
            let dy = y.abs_diff(cy);
            let px = if dx * dx + dy * dy <= r * r {
                [240, 200, 40]
            } else if y >= H - 6 && x < (i + 1) * W / (PNGS + 1) {
                [200, 40, 40]
            } else {
                let g = (x * 160 / W) as u8;
                let b = (90 + y * 120 / H) as u8;
                [10, g, b]
            };
            rgb.extend_from_slice(&px);
        }
    }
    rgb
}

fn png(rgb: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, W, H);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::High);
    let mut w = enc.write_header().unwrap();
    w.write_image_data(rgb).unwrap();
    w.finish().unwrap();
    out
}

/// Every file of the set: name and bytes.
fn files(tmp: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = (0..PNGS)
        .map(|i| (format!("frame-{i:02}.png"), png(&picture(i))))
        .collect();
    let jpg = omv_pattern::encode_rgb_jpeg(&picture(PNGS), W as u16, H as u16, 90).unwrap();
    out.push((format!("frame-{PNGS:02}.jpg"), jpg));
    // The stream: the PNGs through `omvstream import --fps 10`.
    let pngs: Vec<PathBuf> = out[..PNGS as usize]
        .iter()
        .map(|(name, bytes)| {
            let p = tmp.join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        })
        .collect();
    let times: Vec<u64> = (0..u64::from(PNGS)).map(|i| i * 100_000).collect();
    let clip = tmp.join("clip.bin");
    let n =
        omvstream::import::import(&pngs, &times, omv_imageio::PixFormat::Rgb565, &clip).unwrap();
    assert_eq!(n, PNGS);
    out.push(("clip.bin".into(), std::fs::read(&clip).unwrap()));
    out
}

#[test]
fn the_committed_footage_is_what_this_code_makes() {
    let tmp = tempfile::tempdir().unwrap();
    let write = std::env::var_os("OMV_WRITE_FOOTAGE").is_some();
    for (name, bytes) in files(tmp.path()) {
        let path = dir().join(&name);
        if write {
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run with OMV_WRITE_FOOTAGE=1)", path.display()));
        assert!(
            committed == bytes,
            "{name} differs from what tests/footage.rs makes"
        );
        if name.ends_with(".png") || name.ends_with(".jpg") {
            assert!(
                bytes.len() < 8 << 10,
                "{name}: {} bytes, a few KB at most",
                bytes.len()
            );
        }
    }
}

#[test]
fn the_simulators_loader_reads_every_picture_of_the_set() {
    let frames = imageio_sim::PngFrames::load_dir(&dir()).unwrap();
    assert_eq!(
        frames.len(),
        PNGS as usize + 1,
        "8 PNG + 1 JPEG, not clip.bin"
    );
}
