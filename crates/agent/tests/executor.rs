//! Every step of the executor on a mock platform (manual clock, in-memory
//! FAT card): OpenMV's three ImageIO examples (docs/api.md §1), replay pacing, loop, seek, memory
//! limits, truncation, power cuts, a full card, every pixformat, frame
//! differencing, queries and errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use omv_imageio::{FileOptions, FileStream, ManualClock, ReadOptions, SliceFile};
use omv_proto::{
    crc32, ErrorName, EventKind, Fault, Op, PixFormat, Query, ReadArgs, ReplaySummary,
    SensorSettings, StreamType, Value,
};
use rstest::rstest;

const PATH: &str = "/sdcard/stream.bin";

/// An executor on the rig's card with clock `C` and `E` trace events.
type Executor<'a, C, const E: usize> =
    omv_agent::Executor<'a, omv_fatstore::format::MemCard, C, omv_agent::PatternSensor, E>;
const FRAME: u64 = 32 + 153_600;

fn fast_once() -> ReadArgs {
    ReadArgs {
        copy_to_fb: true,
        loop_: false,
        pause: false,
    }
}

/// Replay the open stream once to its end, unpaced ([`fast_once`]).
fn replay_fast(ex: &mut Exec<'_>) -> ReplaySummary {
    let Value::Replay(r) = ok(
        ex,
        Op::Replay {
            frames: None,
            args: fast_once(),
        },
    ) else {
        panic!("replay gave no summary")
    };
    r
}

/// Replay the open stream to its end (fast, once); the frames it showed.
fn replay_to_end(ex: &mut Exec<'_>) -> u32 {
    let r = replay_fast(ex);
    assert!(r.reached_end, "{r:?}");
    r.frames
}

/// Set a GRAYSCALE sensor of `(width, height, fps)`, open [`PATH`] for
/// writing and record `frames` frames into it (left open).
fn record_gray_file(ex: &mut Exec<'_>, (w, h, fps): (u16, u16, u16), frames: u32) {
    ok(ex, sensor(w, h, PixFormat::Grayscale, fps));
    ok(ex, open_file(PATH, "w"));
    ok(ex, Op::Record { frames });
}

/// Frames of a stream file: (elapsed field, payload crc).
fn frames_of(bytes: &[u8]) -> Vec<(u32, u32)> {
    let mut copy = bytes.to_vec();
    let file = SliceFile::with_len(&mut copy, bytes.len());
    let mut s: FileStream<_, _> =
        FileStream::open(file, "r", ManualClock::new(0), FileOptions::default()).unwrap();
    let mut fb = vec![0; 1 << 20];
    let mut out = vec![];
    while let Some(i) = s.read(&mut fb, ReadOptions::FAST_ONCE).unwrap() {
        out.push((i.elapsed, crc32(&fb[..i.payload_len as usize])));
    }
    out
}

#[test]
fn seed_example_record_to_storage() {
    let mut rig = Rig::new();
    let mut ex = rig.exec();
    ok(&mut ex, open_file(PATH, "w"));
    let Value::Record(r) = ok(&mut ex, Op::Record { frames: 30 }) else {
        panic!()
    };
    assert_eq!((r.frames, r.first_index, r.dropped), (30, 0, 0));
    // 30 fps on the board's clock: frame k is captured at k × 33 333 µs.
    assert_eq!(r.t_end_us - r.t_start_us, 29 * 33_333);
    ok(&mut ex, Op::Sync);
    assert_eq!(num(ok(&mut ex, Op::Query(Query::Count))), 30);
    assert_eq!(num(ok(&mut ex, Op::Query(Query::Size))), 16 + 30 * FRAME);
    assert_eq!(num(ok(&mut ex, Op::Query(Query::Version))), 20);
    assert_eq!(ok(&mut ex, Op::Query(Query::BufferSize)), Value::None);
    assert_eq!(
        ok(&mut ex, Op::Query(Query::Type)),
        Value::Stream(StreamType::File)
    );
    ok(&mut ex, Op::Close);
    assert_eq!(ok(&mut ex, Op::Query(Query::IsClosed)), Value::Bool(true));
    assert_eq!(
        fails(&mut ex, Op::Query(Query::Count)).name,
        ErrorName::Closed
    );
    // The trace has every write with the crc of what the file holds.
    let written: Vec<(u32, u32)> = ex
        .events()
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::FrameWritten { index, crc32, .. } => Some((index, crc32)),
            _ => None,
        })
        .collect();
    assert_eq!(written.len(), 30);
    drop(ex);
    let frames = frames_of(&rig.file(PATH));
    assert_eq!(frames.len(), 30);
    for (k, ((elapsed, crc), (index, wcrc))) in frames.iter().zip(&written).enumerate() {
        assert_eq!(*index as usize, k);
        assert_eq!(crc, wcrc);
        // V2.0 stores ms: 0 for the first frame, then 33 or 34.
        if k == 0 {
            assert_eq!(*elapsed, 0);
        } else {
            assert!((33..=34).contains(elapsed), "frame {k}: {elapsed}");
        }
    }
    // Frames differ (the sequence stamp), and are the pattern sensor's.
    assert_ne!(frames[0].1, frames[1].1);
}

