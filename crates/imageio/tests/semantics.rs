//! The expected behaviours of docs/api.md §2.2, §3 and §4 (TV5 sequence,
//! pacing, memory sizing and write acceptance) and the observable quirk
//! decisions of docs/format.md §6.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use omv_imageio::{
    memory_stream_bytes, Clock, ErrorKind, FileOptions, Image, ImageIo, ManualClock, MemoryLayout,
    MemoryStream, PixFormat, ReadOptions, StdIo, StreamType, Version,
};
use std::io::Cursor;

const FAST: ReadOptions = ReadOptions::FAST_ONCE;
const FAST_LOOP: ReadOptions = ReadOptions {
    loop_: true,
    pause: false,
};

fn tv5() -> Stream {
    reader(vector("v20_two_frames.bin"), 0)
}

fn pos(s: &Stream) -> (u32, u32) {
    (s.offset().unwrap(), s.count().unwrap())
}

#[test]
fn tv5_read_sequence_without_loop() {
    let mut s = tv5();
    let mut fb = [0u8; 8];
    let f = s.read(&mut fb, FAST).unwrap().unwrap();
    assert_eq!((f.pixformat, fb[0]), (PixFormat::Grayscale, 0x7F));
    assert_eq!(pos(&s), (1, 1));
    let f = s.read(&mut fb, FAST).unwrap().unwrap();
    assert_eq!(
        (f.pixformat, &fb[..2]),
        (PixFormat::Rgb565, &[0x34, 0x12][..])
    );
    assert_eq!(pos(&s), (2, 2));
    assert!(s.read(&mut fb, FAST).unwrap().is_none());
    assert_eq!(pos(&s), (2, 2));
}

#[test]
fn tv5_read_sequence_with_loop_rewinds() {
    let mut s = tv5();
    let mut fb = [0u8; 8];
    s.read(&mut fb, FAST_LOOP).unwrap();
    s.read(&mut fb, FAST_LOOP).unwrap();
    let f = s.read(&mut fb, FAST_LOOP).unwrap().unwrap();
    assert_eq!((f.index, f.pixformat), (0, PixFormat::Grayscale));
    assert_eq!(pos(&s), (1, 2));
}

#[test]
fn tv5_seek_q3_fixed() {
    let mut fb = [0u8; 8];
    let mut s = tv5();
    s.seek(1).unwrap();
    assert_eq!(pos(&s), (1, 2));
    let f = s.read(&mut fb, FAST).unwrap().unwrap();
    assert_eq!(f.pixformat, PixFormat::Rgb565);

    // Q3 fixed: seek(2) reaches EOF, count is the 2 frames that exist (C says 3).
    let mut s = tv5();
    s.seek(2).unwrap();
    assert_eq!(pos(&s), (2, 2));
    assert!(s.read(&mut fb, FAST).unwrap().is_none());

    let mut s = tv5();
    let e = s.seek(3).unwrap_err();
    assert_eq!(e.kind, ErrorKind::EndOfStream);
    assert_eq!(pos(&s), (0, 0), "a failed seek changes nothing");
    // Seek back after reading.
    s.read(&mut fb, FAST).unwrap();
    s.read(&mut fb, FAST).unwrap();
    s.seek(0).unwrap();
    assert_eq!(s.read(&mut fb, FAST).unwrap().unwrap().index, 0);
}

#[test]
fn tv5_pause_releases_frames_on_schedule() {
    let t0 = 1_000_000;
    let mut s = tv5_at(t0);
    let mut fb = [0u8; 8];
    s.read(&mut fb, ReadOptions::PACED_ONCE).unwrap();
    assert_eq!(now(&mut s), t0 + 5_000);
    s.read(&mut fb, ReadOptions::PACED_ONCE).unwrap();
    assert_eq!(now(&mut s), t0 + 45_000);
    // Processing slower than the schedule: no wait, never early.
    let mut s = tv5_at(t0);
    s.time_mut().advance_ms(20);
    s.read(&mut fb, ReadOptions::PACED_ONCE).unwrap();
    assert_eq!(now(&mut s), t0 + 20_000);
    s.read(&mut fb, ReadOptions::PACED_ONCE).unwrap();
    assert_eq!(now(&mut s), t0 + 45_000);
}

