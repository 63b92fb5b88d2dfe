//! Power cuts, I/O errors and full cards: what survives is what a real
//! card keeps, errors reach the stream crate typed, nothing panics.
#![allow(clippy::unwrap_used)]

mod common;

use imageio_sim::sweep::unpaced_qqvga_grayscale;
use imageio_sim::{BlockFault, Faults, RecordReport, SimBoard, SimFileStream};
use omv_fatstore::format::FormatOptions;
use omv_imageio::{ErrorKind, Field, IoOp, ReadOptions};

/// QQVGA GRAYSCALE: 19 200-byte payloads, 19 232-byte chunks.
const CHUNK: u64 = 32 + 160 * 120;

/// `/sdcard/stream.bin` open for writing on a 256 MiB card, `n` frames
/// recorded with a sync every `sync_every` (see [`record`]). The sensor is
/// unpaced (time moves only on the card), the card takes 2 048 000 B/s:
/// 250 µs per block.
fn recording(n: u32, sync_every: u32) -> (SimBoard, SimFileStream) {
    let sensor = unpaced_qqvga_grayscale();
    let mut b = common::ideal_board(
        sensor,
        2_048_000,
        256 << 20,
        FormatOptions::fat16(32 * 1024),
    );
    let mut s = b.open_file("/sdcard/stream.bin", "w").unwrap();
    record(&mut b, &mut s, n, sync_every);
    (b, s)
}

/// Record `n` frames, syncing after every frame whose number (1-based) is
/// a multiple of `sync_every` (0 = never).
fn record(b: &mut SimBoard, s: &mut SimFileStream, n: u32, sync_every: u32) {
    let mut fb = vec![0u8; b.sensor().max_frame_len()];
    for i in 1..=n {
        let r = b.record(s, 1, &mut fb);
        assert_eq!(r.written, 1, "{r:?}");
        if sync_every > 0 && i % sync_every == 0 {
            s.sync().unwrap();
        }
    }
}

/// Frames readable after remounting, and the file's length. Each frame's
/// stamp must name sensor frame `seq(index)`; the file must end on a chunk
/// boundary unless `tail` is expected.
fn survivors(b: &mut SimBoard) -> (u32, u32) {
    survivors_with(b, |i| i, false)
}

fn survivors_with(b: &mut SimBoard, seq_of: impl Fn(u32) -> u32, tail: bool) -> (u32, u32) {
    b.remount().unwrap();
    let len = b.store().unwrap().file_len("/sdcard/stream.bin").unwrap();
    let mut r = b.open_file("/sdcard/stream.bin", "r").unwrap();
    let mut fb = vec![0u8; 160 * 120];
    let mut n = 0;
    while let Some(f) = r.read(&mut fb, ReadOptions::FAST_ONCE).unwrap() {
        assert_eq!(f.index, n);
        // The frame is the sensor's frame n: its stamp encodes n.
        let seq = (0..32).fold(0u32, |a, x| (a << 1) | u32::from(fb[x] > 127));
        assert_eq!(seq, seq_of(n));
        n += 1;
    }
    assert_eq!(r.truncated_tail().is_some(), tail);
    (n, len)
}

/// Arm `faults` on the card, then record up to `n` frames.
fn record_armed(b: &mut SimBoard, s: &mut SimFileStream, faults: Faults, n: u32) -> RecordReport {
    b.card().arm(faults);
    let mut fb = vec![0u8; b.sensor().max_frame_len()];
    b.record(s, n, &mut fb)
}

fn cut_during_frame_12(sync_every: u32) -> (u32, u32) {
    let (mut b, mut s) = recording(11, sync_every);
    // 10 more block writes: inside frame 12 (a chunk is 37.6 blocks).
    let faults = Faults {
        power_cut_after_writes: Some(10),
        ..Faults::default()
    };
    let rep = record_armed(&mut b, &mut s, faults, 1);
    assert_eq!(rep.written, 0);
    let err = rep.error.unwrap();
    assert!(matches!(err.kind, ErrorKind::Io(IoOp::Write, _)), "{err:?}");
    assert!(!b.card().is_powered());
    // The program goes on: every later operation fails, typed.
    assert!(s.sync().is_err());
    // Remounting while the old stream still holds its file is refused.
    assert!(b.remount().is_err());
    drop(s);
    survivors(&mut b)
}

#[test]
fn cut_after_syncs_at_5_and_10_keeps_exactly_10_frames() {
    // Frame 11 was written but never synced: its data is on the card, past
    // the length the directory entry recorded at the sync after frame 10.
    let (n, len) = cut_during_frame_12(5);
    assert_eq!(n, 10);
    assert_eq!(u64::from(len), 16 + 10 * CHUNK);
}

#[test]
fn cut_with_a_sync_after_every_frame_keeps_11() {
    let (n, len) = cut_during_frame_12(1);
    assert_eq!(n, 11);
    assert_eq!(u64::from(len), 16 + 11 * CHUNK);
}