/// Record `frames` frames into [`PATH`] on `rig`'s card and close it; an
/// executor with the file open for reading.
fn recorded(rig: &mut Rig, frames: u32) -> Exec<'_> {
    let mut ex = rig.exec();
    ok(&mut ex, open_file(PATH, "w"));
    ok(&mut ex, Op::Record { frames });
    ok(&mut ex, Op::Close);
    drop(ex);
    let mut ex = rig.exec();
    ok(&mut ex, open_file(PATH, "r"));
    ex
}

#[test]
fn seed_example_replay_paced_reproduces_the_recorded_timing() {
    let mut rig = Rig::new();
    let clock = rig.clock.clone();
    let mut ex = recorded(&mut rig, 30);
    ex.clear_events();
    let t0 = clock.now();
    let args = ReadArgs {
        copy_to_fb: true,
        loop_: false,
        pause: true,
    };
    let Value::Replay(r) = ok(&mut ex, Op::Replay { frames: None, args }) else {
        panic!()
    };
    assert_eq!(
        (r.frames, r.first_index, r.reached_end),
        (30, Some(0), true)
    );
    assert_eq!(r.max_lateness_us, 0, "a manual clock waits exactly");
    // Sum of the recorded ms intervals: 29 frames × 33.3 ms ≈ 966 ms.
    let took = clock.now() - t0;
    assert!((966_000..=967_000).contains(&took), "{took}");
    let released: Vec<_> = ex
        .events()
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::FrameReleased {
                index,
                scheduled_us,
                ..
            } => Some((index, e.t_us, scheduled_us)),
            _ => None,
        })
        .collect();
    assert_eq!(released.len(), 30);
    assert!(released.iter().all(|(_, t, s)| t == s));
    // After the end, a read returns None (loop=False).
    assert_eq!(ok(&mut ex, Op::Read(fast_once())), Value::None);
}

#[test]
fn replay_unpaced_takes_no_board_time() {
    let mut rig = Rig::new();
    let clock = rig.clock.clone();
    let mut ex = recorded(&mut rig, 10);
    let t0 = clock.now();
    let r = replay_fast(&mut ex);
    assert_eq!(r.frames, 10);
    assert_eq!(clock.now(), t0);
    // Unpaced frames are released ahead of the recorded schedule.
    assert!(r.max_lateness_us > 0);
}

#[test]
fn loop_replays_across_the_end() {
    let mut rig = Rig::new();
    let mut ex = recorded(&mut rig, 4);
    ex.clear_events();
    let args = ReadArgs {
        copy_to_fb: true,
        loop_: true,
        pause: false,
    };
    let Value::Replay(r) = ok(
        &mut ex,
        Op::Replay {
            frames: Some(10),
            args,
        },
    ) else {
        panic!()
    };
    assert_eq!((r.frames, r.reached_end), (10, false));
    let idx: Vec<u32> = ex
        .events()
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::FrameReleased { index, .. } => Some(index),
            _ => None,
        })
        .collect();
    assert_eq!(idx, [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]);
    // loop without a frame count would never end.
    let e = fails(&mut ex, Op::Replay { frames: None, args });
    assert_eq!(e.name, ErrorName::BadStep);
}