fn tv5_at(t0: u64) -> Stream {
    reader(vector("v20_two_frames.bin"), t0)
}

fn now(s: &mut Stream) -> u64 {
    s.time_mut().now_us()
}

#[test]
fn q5_unpaced_read_and_seek_restart_the_schedule_from_now() {
    let t0 = 0;
    let mut s = tv5_at(t0);
    let mut fb = [0u8; 8];
    // Unpaced reads do not bank time: a later paced read waits its own elapsed.
    s.read(&mut fb, FAST).unwrap();
    s.time_mut().advance_ms(100);
    s.read(
        &mut fb,
        ReadOptions {
            loop_: true,
            pause: false,
        },
    )
    .unwrap();
    let before = now(&mut s);
    s.read(
        &mut fb,
        ReadOptions {
            loop_: true,
            pause: true,
        },
    )
    .unwrap(); // frame 0, elapsed 5 ms
    assert_eq!(now(&mut s) - before, 5_000);
    // A seek restarts the schedule from now too.
    s.time_mut().advance_ms(1_000);
    s.seek(1).unwrap();
    let before = now(&mut s);
    s.read(&mut fb, ReadOptions::PACED_ONCE).unwrap(); // frame 1, 40 ms
    assert_eq!(now(&mut s) - before, 40_000);
}

#[test]
fn q19_a_huge_elapsed_value_waits_at_most_max_wait() {
    let mut v = vector("v20_two_frames.bin");
    v[16..20].copy_from_slice(&u32::MAX.to_le_bytes()); // ~49.7 days in ms
    let opts = FileOptions {
        max_wait_us: 2_000_000,
        ..FileOptions::default()
    };
    let mut s: Stream =
        omv_imageio::FileStream::open_read(StdIo(Cursor::new(v)), ManualClock::new(0), opts)
            .unwrap();
    let mut fb = [0u8; 8];
    let f = s.read(&mut fb, ReadOptions::PACED_ONCE).unwrap().unwrap();
    assert!(f.wait_clamped);
    assert_eq!(s.time_mut().waited_us, 2_000_000);
}

#[test]
fn q7_truncated_last_chunk_ends_the_stream_and_is_reported() {
    let full = vector("v20_two_frames.bin");
    for cut in [65, 80, 96, 97] {
        let mut s = reader(full[..cut].to_vec(), 0);
        let mut fb = [0u8; 8];
        let f = s.read(&mut fb, FAST).unwrap().unwrap();
        assert_eq!((f.index, fb[0]), (0, 0x7F), "cut {cut}");
        assert!(s.read(&mut fb, FAST).unwrap().is_none(), "cut {cut}");
        let tail = s.truncated_tail().expect("reported");
        assert!(
            matches!(tail.kind, ErrorKind::Truncated { .. }),
            "cut {cut}"
        );
        assert_eq!(pos(&s), (1, 1), "cut {cut}");
        // Still usable: seek back and read frame 0 again.
        s.seek(0).unwrap();
        assert_eq!(s.read(&mut fb, FAST).unwrap().unwrap().index, 0);
    }
}

#[test]
fn q10_invalid_pixformat_leaves_the_stream_where_it_was() {
    let mut v = vector("v20_two_frames.bin");
    v[64 + 12..64 + 16].copy_from_slice(&0x1234_5678u32.to_le_bytes());
    let mut s = reader(v, 0);
    let mut fb = [0u8; 8];
    s.read(&mut fb, FAST).unwrap();
    let e = s.read(&mut fb, FAST).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidPixformat(0x1234_5678));
    assert_eq!(e.offset, Some(64));
    assert_eq!(pos(&s), (1, 1));
    let e2 = s.read(&mut fb, FAST).unwrap_err();
    assert_eq!(e, e2, "same error again, nothing skipped");
}

#[test]
fn q2_v1_bpp_with_the_sign_bit_is_refused() {
    let mut v = vector("v11_rgb565_2x1_100ms.bin");
    v[28..32].copy_from_slice(&0x8000_0002u32.to_le_bytes());
    let mut s = reader(v, 0);
    let e = s.read(&mut [0u8; 8], FAST).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidBpp(0x8000_0002));
    assert_eq!(e.offset, Some(16));
}

