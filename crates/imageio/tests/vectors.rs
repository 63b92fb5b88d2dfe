//! Every hand-computed vector of docs/format.md §5 is read, and written byte for byte
//! where the writer can produce it; the header edge cases.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use omv_imageio::{ErrorKind, Image, PixFormat, ReadOptions, Version};

fn read_all(s: &mut Stream) -> Vec<(omv_imageio::FrameInfo, Vec<u8>)> {
    let mut out = Vec::new();
    let mut fb = vec![0u8; 4096];
    while let Some(info) = s.read(&mut fb, ReadOptions::FAST_ONCE).expect("read") {
        out.push((info, fb[..info.payload_len as usize].to_vec()));
    }
    out
}

#[test]
fn sha256sums_match_the_copied_vectors() {
    use sha2::{Digest, Sha256};
    let sums = String::from_utf8(vector("SHA256SUMS")).expect("utf8");
    let mut n = 0;
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let (sum, name) = line.split_once(char::is_whitespace).expect("sum name");
        let name = name.trim().trim_start_matches('*');
        let got: String = Sha256::digest(vector(name))
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(got, sum, "{name}");
        n += 1;
    }
    assert_eq!(n, 8);
}

#[test]
fn tv1_gray_reads_and_writes_byte_for_byte() {
    let v = vector("v20_gray_2x2_33ms.bin");
    let mut r = reader(v.clone(), 0);
    assert_eq!(r.version().unwrap(), Version::V2_0);
    let frames = read_all(&mut r);
    assert_eq!(frames.len(), 1);
    let (info, data) = &frames[0];
    assert_eq!(
        (info.width, info.height, info.pixformat),
        (2, 2, PixFormat::Grayscale)
    );
    assert_eq!(
        (info.elapsed, info.elapsed_us, info.offset),
        (33, 33_000, 16)
    );
    assert_eq!(data, &[0x10, 0x20, 0x30, 0x40]);

    let mut w = writer(1_000_000);
    w.time_mut().advance_ms(33);
    w.write(&Image::new(
        2,
        2,
        PixFormat::Grayscale,
        &[0x10, 0x20, 0x30, 0x40],
    ))
    .unwrap();
    w.close().unwrap();
    assert_eq!(bytes(w), v);
}

#[test]
fn tv2_v10_rgb565_is_byte_swapped_and_v11_is_not() {
    for name in ["v10_rgb565_2x1_100ms.bin", "v11_rgb565_2x1_100ms.bin"] {
        let mut r = reader(vector(name), 0);
        let frames = read_all(&mut r);
        assert_eq!(frames.len(), 1, "{name}");
        let (info, data) = &frames[0];
        assert_eq!(info.pixformat, PixFormat::Rgb565, "{name}");
        assert_eq!(info.elapsed_us, 100_000, "{name}");
        assert_eq!(data, &[0x00, 0xF8, 0x1F, 0x00], "{name}");
    }
}

#[test]
fn tv3_jpeg_v20_reads_and_writes_and_v11_reads_with_size_bpp_q1() {
    let v = vector("v20_jpeg5_8x8_0ms.bin");
    let payload = [0xFF, 0xD8, 0xAA, 0xFF, 0xD9];
    let frames = read_all(&mut reader(v.clone(), 0));
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].0.pixformat, PixFormat::Jpeg);
    assert_eq!(frames[0].0.size_field, 5);
    assert_eq!(frames[0].1, payload);

    let mut w = writer(0);
    w.write(&Image::new(8, 8, PixFormat::Jpeg, &payload))
        .unwrap();
    assert_eq!(bytes(w), v);

    // Q1 fixed: V1.1 JPEG is read with size = bpp, and the stream stays in step.
    let frames = read_all(&mut reader(vector("v11_jpeg5_8x8_0ms.bin"), 0));
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].0.pixformat, PixFormat::Jpeg);
    assert_eq!(frames[0].1, payload);
}