#[test]
fn seek_forward_and_back() {
    let mut rig = Rig::new();
    let mut ex = recorded(&mut rig, 6);
    ok(&mut ex, Op::Seek { offset: 4 });
    let Value::Frame(f) = ok(&mut ex, Op::Read(fast_once())) else {
        panic!()
    };
    assert_eq!(f.index, 4);
    ok(&mut ex, Op::Seek { offset: 1 });
    assert_eq!(num(ok(&mut ex, Op::Query(Query::Offset))), 1);
    let Value::Frame(g) = ok(&mut ex, Op::Read(fast_once())) else {
        panic!()
    };
    assert_eq!(g.index, 1);
    assert_ne!(f.crc32, g.crc32);
    assert_eq!(
        fails(&mut ex, Op::Seek { offset: 7 }).name,
        ErrorName::EndOfStream
    );
    // "r" streams are read-only.
    assert_eq!(fails(&mut ex, Op::Write).name, ErrorName::ReadOnly);
}

#[test]
fn seed_example_memory_stream_and_its_limits() {
    let mut rig = Rig::new();
    let mut ex = rig.exec();
    let open = Op::OpenMemory {
        width: 320,
        height: 240,
        pixformat: PixFormat::Rgb565,
        count: 10,
    };
    ok(&mut ex, open.clone());
    for _ in 0..10 {
        ok(&mut ex, Op::Write);
    }
    // Full: the 11th write fails.
    assert_eq!(fails(&mut ex, Op::Write).name, ErrorName::EndOfStream);
    ok(&mut ex, Op::Seek { offset: 0 });
    let Value::Frame(first) = ok(&mut ex, Op::Read(fast_once())) else {
        panic!()
    };
    assert_eq!((first.index, first.payload_len), (0, 153_600));
    assert_eq!(num(ok(&mut ex, Op::Query(Query::BufferSize))), 153_600);
    assert_eq!(ok(&mut ex, Op::Query(Query::Version)), Value::None);
    assert_eq!(num(ok(&mut ex, Op::Query(Query::Count))), 10);
    assert_eq!(
        ok(&mut ex, Op::Query(Query::Type)),
        Value::Stream(StreamType::Memory)
    );
    ok(&mut ex, Op::Close);
    // The region is reusable: open again, read an unwritten slot.
    ok(&mut ex, open);
    assert_eq!(
        fails(&mut ex, Op::Read(fast_once())).name,
        ErrorName::EmptySlot
    );
    // A stream bigger than the region.
    let rgb565 = |width, count| Op::OpenMemory {
        width,
        height: 240,
        pixformat: PixFormat::Rgb565,
        count,
    };
    assert_eq!(
        fails(&mut ex, rgb565(320, 100)).name,
        ErrorName::BufferTooSmall
    );
    assert_eq!(
        fails(&mut ex, rgb565(0, 1)).name,
        ErrorName::InvalidArgument
    );
}

#[test]
fn a_frame_too_large_for_a_memory_slot_is_refused() {
    let mut rig = Rig::new();
    let mut ex = rig.exec();
    ok(
        &mut ex,
        Op::OpenMemory {
            width: 160,
            height: 120,
            pixformat: PixFormat::Grayscale,
            count: 2,
        },
    );
    let e = fails(&mut ex, Op::Write);
    assert_eq!(e.name, ErrorName::InvalidFrameSize);
    assert_eq!(num(ok(&mut ex, Op::Query(Query::Offset))), 0);
}

#[test]
fn replay_of_a_memory_stream_stops_at_its_end() {
    let mut rig = Rig::new();
    let mut ex = rig.exec();
    ok(&mut ex, sensor(32, 32, PixFormat::Grayscale, 0));
    ok(
        &mut ex,
        Op::OpenMemory {
            width: 32,
            height: 32,
            pixformat: PixFormat::Grayscale,
            count: 3,
        },
    );
    ok(&mut ex, Op::Record { frames: 3 });
    ok(&mut ex, Op::Seek { offset: 0 });
    assert_eq!(replay_to_end(&mut ex), 3);
}

