//! The four divergences from OpenMV's C code found by running it (docs/format.md
//! §6, Q24–Q27): each test pins the decision taken, and fails if the stream
//! behaved as the C code does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use omv_imageio::container::{ChunkHeader, Version};
use omv_imageio::{
    Clock, ErrorKind, Image, ImageIo, ManualClock, PixFormat, ReadOptions, StdIo, MAX_DIMENSION,
};
use std::io::Cursor;

const FAST: ReadOptions = ReadOptions::FAST_ONCE;

fn tv5() -> Stream {
    reader(vector("v20_two_frames.bin"), 0)
}

/// Q24 fixed: a seek past the end changes nothing. C leaves the file at EOF
/// (the next read gives `None` or rewinds) and moves the schedule by every
/// chunk it walked (5 + 40 ms in TV5).
#[test]
fn q24_a_seek_past_the_end_leaves_position_and_schedule_unchanged() {
    let mut fb = [0u8; 8];
    let mut s = tv5();
    s.read(&mut fb, FAST).unwrap();
    assert_eq!(s.seek(5).unwrap_err().kind, ErrorKind::EndOfStream);
    assert_eq!((s.offset().unwrap(), s.count().unwrap()), (1, 1));
    // The next read is the frame at the unchanged offset, not EOF/rewind.
    let f = s.read(&mut fb, FAST).unwrap().expect("frame 1, not None");
    assert_eq!(f.index, 1);

    // The schedule did not move: a paced read of frame 0 (elapsed 5 ms)
    // waits its 5 ms, not 5 ms plus the 45 ms a C seek would have banked.
    let mut s = tv5();
    s.seek(3).unwrap_err();
    let before = s.time_mut().now_us();
    let f = s.read(&mut fb, ReadOptions::PACED_ONCE).unwrap().unwrap();
    assert_eq!(f.index, 0);
    assert_eq!(s.time_mut().now_us() - before, 5_000);
}

/// Q25 fixed: every accessor of a closed stream is `Closed`, on both stream
/// kinds. C returns stale values, and its `size()` reads a closed file.
#[test]
fn q25_accessors_after_close_are_closed_errors_not_stale_values() {
    let mut f: ImageIo<'_, Mem, ManualClock> = ImageIo::open(
        StdIo(Cursor::new(vector("v20_two_frames.bin"))),
        "r",
        ManualClock::new(0),
    )
    .unwrap();
    // Open: the values exist.
    assert_eq!(f.size().unwrap(), vector("v20_two_frames.bin").len() as u64);
    assert_eq!(f.version().unwrap().map(Version::number), Some(20));
    f.close().unwrap();
    let mut buf = vec![0u8; 192];
    let mut m =
        ImageIo::<Mem, _>::memory(&mut buf, 2, 2, PixFormat::Grayscale, 3, ManualClock::new(0))
            .unwrap();
    assert_eq!(m.size().unwrap(), 192);
    m.close().unwrap();
    for s in [&f, &m] {
        let closed = |k: ErrorKind| assert_eq!(k, ErrorKind::Closed, "{:?}", s.stream_type());
        closed(s.count().unwrap_err().kind);
        closed(s.offset().unwrap_err().kind);
        closed(s.version().unwrap_err().kind);
        closed(s.buffer_size().unwrap_err().kind);
        closed(s.size().unwrap_err().kind);
    }
}

/// One GRAYSCALE 3×1 frame (payload 3 bytes, 13 bytes of padding), written
/// by the stream itself.
fn one_small_frame() -> Vec<u8> {
    let mut w = writer(0);
    w.time_mut().advance_ms(7);
    w.write(&Image::new(3, 1, PixFormat::Grayscale, &[1, 2, 3]))
        .unwrap();
    bytes(w)
}

/// Q26 fixed: a last frame whose padding is missing (all or part) is read —
/// its payload is complete and padding carries no data — and the stream
/// then ends as at EOF. C's padding read comes up short and loses the frame.
#[test]
fn q26_a_last_frame_without_its_padding_is_read() {
    let full = one_small_frame();
    assert_eq!(full.len(), 16 + 32 + 3 + 13);
    for cut in [13, 5, 1] {
        let mut s = reader(full[..full.len() - cut].to_vec(), 0);
        let mut fb = [0u8; 8];
        let f = s.read(&mut fb, FAST).unwrap().expect("the frame survives");
        assert_eq!(
            (f.index, f.width, &fb[..3]),
            (0, 3, &[1u8, 2, 3][..]),
            "cut {cut}"
        );
        assert!(s.read(&mut fb, FAST).unwrap().is_none(), "cut {cut}");
        assert_eq!((s.offset().unwrap(), s.count().unwrap()), (1, 1));
        // seek(count) reaches the end; seek back reads it again.
        s.seek(1).unwrap();
        s.seek(0).unwrap();
        assert_eq!(s.read(&mut fb, FAST).unwrap().unwrap().index, 0);
    }
    // One payload byte short is not "missing padding": it is Q7's truncation.
    let mut s = reader(full[..full.len() - 14].to_vec(), 0);
    assert!(s.read(&mut [0u8; 8], FAST).unwrap().is_none());
    assert!(matches!(
        s.truncated_tail().expect("reported").kind,
        ErrorKind::Truncated { .. }
    ));
}

/// Q27 fixed (as the OpenMV IDE): a chunk wider or taller than 32767 is
/// refused with `DimensionTooLarge` at the chunk's offset, and the stream is
/// left where it was. C reads it; the IDE calls the whole file corrupt.
#[test]
fn q27_frames_beyond_32767_are_refused_on_read_and_write() {
    for (w, h) in [(40_000, 1), (1, 40_000), (MAX_DIMENSION + 1, 1)] {
        let hdr = ChunkHeader {
            elapsed: 1,
            width: w,
            height: h,
            pixformat: PixFormat::Grayscale,
            size_field: 0,
            payload_len: w * h,
        };
        let mut file = Version::V2_0.magic().to_vec();
        file.extend_from_slice(&hdr.encode_v2());
        file.resize(file.len() + (w * h).next_multiple_of(16) as usize, 0);
        let mut s = reader(file, 0);
        let mut fb = vec![0u8; (w * h) as usize];
        let e = s.read(&mut fb, FAST).unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::DimensionTooLarge {
                width: w,
                height: h
            }
        );
        assert_eq!(e.offset, Some(16));
        assert_eq!((s.offset().unwrap(), s.count().unwrap()), (0, 0));

        let data = vec![0u8; (w * h) as usize];
        let mut out = writer(0);
        let e = out
            .write(&Image::new(w, h, PixFormat::Grayscale, &data))
            .unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::DimensionTooLarge {
                width: w,
                height: h
            }
        );
        assert_eq!(out.count().unwrap(), 0);
    }
    // The limit itself is accepted.
    let data = vec![0u8; MAX_DIMENSION as usize];
    let mut out = writer(0);
    out.write(&Image::new(MAX_DIMENSION, 1, PixFormat::Grayscale, &data))
        .unwrap();
    let mut s = reader(bytes(out), 0);
    let mut fb = vec![0u8; MAX_DIMENSION as usize];
    assert_eq!(s.read(&mut fb, FAST).unwrap().unwrap().width, MAX_DIMENSION);
}