#[test]
fn tv4_binary_33x2_has_no_padding() {
    let v = vector("v20_binary_33x2_250ms.bin");
    let frames = read_all(&mut reader(v.clone(), 0));
    assert_eq!(frames.len(), 1);
    let (info, data) = &frames[0];
    assert_eq!(
        (info.width, info.height, info.pixformat),
        (33, 2, PixFormat::Binary)
    );
    assert_eq!(info.elapsed, 250);
    assert_eq!(data.len(), 16);
    let bit = |x: usize, y: usize| data[y * 8 + x / 8] >> (x % 8) & 1 == 1;
    let set: Vec<(usize, usize)> = (0..2)
        .flat_map(|y| (0..33).map(move |x| (x, y)))
        .filter(|&(x, y)| bit(x, y))
        .collect();
    assert_eq!(set, vec![(0, 0), (32, 0), (1, 1)]);

    let mut w = writer(0);
    w.time_mut().advance_ms(250);
    w.write(&Image::new(33, 2, PixFormat::Binary, data))
        .unwrap();
    assert_eq!(bytes(w), v);
}

#[test]
fn tv5_two_frames_write_byte_for_byte() {
    let mut w = writer(7);
    w.time_mut().advance_ms(5);
    w.write(&Image::new(1, 1, PixFormat::Grayscale, &[0x7F]))
        .unwrap();
    w.time_mut().advance_ms(40);
    w.write(&Image::new(1, 1, PixFormat::Rgb565, &[0x34, 0x12]))
        .unwrap();
    w.sync().unwrap();
    assert_eq!(w.count().unwrap(), 2);
    assert_eq!(bytes(w), vector("v20_two_frames.bin"));
}

#[test]
fn tv6_empty_stream() {
    let v = vector("v20_empty.bin");
    assert_eq!(v.len(), 16);
    for loop_ in [false, true] {
        let mut r = reader(v.clone(), 0);
        let mut fb = [0u8; 16];
        let got = r
            .read(
                &mut fb,
                ReadOptions {
                    loop_,
                    pause: false,
                },
            )
            .unwrap();
        assert!(got.is_none(), "loop={loop_}");
        assert_eq!(r.count().unwrap(), 0);
        assert_eq!(r.size().unwrap(), 16);
    }
    assert_eq!(bytes(writer(0)), v);
}

fn open_err(bytes: &[u8]) -> ErrorKind {
    match omv_imageio::FileStream::<_, _>::open_read(
        omv_imageio::StdIo(std::io::Cursor::new(bytes.to_vec())),
        omv_imageio::ManualClock::new(0),
        omv_imageio::FileOptions::default(),
    ) {
        Ok(_) => panic!("{:?} opened", String::from_utf8_lossy(bytes)),
        Err(e) => {
            assert_eq!(e.offset, Some(0));
            e.kind
        }
    }
}

#[test]
fn header_edge_cases() {
    // V2.1 is read, with elapsed in microseconds.
    let mut v21 = vector("v20_gray_2x2_33ms.bin");
    v21[15] = b'1';
    let frames = read_all(&mut reader(v21, 0));
    assert_eq!(frames[0].0.elapsed_us, 33);
    // Q13 fixed: non-digits are refused.
    assert!(matches!(
        open_err(b"OMV IMG STR V0.D"),
        ErrorKind::UnsupportedVersion {
            major: b'0',
            minor: b'D'
        }
    ));
    assert!(matches!(
        open_err(b"OMV IMG STR V1.2"),
        ErrorKind::UnsupportedVersion {
            major: b'1',
            minor: b'2'
        }
    ));
    assert_eq!(open_err(b"OMV IMG STR X2.0"), ErrorKind::BadMagic);
    assert!(matches!(
        open_err(b"OMV IMG STR V2."),
        ErrorKind::Truncated {
            expected: 16,
            found: 15,
            ..
        }
    ));
}