#[test]
fn write_mid_file_truncates() {
    let mut rig = Rig::new();
    let mut ex = rig.exec();
    record_gray_file(&mut ex, (64, 48, 30), 5);
    ok(&mut ex, Op::Seek { offset: 2 });
    let Value::Frame(f) = ok(&mut ex, Op::Write) else {
        panic!()
    };
    assert_eq!(f.index, 2);
    assert_eq!(num(ok(&mut ex, Op::Query(Query::Count))), 3);
    ok(&mut ex, Op::Close);
    drop(ex);
    assert_eq!(frames_of(&rig.file(PATH)).len(), 3);
}

#[test]
fn power_cut_before_sync_loses_the_unsynced_frames() {
    let mut rig = Rig::new();
    let mut ex = rig.exec();
    record_gray_file(&mut ex, (64, 48, 30), 5);
    ok(&mut ex, Op::Fault(Fault::PowerCut));
    // The stream is gone with the power.
    assert_eq!(fails(&mut ex, Op::Sync).name, ErrorName::NoStream);
    // The file's directory entry was never flushed: it is empty.
    let e = fails(&mut ex, open_file(PATH, "r"));
    assert_eq!(e.name, ErrorName::Truncated, "{e}");
}

#[test]
fn power_cut_after_sync_keeps_the_synced_frames() {
    let mut rig = Rig::new();
    let mut ex = rig.exec();
    record_gray_file(&mut ex, (64, 48, 30), 5);
    ok(&mut ex, Op::Sync);
    ok(&mut ex, Op::Record { frames: 3 });
    ok(&mut ex, Op::Fault(Fault::PowerCut));
    ok(&mut ex, open_file(PATH, "r"));
    assert_eq!(replay_to_end(&mut ex), 5);
}

#[test]
fn a_full_card_fails_the_write_and_keeps_earlier_frames() {
    let mut rig = Rig::new();
    let mut ex = rig.exec();
    ok(&mut ex, open_file(PATH, "w"));
    ok(&mut ex, Op::Write);
    ok(&mut ex, Op::Fault(Fault::WriteLimit { blocks: Some(700) }));
    let e = fails(&mut ex, Op::Record { frames: 10 });
    assert_eq!(e.name, ErrorName::Io, "{e}");
    let failed = ex
        .events()
        .iter()
        .any(|e| matches!(e.kind, EventKind::StepFailed { .. }));
    assert!(failed);
    let written = ex
        .events()
        .iter()
        .filter(|e| matches!(e.kind, EventKind::FrameWritten { .. }))
        .count();
    // 700 blocks (data + FAT + directory) hold one or two more QVGA frames
    // (300 data blocks each), not ten.
    assert!((2..=3).contains(&written), "{written}");
    ok(&mut ex, Op::Fault(Fault::WriteLimit { blocks: None }));
    ok(&mut ex, Op::Close);
    ok(&mut ex, open_file(PATH, "r"));
    let r = replay_fast(&mut ex);
    assert_eq!(r.frames as usize, written, "the written frames are intact");
}

#[rstest]
fn every_raw_pixformat_round_trips(
    #[values(0, 1, 2, 3, 4, 5, 6, 7, 8)] format: usize,
    #[values(true, false)] file: bool,
) {
    let p = omv_pattern::RENDER_FORMATS[format];
    let mut rig = Rig::new();
    let mut ex = rig.exec();
    ok(&mut ex, sensor(40, 30, p, 0));
    if file {
        ok(&mut ex, open_file(PATH, "w"));
    } else {
        ok(
            &mut ex,
            Op::OpenMemory {
                width: 40,
                height: 30,
                pixformat: p,
                count: 2,
            },
        );
    }
    let Value::Frame(w) = ok(&mut ex, Op::Write) else {
        panic!()
    };
    ok(&mut ex, Op::Seek { offset: 0 });
    let Value::Frame(r) = ok(&mut ex, Op::Read(fast_once())) else {
        panic!()
    };
    assert_eq!((r.pixformat, r.width, r.height), (p, 40, 30));
    assert_eq!((r.payload_len, r.crc32), (w.payload_len, w.crc32));
}

