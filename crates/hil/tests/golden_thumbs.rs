//! The golden thumbnail sheets (`golden/<board>/<scenario>.thumbs.png`):
//! each is at most 64 KB, reads back with its layout, and has one cell per
//! frame the snapshot beside it lists, made for exactly those frames (the
//! digest of their hashes); every `sim` and `qemu` snapshot
//! with frames has one (both keep content hashes).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use omv_hil::report::hashes;
use omv_hil::report::sheet::{Sheet, MAX_BYTES};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../golden")
}

/// Frames of every stream file a snapshot lists (`file P: ..., N frames`).
fn snapshot_frames(snap: &str) -> u32 {
    snap.lines()
        .filter(|l| l.starts_with("file "))
        .filter_map(|l| {
            l.strip_suffix(" frames")?
                .rsplit(' ')
                .next()?
                .parse::<u32>()
                .ok()
        })
        .sum()
}

fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    v.sort();
    v
}

#[test]
fn every_sheet_fits_64_kb_and_has_a_cell_per_frame_of_its_snapshot() {
    let mut seen = 0;
    for board in std::fs::read_dir(golden_dir()).unwrap().flatten() {
        if !board.path().is_dir() || board.file_name() == "src" {
            continue;
        }
        for sheet in files(&board.path(), ".thumbs.png") {
            let bytes = std::fs::read(&sheet).unwrap();
            assert!(
                bytes.len() <= MAX_BYTES,
                "{}: {} bytes, over {MAX_BYTES}",
                sheet.display(),
                bytes.len()
            );
            let s = Sheet::decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", sheet.display()));
            let name = sheet.file_name().unwrap().to_string_lossy();
            let snap = sheet.with_file_name(name.replace(".thumbs.png", ".snap"));
            let text = std::fs::read_to_string(&snap)
                .unwrap_or_else(|e| panic!("{}: no snapshot beside it: {e}", snap.display()));
            let hashes = hashes::frame_hashes(&text);
            assert_eq!(
                (s.frames, s.frames),
                (snapshot_frames(&text), hashes.len() as u32),
                "{} vs the frames {} lists",
                sheet.display(),
                snap.display()
            );
            assert_eq!(
                s.hashes,
                hashes::digest(&hashes),
                "{} was made for other frames than {} lists: regenerate it",
                sheet.display(),
                snap.display()
            );
            seen += 1;
        }
    }
    assert!(seen > 0, "no golden thumbnail sheets found");
}

#[test]
fn every_sim_and_qemu_snapshot_with_frames_has_its_sheet() {
    for snap in ["sim", "qemu"]
        .iter()
        .flat_map(|b| files(&golden_dir().join(b), ".snap"))
    {
        let frames = snapshot_frames(&std::fs::read_to_string(&snap).unwrap());
        let sheet = snap.with_extension("thumbs.png");
        assert_eq!(
            sheet.is_file(),
            frames > 0,
            "{} lists {frames} frames; its sheet {} {}",
            snap.display(),
            sheet.display(),
            if sheet.is_file() {
                "exists"
            } else {
                "is missing (run `cargo xtask hil`, review and rename the .thumbs.new.png)"
            }
        );
    }
}

#[test]
fn frames_are_counted_over_every_file_a_snapshot_lists() {
    let snap = "file /sdcard/api.bin: 816 bytes, V2.0, 1 frames\n  index\nfile /sdcard/v21.bin: 2416 bytes, V2.1, 3 frames\nfile /sdcard/cut.bin: 0 bytes, no valid header, 0 frames\n";
    assert_eq!(snapshot_frames(snap), 4);
}