#[test]
fn q8_a_failed_write_does_not_move_the_time_reference() {
    let mut w = writer(0);
    w.time_mut().advance_ms(10);
    // 2x2 GRAYSCALE needs 4 bytes: 3 is refused.
    assert!(w
        .write(&Image::new(2, 2, PixFormat::Grayscale, &[1, 2, 3]))
        .is_err());
    w.time_mut().advance_ms(15);
    w.write(&Image::new(1, 1, PixFormat::Grayscale, &[9]))
        .unwrap();
    w.seek(0).unwrap();
    let f = w.read(&mut [0u8; 4], FAST).unwrap().unwrap();
    assert_eq!(
        f.elapsed, 25,
        "measured from open, not from the failed write"
    );
}

#[test]
fn q11_q12_only_exact_r_and_w_are_modes() {
    for m in ["W", "R", "rw", "wb", "", "a"] {
        let e = ImageIo::<_, _>::open(StdIo(Cursor::new(Vec::new())), m, ManualClock::new(0))
            .err()
            .unwrap_or_else(|| panic!("mode {m:?} accepted"));
        assert_eq!(e.kind, ErrorKind::InvalidMode, "{m:?}");
    }
}

#[test]
fn q21_read_streams_refuse_writes_and_write_streams_read_back() {
    let mut r = tv5();
    let e = r
        .write(&Image::new(1, 1, PixFormat::Grayscale, &[1]))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ReadOnly);
    let mut w = writer(0);
    w.write(&Image::new(1, 1, PixFormat::Grayscale, &[1]))
        .unwrap();
    w.seek(0).unwrap();
    let mut fb = [0u8; 1];
    assert_eq!(w.read(&mut fb, FAST).unwrap().unwrap().index, 0);
    assert_eq!(fb, [1]);
}

#[test]
fn writing_mid_file_truncates_after_the_written_frame() {
    let mut w = writer(0);
    for v in 1..=5u8 {
        w.write(&Image::new(1, 1, PixFormat::Grayscale, &[v]))
            .unwrap();
    }
    assert_eq!(pos_w(&w), (5, 5));
    w.seek(2).unwrap();
    w.write(&Image::new(2, 1, PixFormat::Grayscale, &[7, 7]))
        .unwrap();
    assert_eq!(pos_w(&w), (3, 3));
    let size = w.size().unwrap();
    let data = bytes(w);
    assert_eq!(data.len() as u64, size);
    assert_eq!(data.len(), 16 + 3 * 48);
    let mut r = reader(data, 0);
    let mut fb = [0u8; 4];
    let mut got = Vec::new();
    while let Some(f) = r.read(&mut fb, FAST).unwrap() {
        got.push(fb[..f.payload_len as usize].to_vec());
    }
    assert_eq!(got, vec![vec![1], vec![2], vec![7, 7]]);
}

fn pos_w(s: &Stream) -> (u32, u32) {
    pos(s)
}

#[test]
fn every_operation_on_a_closed_stream_is_an_error_and_close_is_idempotent() {
    let mut s = tv5();
    s.close().unwrap();
    s.close().unwrap();
    assert!(s.is_closed());
    let closed = |k: ErrorKind| assert_eq!(k, ErrorKind::Closed);
    closed(s.count().unwrap_err().kind);
    closed(s.offset().unwrap_err().kind);
    closed(s.version().unwrap_err().kind);
    closed(s.size().unwrap_err().kind);
    closed(s.read(&mut [0u8; 4], FAST).unwrap_err().kind);
    closed(s.seek(0).unwrap_err().kind);
    closed(s.sync().unwrap_err().kind);
    closed(
        s.write(&Image::new(1, 1, PixFormat::Grayscale, &[1]))
            .unwrap_err()
            .kind,
    );

    let mut buf = vec![0u8; 192];
    let mut m = gray_2x2_image_io(&mut buf);
    m.close().unwrap();
    m.close().unwrap();
    assert!(m.is_closed());
    closed(m.count().unwrap_err().kind);
    closed(m.buffer_size().unwrap_err().kind);
    closed(m.read(&mut [0u8; 4], FAST).unwrap_err().kind);
    closed(
        m.write(&Image::new(1, 1, PixFormat::Grayscale, &[1]))
            .unwrap_err()
            .kind,
    );
}