#[rstest]
#[case(PixFormat::Jpeg)]
#[case(PixFormat::Png)]
#[case(PixFormat::Argb8)]
fn formats_the_sensor_cannot_render_are_refused_at_configuration(#[case] p: PixFormat) {
    let mut rig = Rig::new();
    let mut ex = rig.exec();
    let e = fails(&mut ex, sensor(40, 30, p, 0));
    assert_eq!(e.name, ErrorName::Sensor);
    // The old settings stay.
    assert_eq!(ex.sensor_config().pixformat, omv_imageio::PixFormat::Rgb565);
}

#[test]
fn frames_larger_than_the_frame_buffer_are_refused() {
    let mut rig = Rig::new();
    let mut ex = rig.exec();
    assert_eq!(
        fails(&mut ex, sensor(640, 480, PixFormat::Rgb565, 0)).name,
        ErrorName::Sensor
    );
}

#[rstest]
fn frame_differencing_on_a_memory_stream(#[values(true, false)] copy_to_fb: bool) {
    let mut rig = Rig::new();
    let mut ex = rig.exec();
    ok(
        &mut ex,
        Op::Sensor(SensorSettings {
            width: Some(64),
            height: Some(48),
            pixformat: Some(PixFormat::Grayscale),
            fps: Some(0),
            content: Some(omv_proto::Content::MovingBox),
            seed: Some(7),
        }),
    );
    ok(
        &mut ex,
        Op::OpenMemory {
            width: 64,
            height: 48,
            pixformat: PixFormat::Grayscale,
            count: 1,
        },
    );
    ok(&mut ex, Op::Write); // background = frame 0
    let args = ReadArgs {
        copy_to_fb,
        loop_: false,
        pause: false,
    };
    ok(&mut ex, Op::Seek { offset: 0 });
    let Value::Diff(d) = ok(
        &mut ex,
        Op::Diff {
            args,
            threshold: 10,
        },
    ) else {
        panic!()
    };
    assert_eq!(d.snapshot_seq, 1);
    assert_eq!(d.frame.index, 0);
    assert_eq!(d.compared, 64 * 48);
    // The box moved 3 px right and 2 down: some bytes changed, most did not.
    assert!(d.changed > 0 && d.changed < d.compared / 2, "{d:?}");
    assert!(d.mean_abs_diff_milli > 0);
}

#[test]
fn a_late_caller_drops_sensor_frames() {
    let mut rig = Rig::new();
    let mut ex = rig.exec();
    ok(&mut ex, sensor(32, 24, PixFormat::Grayscale, 10));
    ok(&mut ex, open_file(PATH, "w"));
    ok(&mut ex, Op::Write); // seq 0 at t0
    ok(&mut ex, Op::Sleep { us: 350_000 }); // frames 1..3 are produced meanwhile
    let Value::Record(r) = ok(&mut ex, Op::Record { frames: 2 }) else {
        panic!()
    };
    assert_eq!(r.dropped, 2);
    let drops: Vec<_> = ex
        .events()
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::FramesDropped { count, seq } => Some((count, seq)),
            _ => None,
        })
        .collect();
    assert_eq!(drops, [(2, 3)]);
}

#[test]
fn snapshots_are_deterministic_patterns() {
    let mut rig = Rig::new();
    let clock = rig.clock.clone();
    let mut ex = rig.exec();
    ok(&mut ex, sensor(32, 24, PixFormat::Rgb565, 30));
    let Value::Frame(a) = ok(&mut ex, Op::Snapshot) else {
        panic!()
    };
    let Value::Frame(b) = ok(&mut ex, Op::Snapshot) else {
        panic!()
    };
    assert_eq!((a.index, b.index), (0, 1));
    assert_eq!(b.t_us - a.t_us, 33_333);
    assert_eq!(clock.now(), b.t_us);
    let mut fb = vec![0; 32 * 24 * 2];
    let n = omv_pattern::render(
        omv_pattern::Content::ColorBars,
        0,
        1,
        32,
        24,
        omv_imageio::PixFormat::Rgb565,
        &mut fb,
    )
    .unwrap();
    assert_eq!(b.crc32, crc32(&fb[..n]));
}

