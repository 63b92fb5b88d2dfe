//! I/O calls made on a host file, counted (not timed): a file stream makes
//! no more read/write/seek calls per frame than plain sequential `std::io`
//! code writing or reading the same bytes, buffered or not (issue 13 item 7).
//! A change that adds a seek per frame fails here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod hostio;

use hostio::{raw_read, raw_write, stream_read, stream_write, Calls, Counted, Counter, Kind};
use omv_imageio::{FileOptions, FileStream, Image, ManualClock, PixFormat, ReadOptions, StdIo};
use std::io::{BufReader, BufWriter, Cursor};

type Mem = Counted<Cursor<Vec<u8>>>;

fn mem(bytes: Vec<u8>, calls: &Counter) -> Mem {
    Counted::new(Cursor::new(bytes), calls)
}

const KINDS: [(Kind, u32); 3] = [
    (hostio::VGA_RGB565, 4),
    (hostio::QQVGA_GRAY, 16),
    (hostio::JPEG, 40),
];

/// Write `frames` frames with the stream and with the baseline; check the
/// bytes are the same and the stream made no more calls. Returns the file.
fn check_write(kind: &Kind, frames: u32, buffered: bool) -> Vec<u8> {
    let data = hostio::payload(kind);
    let (sc, rc) = (Counter::default(), Counter::default());
    let (stream_bytes, s, r);
    if buffered {
        let (mut st, split) = stream_write(
            StdIo(BufWriter::new(mem(Vec::new(), &sc))),
            &sc,
            kind,
            frames,
            &data,
        );
        st.close().unwrap();
        s = split;
        stream_bytes = st.into_inner().0.into_inner().unwrap().inner.into_inner();
        let mut w = BufWriter::new(mem(Vec::new(), &rc));
        r = raw_write(&mut w, &rc, kind, frames, &data);
        assert_eq!(w.into_inner().unwrap().inner.into_inner(), stream_bytes);
    } else {
        let (mut st, split) = stream_write(StdIo(mem(Vec::new(), &sc)), &sc, kind, frames, &data);
        st.close().unwrap();
        s = split;
        stream_bytes = st.into_inner().0.inner.into_inner();
        let mut w = mem(Vec::new(), &rc);
        r = raw_write(&mut w, &rc, kind, frames, &data);
        assert_eq!(
            w.inner.into_inner(),
            stream_bytes,
            "{}: same bytes",
            kind.name
        );
    }
    let what = format!(
        "{} write, buffered {buffered}: stream {s:?}, raw {r:?}",
        kind.name
    );
    assert_eq!(s.frames.seek, 0, "{what}");
    assert_eq!(s.frames.read, 0, "{what}");
    assert_eq!(s.frames.other, 0, "{what}");
    assert_eq!(s.frames.write, r.frames.write, "{what}");
    // Creating an empty file: one seek to learn it is empty, then the header.
    assert_eq!(s.open - r.open, Calls::seeks(1), "{what}");
    stream_bytes
}

fn check_read(kind: &Kind, frames: u32, bytes: &[u8], buffered: bool) {
    let (sc, rc) = (Counter::default(), Counter::default());
    let mut fb = vec![0u8; kind.max_len()];
    let ((st, s), (rt, r));
    if buffered {
        (st, s) = stream_read(
            StdIo(BufReader::new(mem(bytes.to_vec(), &sc))),
            &sc,
            &mut fb,
        );
        let mut rd = BufReader::new(mem(bytes.to_vec(), &rc));
        (rt, r) = raw_read(&mut rd, &rc, frames, &mut fb);
    } else {
        (st, s) = stream_read(StdIo(mem(bytes.to_vec(), &sc)), &sc, &mut fb);
        (rt, r) = raw_read(&mut mem(bytes.to_vec(), &rc), &rc, frames, &mut fb);
    }
    let what = format!(
        "{} read, buffered {buffered}: stream {s:?}, raw {r:?}",
        kind.name
    );
    assert_eq!(st, rt, "{what}: same payload bytes");
    assert_eq!(s.frames.seek, 0, "{what}");
    assert_eq!((s.frames.write, s.frames.other), (0, 0), "{what}");
    // The stream reads each padding just before the next header; the baseline
    // reads the last frame's padding, which the stream never needs.
    let last_pad = u64::from(kind.len_of(frames - 1) % 16 != 0);
    assert_eq!(s.frames.read + last_pad, r.frames.read, "{what}");
    // Opening: the length (seek to the end), back to the start, the header.
    assert_eq!(s.open - r.open, Calls::seeks(2), "{what}");
}

#[test]
fn per_frame_calls_match_plain_std_io_unbuffered() {
    for (kind, frames) in KINDS {
        let bytes = check_write(&kind, frames, false);
        check_read(&kind, frames, &bytes, false);
    }
}

#[test]
fn per_frame_calls_match_plain_std_io_through_bufwriter_and_bufreader() {
    for (kind, frames) in KINDS {
        let bytes = check_write(&kind, frames, true);
        check_read(&kind, frames, &bytes, true);
    }
}

/// Write 5 frames, seek back to 2 and write there, read everything back
/// (a `"w"` stream reads too), and close: the same file whatever the
/// buffering.
fn mixed<S: omv_imageio::Storage>(file: S) -> (S, Vec<u8>) {
    let mut s: FileStream<S, ManualClock> =
        FileStream::create(file, ManualClock::new(0), FileOptions::default()).unwrap();
    for v in 1..=5u8 {
        s.write(&Image::new(3, 1, PixFormat::Grayscale, &[v; 3]))
            .unwrap();
    }
    s.seek(2).unwrap();
    s.write(&Image::new(2, 1, PixFormat::Grayscale, &[7, 7]))
        .unwrap();
    s.seek(0).unwrap();
    let mut fb = [0u8; 4];
    let mut seen = Vec::new();
    while let Some(f) = s.read(&mut fb, ReadOptions::FAST_ONCE).unwrap() {
        seen.extend_from_slice(&fb[..f.payload_len as usize]);
    }
    s.write(&Image::new(1, 1, PixFormat::Grayscale, &[9]))
        .unwrap();
    s.seek(1).unwrap();
    s.read(&mut fb, ReadOptions::FAST_ONCE).unwrap().unwrap();
    seen.push(fb[0]);
    s.close().unwrap();
    (s.into_inner(), seen)
}

#[test]
fn buffered_adapters_lose_nothing_when_reads_writes_seeks_and_cuts_mix() {
    let (plain, seen) = mixed(StdIo(Cursor::new(Vec::new())));
    let plain = plain.0.into_inner();
    assert_eq!(seen, [1, 1, 1, 2, 2, 2, 7, 7, 2]);
    assert_eq!(plain.len(), 16 + 4 * 48);
    let (w, seen_w) = mixed(StdIo(BufWriter::with_capacity(40, Cursor::new(Vec::new()))));
    assert_eq!(seen_w, seen);
    assert_eq!(w.0.into_inner().unwrap().into_inner(), plain, "BufWriter");
    let (r, seen_r) = mixed(StdIo(BufReader::with_capacity(40, Cursor::new(Vec::new()))));
    assert_eq!(seen_r, seen);
    assert_eq!(r.0.into_inner().into_inner(), plain, "BufReader");
}
