//! Issue 11's acceptance on a real capture: the `seed-record` scenario's
//! stream, recorded on the `sim` board, exported by `omvstream` (the code
//! behind `cargo xtask export`) gives one PNG per frame of the frame's size
//! and an APNG with as many frames whose delays are the recorded intervals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use omv_hil::boards::sim::SimHarnessBoard;
use omv_hil::runner::capture;
use omv_hil::Scenario;
use omvstream::export::{to_apng, to_png_dir, FrameRange};
use omvstream::StreamTable;

#[test]
fn seed_record_exports_to_pngs_and_an_apng_at_the_recorded_pace() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hil/scenarios/seed-record.toml");
    let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut board = SimHarnessBoard::new().unwrap();
    let cap = capture(&mut board, &scenario, scenario.seed).unwrap_or_else(|e| panic!("{e}"));
    let bytes = cap.files[0].bytes.clone().expect("stream.bin was written");
    let table = StreamTable::parse(&bytes);
    assert_eq!(table.frames.len(), 30);
    let dir = tempfile::tempdir().unwrap();
    let stream = dir.path().join("stream.bin");
    std::fs::write(&stream, &bytes).unwrap();

    let png_dir = dir.path().join("png");
    let e = to_png_dir(&stream, &png_dir, FrameRange::ALL).unwrap();
    assert_eq!(e.frames, 30);
    for f in &table.frames {
        let file = std::fs::File::open(png_dir.join(format!("{:06}.png", f.index))).unwrap();
        let reader = png::Decoder::new(std::io::BufReader::new(file))
            .read_info()
            .unwrap();
        assert_eq!(
            (reader.info().width, reader.info().height),
            (f.width, f.height)
        );
    }

    let apng = dir.path().join("stream.png");
    to_apng(&stream, &apng, FrameRange::ALL).unwrap();
    let file = std::fs::File::open(&apng).unwrap();
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap();
    assert_eq!(reader.info().animation_control.unwrap().num_frames, 30);
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    for i in 0..30 {
        reader.next_frame(&mut buf).unwrap();
        let fc = reader.info().frame_control.unwrap();
        let delay_us = u64::from(fc.delay_num) * 1_000_000 / u64::from(fc.delay_den);
        // Frame i stays up for the interval recorded before frame i + 1.
        let interval = table.frames[(i + 1).min(29)].elapsed_us;
        assert!(
            delay_us.abs_diff(interval) <= 1_000,
            "frame {i}: {delay_us} us vs {interval} us"
        );
    }
}