#[test]
fn steps_without_a_stream_and_bad_arguments() {
    let mut rig = Rig::new();
    let mut ex = rig.exec();
    assert_eq!(ok(&mut ex, Op::Query(Query::IsClosed)), Value::Bool(true));
    for op in [
        Op::Write,
        Op::Sync,
        Op::Close,
        Op::Seek { offset: 0 },
        Op::Read(fast_once()),
        Op::Query(Query::Count),
    ] {
        assert_eq!(fails(&mut ex, op).name, ErrorName::NoStream);
    }
    assert_eq!(
        fails(&mut ex, open_file(PATH, "W")).name,
        ErrorName::InvalidMode
    );
    assert_eq!(
        fails(&mut ex, open_file(PATH, "rw")).name,
        ErrorName::InvalidMode
    );
    assert_eq!(
        fails(&mut ex, open_file("/sdcard/missing.bin", "r")).name,
        ErrorName::OpenFailed
    );
    let v = Op::OpenFile {
        path: omv_proto::bounded(PATH),
        mode: omv_proto::bounded("w"),
        write_version: Some(30),
    };
    assert_eq!(fails(&mut ex, v).name, ErrorName::BadStep);
    let v21 = Op::OpenFile {
        path: omv_proto::bounded(PATH),
        mode: omv_proto::bounded("w"),
        write_version: Some(21),
    };
    ok(&mut ex, v21);
    assert_eq!(num(ok(&mut ex, Op::Query(Query::Version))), 21);
    assert_eq!(ok(&mut ex, Op::Query(Query::IsClosed)), Value::Bool(false));
    ok(&mut ex, Op::Close);
    // Closing twice is fine (idempotent).
    ok(&mut ex, Op::Close);
    assert_eq!(fails(&mut ex, Op::Write).name, ErrorName::Closed);
}

#[test]
fn sleep_and_reset() {
    let mut rig = Rig::new();
    let clock = rig.clock.clone();
    let mut ex = rig.exec();
    ok(&mut ex, Op::Sleep { us: 1_500 });
    assert_eq!(clock.now(), 1_500);
    let e = fails(&mut ex, Op::Sleep { us: u64::MAX });
    assert_eq!(e.name, ErrorName::BadStep);
    assert_eq!(clock.now(), 1_500);
    ok(&mut ex, sensor(32, 24, PixFormat::Grayscale, 0));
    ok(&mut ex, open_file(PATH, "w"));
    ok(&mut ex, Op::Write);
    assert!(ex.events().total() > 0);
    ex.reset();
    assert_eq!(ex.events().total(), 0);
    assert!(ex.stream().is_none());
    assert_eq!(ex.sensor_config(), omv_agent::SensorConfig::default());
    // The file was closed by the reset and can be read.
    ok(&mut ex, open_file(PATH, "r"));
    assert_eq!(ok(&mut ex, Op::Query(Query::IsClosed)), Value::Bool(false));
}

#[test]
fn files_can_be_stat_uploaded_and_opened() {
    let mut rig = Rig::new();
    let mut ex = rig.exec();
    ex.upload("/sdcard/up.bin", 0, b"hello ").unwrap();
    ex.upload("/sdcard/up.bin", 6, b"world").unwrap();
    assert_eq!(ex.file_size("/sdcard/up.bin").unwrap(), 11);
    let e = ex.upload("/sdcard/up.bin", 3, b"x").unwrap_err();
    assert_eq!(e.name, ErrorName::BadStep);
    drop(ex);
    assert_eq!(rig.file("/sdcard/up.bin"), b"hello world");
}