#[test]
fn cut_without_any_sync_keeps_an_empty_file() {
    let (mut b, s) = recording(11, 0);
    b.power_cut();
    drop(s);
    b.remount().unwrap();
    // The directory entry still says 0 bytes (written when the file was
    // created): not even the file header survives.
    assert_eq!(
        b.store().unwrap().file_len("/sdcard/stream.bin").unwrap(),
        0
    );
    let err = b.open_file("/sdcard/stream.bin", "r").unwrap_err();
    let imageio_sim::SimError::Stream(e) = err else {
        panic!("{err:?}")
    };
    assert!(
        matches!(
            e.kind,
            ErrorKind::Truncated {
                field: Field::Magic,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn cut_at_a_time_inside_a_frame_with_a_torn_block() {
    let (mut b, mut s) = recording(10, 5);
    // Frame 11 takes ≈ 39 blocks × 250 µs ≈ 9.7 ms; cut 5 ms into it.
    let t = b.clock().now() + 5_000;
    let faults = Faults {
        power_cut_at_us: Some(t),
        torn_block: true,
        ..Faults::default()
    };
    let rep = record_armed(&mut b, &mut s, faults, 1);
    assert!(rep.error.is_some());
    assert_eq!(b.clock().now(), t, "time stops at the cut");
    drop(s);
    let (n, _) = survivors(&mut b);
    assert_eq!(n, 10);
}

#[test]
fn a_write_error_is_typed_and_the_write_can_be_retried() {
    let (mut b, mut s) = recording(3, 0);
    let next = b.card().last_written_block().unwrap() + 3;
    let faults = Faults {
        write_error: Some(BlockFault::once(next)),
        ..Faults::default()
    };
    let rep = record_armed(&mut b, &mut s, faults, 1);
    let err = rep.error.unwrap();
    assert!(matches!(err.kind, ErrorKind::Io(IoOp::Write, _)), "{err:?}");
    assert_eq!(s.count().unwrap(), 3, "a failed write adds no frame");
    // The fault was one-shot: the same stream writes the next frame.
    let mut fb = vec![0u8; 160 * 120];
    assert_eq!(b.record(&mut s, 1, &mut fb).written, 1);
    assert_eq!(s.count().unwrap(), 4);
    s.close().unwrap();
    drop(s);
    // Sensor frame 3 was lost with the failed write: the file holds 0, 1, 2, 4.
    let (n, _) = survivors_with(&mut b, |i| if i < 3 { i } else { i + 1 }, false);
    assert_eq!(n, 4);
}

#[test]
fn a_read_error_is_typed() {
    let (mut b, mut s) = recording(4, 0);
    s.close().unwrap();
    drop(s);
    b.remount().unwrap();
    let mut r = b.open_file("/sdcard/stream.bin", "r").unwrap();
    let mut fb = vec![0u8; 160 * 120];
    r.read(&mut fb, ReadOptions::FAST_ONCE).unwrap().unwrap();
    let next = b.card().last_read_block().unwrap() + 1;
    b.card().arm(Faults {
        read_error: Some(BlockFault::always(next)),
        ..Faults::default()
    });
    let err = r.read(&mut fb, ReadOptions::FAST_ONCE).unwrap_err();
    assert!(matches!(err.kind, ErrorKind::Io(IoOp::Read, _)), "{err:?}");
    assert_eq!(r.offset().unwrap(), 1, "the stream did not move");
    b.card().arm(Faults::default());
    assert_eq!(
        r.read(&mut fb, ReadOptions::FAST_ONCE)
            .unwrap()
            .unwrap()
            .index,
        1
    );
}

#[test]
fn a_write_limit_stops_recording_with_an_error() {
    let (mut b, mut s) = recording(0, 0);
    let faults = Faults {
        write_limit: Some(200),
        ..Faults::default()
    };
    let rep = record_armed(&mut b, &mut s, faults, 100);
    // 5 chunks are 188 blocks of data; the recording writer writes each
    // block once and the FAT only at a sync, so 200 blocks hold 5 frames
    // and the 6th fails.
    assert_eq!(rep.written, 5);
    assert!(matches!(
        rep.error.unwrap().kind,
        ErrorKind::Io(IoOp::Write, _)
    ));
}

#[test]
fn a_full_card_is_out_of_memory() {
    // 8 MiB card: FAT16 with 1 KiB clusters (the largest leaving ≥ 4 200).
    let sensor = unpaced_qqvga_grayscale();
    let mut b = common::ideal_board(sensor, 20_480_000, 8 << 20, FormatOptions::default());
    let mut s = b.open_file("/sdcard/stream.bin", "w").unwrap();
    let mut fb = vec![0u8; 160 * 120];
    let rep = b.record(&mut s, 10_000, &mut fb);
    let err = rep.error.unwrap();
    assert_eq!(
        err.kind,
        ErrorKind::Io(IoOp::Write, embedded_io::ErrorKind::OutOfMemory)
    );
    assert!(rep.written > 300, "{rep:?}");
    s.close().unwrap();
    drop(s);
    // The failed frame's first bytes made it into the file: the stream
    // crate reports the truncated last chunk and reads every whole frame.
    let (n, _) = survivors_with(&mut b, |i| i, true);
    assert_eq!(n, rep.written);
}
