//! `MemoryStream::into_buffer` gives back the whole caller buffer, so one
//! RAM region can serve stream after stream.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use omv_imageio::{memory_stream_bytes, Image, ManualClock, MemoryStream, PixFormat, ReadOptions};

/// A memory stream of two 4×2 GRAYSCALE slots at the start of `buf`.
fn gray_4x2_slots(buf: &mut [u8]) -> MemoryStream<'_, ManualClock> {
    MemoryStream::new(
        buf,
        4,
        2,
        PixFormat::Grayscale,
        2,
        ManualClock::new(0),
        1_000,
    )
    .unwrap()
}

#[test]
fn into_buffer_returns_the_whole_buffer_for_the_next_stream() {
    let need = memory_stream_bytes(4, 2, PixFormat::Grayscale, 2).unwrap();
    let mut region = vec![0xAAu8; need + 100];
    let buf: &mut [u8] = &mut region;
    let mut s = gray_4x2_slots(buf);
    s.write(&Image::new(4, 2, PixFormat::Grayscale, &[7; 8]))
        .unwrap();
    let buf = s.into_buffer();
    assert_eq!(
        buf.len(),
        need + 100,
        "the tail beyond the slots comes back too"
    );
    assert!(
        buf[need..].iter().all(|&b| b == 0xAA),
        "the tail is untouched"
    );
    // A new stream in the same region starts empty (slot headers cleared).
    let mut s2 = gray_4x2_slots(buf);
    let mut fb = [0u8; 8];
    let e = s2.read(&mut fb, ReadOptions::FAST_ONCE).unwrap_err();
    assert_eq!(e.kind, omv_imageio::ErrorKind::EmptySlot(0));
}