#[test]
fn events_are_paged_and_bounded() {
    let mut rig = Rig::new();
    let mut ex = rig.exec();
    record_gray_file(&mut ex, (8, 8, 0), 30);
    let p = ex.events().page(0);
    assert_eq!((p.first, p.total, p.lost), (0, 30, 0));
    assert_eq!(p.events.len(), omv_proto::MAX_EVENTS_PER_PAGE);
    let p2 = ex.events().page(p.first + p.events.len() as u32);
    assert_eq!(p2.events.len(), 30 - omv_proto::MAX_EVENTS_PER_PAGE);
    let mut log = omv_agent::EventLog::<4>::new();
    for e in ex.events().iter().take(6) {
        log.push(*e);
    }
    assert_eq!((log.total(), log.lost()), (6, 2));
    let p = log.page(0);
    assert_eq!((p.first, p.events.len()), (2, 4));
    // A borrowed ring keeps the same order across its wrap.
    let mut store = [omv_agent::EMPTY_EVENT; 4];
    let mut ring = omv_agent::EventLog::<0>::borrowed(&mut store);
    let all: Vec<_> = ex.events().iter().copied().take(7).collect();
    for e in &all {
        ring.push(*e);
    }
    assert_eq!((ring.total(), ring.lost(), ring.capacity()), (7, 3, 4));
    assert!(ring.iter().copied().eq(all[3..].iter().copied()));
    assert!(log.iter().copied().eq(all[2..6].iter().copied()));
    ring.clear();
    assert!(ring.is_empty());
}

#[test]
fn a_borrowed_trace_keeps_the_executor_small() {
    let mut rig = Rig::new();
    let mut trace = vec![omv_agent::EMPTY_EVENT; 16_384];
    let clock = rig.clock.clone();
    let (card, buffers) = rig.parts();
    let mut ex: Executor<'_, SharedClock, 0> = omv_agent::Executor::with_trace(
        clock,
        omv_agent::PatternSensor::new(),
        Some(card),
        buffers,
        &mut trace,
    );
    assert!(std::mem::size_of_val(&ex) < 4096);
    assert!(ex.run(0, &open_file(PATH, "w")).is_ok());
    assert!(ex.run(1, &Op::Record { frames: 3 }).is_ok());
    assert_eq!((ex.events().len(), ex.events().capacity()), (3, 16_384));
}

#[test]
fn stat_and_download_close_an_open_stream_first() {
    let mut rig = Rig::new();
    let mut ex = rig.exec();
    record_gray_file(&mut ex, (32, 24, 0), 2);
    // The stream is still open: stat closes it (flushing) and sees the frames.
    assert_eq!(ex.file_size(PATH).unwrap(), 16 + 2 * (32 + 32 * 24));
    assert!(ex.stream().is_none());
    assert_eq!(fails(&mut ex, Op::Sync).name, ErrorName::NoStream);
}

/// A clock whose waits are cancelled once `cancel` is set (a board's clock
/// does this when host bytes arrive during a step).
#[derive(Clone, Default)]
struct CancellingClock {
    inner: SharedClock,
    cancel: std::rc::Rc<std::cell::Cell<bool>>,
}

impl omv_imageio::Clock for CancellingClock {
    fn now_us(&mut self) -> u64 {
        self.inner.now()
    }
}

impl omv_imageio::Wait for CancellingClock {
    fn wait_until(&mut self, d: u64) -> Result<(), omv_imageio::Cancelled> {
        if self.cancel.get() {
            return Err(omv_imageio::Cancelled);
        }
        // Cancel after the first wait: the host "sent a byte".
        self.cancel.set(true);
        self.inner.clone().wait_until(d)
    }
}

#[test]
fn a_cancelling_clock_aborts_a_long_record() {
    let mut rig = Rig::new();
    let clock = CancellingClock::default();
    let (card, buffers) = rig.parts();
    let mut ex: Executor<'_, CancellingClock, 64> = omv_agent::Executor::new(
        clock.clone(),
        omv_agent::PatternSensor::new(),
        Some(card),
        buffers,
    );
    clock.cancel.set(false);
    assert!(ex.run(0, &sensor(32, 24, PixFormat::Grayscale, 30)).is_ok());
    assert!(ex.run(1, &open_file(PATH, "w")).is_ok());
    // 1 000 000 frames at 30 fps would take 9 hours of board time.
    let out = ex.run(2, &Op::Record { frames: 1_000_000 });
    assert_eq!(out.error_name(), Some(ErrorName::Cancelled));
    let written = ex
        .events()
        .iter()
        .filter(|e| matches!(e.kind, EventKind::FrameWritten { .. }))
        .count();
    assert_eq!(written, 2, "frame 0 needs no wait, frame 1 waited once");
    // The stream is intact and usable.
    assert_eq!(
        ex.run(3, &Op::Query(Query::Count)),
        omv_proto::Outcome::Ok(Value::Number(2))
    );
}