#[test]
fn v21_writing_is_an_explicit_option() {
    let opts = FileOptions {
        write_version: Version::V2_1,
        ..FileOptions::default()
    };
    let mut w = writer_with(0, opts);
    w.time_mut().advance_us(1234);
    w.write(&Image::new(1, 1, PixFormat::Grayscale, &[3]))
        .unwrap();
    let data = bytes(w);
    assert_eq!(&data[..16], b"OMV IMG STR V2.1");
    assert_eq!(&data[16..20], &1234u32.to_le_bytes());
    let mut r = reader(data, 0);
    assert_eq!(
        r.read(&mut [0u8; 1], FAST).unwrap().unwrap().elapsed_us,
        1234
    );
}

// ---- memory streams -------------------------------------------------------

#[test]
fn memory_sizing_table_matches_openmv() {
    use PixFormat::*;
    let rows: [(u32, u32, PixFormat, u32, u64, u64, u64); 8] = [
        (320, 240, Rgb565, 10, 153600, 153632, 1536320),
        (320, 240, Jpeg, 10, 19200, 19232, 192320),
        (160, 120, Png, 4, 4800, 4832, 19328),
        (2, 2, Grayscale, 3, 32, 64, 192),
        (33, 2, Binary, 1, 32, 64, 64),
        (40, 40, Rgb565, 3, 3200, 3232, 9696),
        (120, 120, Rgb565, 500, 28800, 28832, 14416000),
        (16, 16, Argb8, 2, 0, 32, 64),
    ];
    for (w, h, pf, count, buffer_size, slot, size) in rows {
        let l = MemoryLayout::new(w, h, pf, count).unwrap();
        assert_eq!(
            (l.buffer_size, l.slot, l.total),
            (buffer_size, slot, size),
            "{w}x{h} {pf:?}"
        );
        assert_eq!(memory_stream_bytes(w, h, pf, count).unwrap() as u64, size);
    }
    // The API agrees with the layout.
    let mut buf = vec![0u8; 192];
    let m =
        MemoryStream::new(&mut buf, 2, 2, Grayscale, 3, ManualClock::new(0), 1_000_000).unwrap();
    assert_eq!(
        (
            m.buffer_size().unwrap(),
            m.size().unwrap(),
            m.count().unwrap()
        ),
        (32, 192, 3)
    );
}

#[test]
fn q15_memory_constructor_arguments_are_checked() {
    use PixFormat::Grayscale;
    for (w, h, c) in [(0, 2, 1), (2, 0, 1), (2, 2, 0), (40_000, 2, 1)] {
        assert!(
            MemoryLayout::new(w, h, Grayscale, c).is_err(),
            "{w}x{h}x{c}"
        );
    }
    let mut small = vec![0u8; 191];
    let e = MemoryStream::new(&mut small, 2, 2, Grayscale, 3, ManualClock::new(0), 1)
        .err()
        .unwrap();
    assert_eq!(
        e.kind,
        ErrorKind::BufferTooSmall {
            needed: 192,
            available: 191
        }
    );
}

/// A memory stream of three 2×2 GRAYSCALE slots (192 bytes of `buf`),
/// frame period 1 µs, with a 2×2 frame of 1s written to slot 0.
fn gray_2x2_slots_one_written(buf: &mut [u8]) -> MemoryStream<'_, ManualClock> {
    let mut m =
        MemoryStream::new(buf, 2, 2, PixFormat::Grayscale, 3, ManualClock::new(0), 1).unwrap();
    m.write(&Image::new(2, 2, PixFormat::Grayscale, &[1; 4]))
        .unwrap();
    m
}

