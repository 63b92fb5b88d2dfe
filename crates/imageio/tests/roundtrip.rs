//! Every pixformat round trips through file and memory streams (an rstest
//! matrix); property tests: what is written reads back with the same frames
//! and timing; arbitrary bytes never panic the reader.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use omv_imageio::{memory_stream_bytes, Image, ManualClock, MemoryStream, PixFormat, ReadOptions};
use proptest::prelude::*;
use rstest::rstest;

const FAST: ReadOptions = ReadOptions::FAST_ONCE;

/// A payload of the right length for `pf` at w×h (compressed: 37 bytes).
fn payload(pf: PixFormat, w: u32, h: u32, seed: u8) -> Vec<u8> {
    let n = pf.raw_payload_len(w, h).map_or(37, |n| n as usize);
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// `PixFormat::ALL[i]`: the rstest matrices below take every format but
/// ARGB8 (index 3, Q14: no payload; `argb8_is_q14_zero_length`).
fn nth_format(i: usize) -> PixFormat {
    let pf = PixFormat::ALL[i];
    assert_ne!(pf, PixFormat::Argb8, "ARGB8 has its own test");
    pf
}

#[rstest]
fn file_round_trip(
    #[values(0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11)] format: usize,
    #[values((1, 1), (7, 3), (33, 2))] dims: (u32, u32),
) {
    let (w, h) = dims;
    let pf = nth_format(format);
    let frames: Vec<Vec<u8>> = (0..3).map(|i| payload(pf, w, h, i)).collect();
    let mut s = writer(0);
    for (i, f) in frames.iter().enumerate() {
        s.time_mut().advance_ms(10 * (i as u64 + 1));
        s.write(&Image::new(w, h, pf, f)).unwrap();
    }
    s.close().unwrap();
    let mut r = reader(bytes(s), 0);
    let mut fb = vec![0u8; 256];
    for (i, f) in frames.iter().enumerate() {
        let info = r.read(&mut fb, FAST).unwrap().expect("frame");
        assert_eq!((info.width, info.height, info.pixformat), (w, h, pf));
        assert_eq!(info.elapsed, 10 * (i as u32 + 1));
        assert_eq!(&fb[..info.payload_len as usize], &f[..]);
    }
    assert!(r.read(&mut fb, FAST).unwrap().is_none());
}

#[test]
fn argb8_is_q14_zero_length() {
    // Q14 replicated: ARGB8 frames carry no payload; pixel data is refused.
    let mut s = writer(0);
    assert!(s
        .write(&Image::new(2, 2, PixFormat::Argb8, &[1; 16]))
        .is_err());
    s.write(&Image::new(2, 2, PixFormat::Argb8, &[])).unwrap();
    let mut r = reader(bytes(s), 0);
    let info = r.read(&mut [0u8; 4], FAST).unwrap().unwrap();
    assert_eq!((info.pixformat, info.payload_len), (PixFormat::Argb8, 0));
}

#[rstest]
fn memory_round_trip(#[values(0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11)] format: usize) {
    let (w, h) = (16, 8);
    let pf = nth_format(format);
    let n = memory_stream_bytes(w, h, pf, 3).unwrap() as usize;
    let mut buf = vec![0u8; n];
    let mut m = MemoryStream::new(&mut buf, w, h, pf, 3, ManualClock::new(0), 1_000_000).unwrap();
    let frames: Vec<Vec<u8>> = (0..3)
        .map(|i| {
            let mut p = payload(pf, w, h, i);
            p.truncate(m.buffer_size().unwrap() as usize);
            p
        })
        .collect();
    for f in &frames {
        m.time_mut().advance_ms(5);
        m.write(&Image::new(w, h, pf, f)).unwrap();
    }
    m.seek(0).unwrap();
    for f in &frames {
        let frame = m.read_view(FAST).unwrap();
        assert_eq!((frame.info.pixformat, frame.info.elapsed_us), (pf, 5_000));
        assert_eq!(frame.data, &f[..]);
    }
}

fn arb_frame() -> impl Strategy<Value = (u32, PixFormat, u32, u32, Vec<u8>)> {
    let raw = prop_oneof![
        Just(PixFormat::Grayscale),
        Just(PixFormat::Rgb565),
        Just(PixFormat::Binary),
        Just(PixFormat::Yuv422),
        Just(PixFormat::BayerRggb),
    ];
    (0u32..5_000, raw, 1u32..20, 1u32..20).prop_flat_map(|(dt, pf, w, h)| {
        let n = pf.raw_payload_len(w, h).unwrap_or(0) as usize;
        (
            Just(dt),
            Just(pf),
            Just(w),
            Just(h),
            proptest::collection::vec(any::<u8>(), n),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn written_frames_read_back_with_the_same_timing(
        frames in proptest::collection::vec(arb_frame(), 0..12)
    ) {
        let mut s = writer(123);
        for (dt, pf, w, h, data) in &frames {
            s.time_mut().advance_ms(u64::from(*dt));
            s.write(&Image::new(*w, *h, *pf, data)).unwrap();
        }
        prop_assert_eq!(s.count().unwrap() as usize, frames.len());
        let mut r = reader(bytes(s), 0);
        let mut fb = vec![0u8; 2048];
        let mut t = 0u64;
        for (dt, pf, w, h, data) in &frames {
            let info = r.read(&mut fb, ReadOptions::PACED_ONCE).unwrap().unwrap();
            t += u64::from(*dt) * 1000;
            prop_assert_eq!((info.width, info.height, info.pixformat), (*w, *h, *pf));
            prop_assert_eq!(info.elapsed_us, u64::from(*dt) * 1000);
            prop_assert_eq!(&fb[..info.payload_len as usize], &data[..]);
            use omv_imageio::Clock;
            prop_assert_eq!(r.time_mut().now_us(), t);
        }
        prop_assert!(r.read(&mut fb, FAST).unwrap().is_none());
        prop_assert!(r.truncated_tail().is_none());
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..400),
        version in prop_oneof![Just(b"10"), Just(b"11"), Just(b"20"), Just(b"21")],
        seeks in proptest::collection::vec(0u32..8, 0..4),
    ) {
        let mut v = b"OMV IMG STR V".to_vec();
        v.push(version[0]);
        v.push(b'.');
        v.push(version[1]);
        v.extend_from_slice(&body);
        let mut r = reader(v, 0);
        let mut fb = vec![0u8; 512];
        for _ in 0..20 {
            match r.read(&mut fb, ReadOptions { loop_: true, pause: true }) {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        for s in seeks {
            let _ = r.seek(s);
            let _ = r.read(&mut fb, FAST);
        }
    }
}