#[test]
fn memory_write_acceptance_q4_fixed() {
    let mut buf = vec![0u8; 192];
    let mut m = gray_2x2_slots_one_written(&mut buf);
    m.write(&Image::new(4, 4, PixFormat::Rgb565, &[2; 32]))
        .unwrap();
    // 48 bytes: OpenMV accepts and overflows (Q4); we refuse.
    let e = m
        .write(&Image::new(4, 6, PixFormat::Rgb565, &[3; 48]))
        .unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::InvalidFrameSize {
            size: 48,
            allowed: 32
        }
    );
    let e = m
        .write(&Image::new(6, 6, PixFormat::Grayscale, &[3; 36]))
        .unwrap_err();
    assert!(matches!(e.kind, ErrorKind::InvalidFrameSize { .. }));
    m.write(&Image::new(1, 1, PixFormat::Grayscale, &[4]))
        .unwrap();
    let e = m
        .write(&Image::new(1, 1, PixFormat::Grayscale, &[5]))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::EndOfStream);
    // Heterogeneous frames read back as written.
    m.seek(0).unwrap();
    let mut fb = [0u8; 32];
    let f = m.read(&mut fb, FAST).unwrap();
    assert_eq!(
        (f.width, f.pixformat, &fb[..4]),
        (2, PixFormat::Grayscale, &[1u8; 4][..])
    );
    let f = m.read(&mut fb, FAST).unwrap();
    assert_eq!(
        (f.width, f.pixformat, f.payload_len),
        (4, PixFormat::Rgb565, 32)
    );
    let f = m.read_view(FAST).unwrap();
    assert_eq!(f.data, &[4]);
    assert_eq!(
        m.read(&mut fb, FAST_LOOP).unwrap_err().kind,
        ErrorKind::EndOfStream
    );
}

#[test]
fn q9_unwritten_memory_slots_are_an_error_not_garbage() {
    let mut buf = vec![0xAAu8; 192];
    let mut m = gray_2x2_slots_one_written(&mut buf);
    let e = m.read(&mut [0u8; 32], FAST).unwrap_err();
    assert_eq!(e.kind, ErrorKind::EmptySlot(1));
    assert_eq!(
        m.seek(3).unwrap_err().kind,
        ErrorKind::InvalidOffset {
            offset: 3,
            count: 3
        }
    );
}

/// `ImageIo` over a memory stream of three 2×2 GRAYSCALE slots.
fn gray_2x2_image_io(buf: &mut [u8]) -> ImageIo<'_, Mem, ManualClock> {
    ImageIo::<Mem, _>::memory(buf, 2, 2, PixFormat::Grayscale, 3, ManualClock::new(0)).unwrap()
}

#[test]
fn memory_replay_is_paced_by_the_recorded_timing() {
    let mut buf = vec![0u8; 192];
    let mut m = gray_2x2_image_io(&mut buf);
    assert_eq!(m.stream_type(), StreamType::Memory);
    for dt in [10, 20, 30] {
        m.time_mut().advance_ms(dt);
        m.write(&Image::new(1, 1, PixFormat::Grayscale, &[dt as u8]))
            .unwrap();
    }
    m.seek(0).unwrap();
    let mut fb = [0u8; 4];
    let start = m.time_mut().now_us();
    for _ in 0..3 {
        m.read(&mut fb, ReadOptions::PACED_ONCE).unwrap();
    }
    let end = m.time_mut().now_us();
    assert_eq!(end - start, 60_000);
}

#[test]
fn read_frame_copy_to_fb_copies_or_views() {
    let mut buf = vec![0u8; 192];
    let mut m = gray_2x2_image_io(&mut buf);
    m.write(&Image::new(2, 2, PixFormat::Grayscale, &[5, 6, 7, 8]))
        .unwrap();
    m.write(&Image::new(1, 1, PixFormat::Grayscale, &[9]))
        .unwrap();
    m.seek(0).unwrap();
    let mut fb = [0u8; 8];
    let f = m.read_frame(&mut fb, FAST, true).unwrap().unwrap();
    assert_eq!(f.data, &[5, 6, 7, 8]);
    assert_eq!(fb[..4], [5, 6, 7, 8], "copied into the frame buffer");
    let mut fb = [0u8; 8];
    let f = m.read_frame(&mut fb, FAST, false).unwrap().unwrap();
    assert_eq!(f.data, &[9]);
    assert_eq!(fb, [0; 8], "a view of the slot, nothing copied");

    let mut s = ImageIo::File(tv5());
    let f = s.read_frame(&mut fb, FAST, false).unwrap().unwrap();
    assert_eq!((f.info.index, f.data), (0, &[0x7F][..]));
    s.read_frame(&mut fb, FAST, true).unwrap().unwrap();
    assert!(s.read_frame(&mut fb, FAST, true).unwrap().is_none());
}
