//! Starting corpora from real captures, made rather than committed: streams
//! written by `FileStream`, the format's test vectors, protocol frames of a
//! real session, the golden scenario files.

use std::io::Cursor;
use std::path::Path;

use omv_imageio::{Clock, FileOptions, FileStream, Image, ManualClock, PixFormat, StdIo, Version};
use omv_proto::{
    bounded, frame, Op, PixFormat as Px, Query, Request, RequestBody, SensorSettings,
    MAX_FRAME_LEN, PROTOCOL_VERSION,
};

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn files_in(dir: &Path, ext: &str) -> Vec<Vec<u8>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.retain(|p| p.extension().is_some_and(|x| x == ext));
    paths.sort();
    paths.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

/// A stream of `n` frames written by `FileStream` (V2.0 or V2.1).
fn written(version: Version, formats: &[(u32, u32, PixFormat)]) -> Vec<u8> {
    let opts = FileOptions {
        write_version: version,
        ..FileOptions::default()
    };
    let mut s =
        FileStream::<_, _>::create(StdIo(Cursor::new(Vec::new())), ManualClock::new(0), opts)
            .expect("create");
    for (i, &(w, h, pf)) in formats.iter().enumerate() {
        s.time_mut().advance_us(33_000 + i as u64);
        let n = pf.raw_payload_len(w, h).unwrap_or(100) as usize;
        let px: Vec<u8> = (0..n).map(|b| (b * 7 + i) as u8).collect();
        s.write(&Image::new(w, h, pf, &px)).expect("write");
    }
    let _ = s.time_mut().now_us();
    s.into_inner().0.into_inner()
}

/// Streams: the test vectors and streams written here.
pub fn reader() -> Vec<Vec<u8>> {
    let mut out = files_in(&repo().join("crates/imageio/tests/vectors"), "bin");
    out.push(written(
        Version::V2_0,
        &[(4, 3, PixFormat::Grayscale), (5, 2, PixFormat::Rgb565)],
    ));
    out.push(written(
        Version::V2_1,
        &[(33, 2, PixFormat::Binary), (2, 2, PixFormat::Jpeg)],
    ));
    out.push(written(Version::V2_0, &[(8, 8, PixFormat::BayerBggr); 3]));
    out
}

/// Operation sequences for the writer: writes, seeks back, reads, rewrites.
pub fn writer() -> Vec<Vec<u8>> {
    vec![
        vec![
            0, 3, 0, 9, 3, 40, 0, 1, 1, 1, 2, 0, 0, 7, 1, 0, 2, 0, 2, 0, 2, 0,
        ],
        vec![4, 63, 8, 10, 1, 0, 0, 5, 1, 9, 2, 0],
        (0u8..64).collect(),
    ]
}

fn encode(reqs: &[Request]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; MAX_FRAME_LEN];
    for r in reqs {
        out.extend_from_slice(frame::encode(r, &mut buf).expect("encode"));
    }
    out
}

fn step(id: u32, op: Op) -> Request {
    Request {
        id,
        body: RequestBody::Run { step: id, op },
    }
}

/// A recording session as the harness sends it.
fn session() -> Vec<Request> {
    let path = "/sdcard/fuzz.bin";
    vec![
        Request {
            id: 1,
            body: RequestBody::Hello {
                protocol: PROTOCOL_VERSION,
            },
        },
        step(
            2,
            Op::Sensor(SensorSettings {
                width: Some(16),
                height: Some(12),
                pixformat: Some(Px::Rgb565),
                fps: Some(30),
                ..Default::default()
            }),
        ),
        step(
            3,
            Op::OpenFile {
                path: bounded(path),
                mode: bounded("w"),
                write_version: None,
            },
        ),
        step(4, Op::Record { frames: 2 }),
        step(5, Op::Query(Query::Count)),
        step(6, Op::Close),
        Request {
            id: 7,
            body: RequestBody::Events { from: 0 },
        },
        Request {
            id: 8,
            body: RequestBody::Download {
                path: bounded(path),
                offset: 0,
                max_len: None,
            },
        },
        Request {
            id: 9,
            body: RequestBody::Reset,
        },
    ]
}

/// Encoded frames: a session's requests one by one and all together.
pub fn proto() -> Vec<Vec<u8>> {
    let reqs = session();
    let mut out: Vec<Vec<u8>> = reqs
        .iter()
        .map(|r| encode(std::slice::from_ref(r)))
        .collect();
    out.push(encode(&reqs));
    out
}

/// Byte streams for the serve loop: the session, with line noise.
pub fn serve() -> Vec<Vec<u8>> {
    let whole = encode(&session());
    let mut noisy = vec![0x55, 0x13, 0x99, 0x00];
    noisy.extend_from_slice(&whole);
    vec![whole, noisy]
}

/// The golden scenario files.
pub fn scenario() -> Vec<Vec<u8>> {
    files_in(&repo().join("hil/scenarios"), "toml")
}

/// The seeds of a target by name.
pub fn of(target: &str) -> Vec<Vec<u8>> {
    match target {
        "reader" => reader(),
        "writer" => writer(),
        "proto" => proto(),
        "serve" => serve(),
        "scenario" => scenario(),
        _ => Vec::new(),
    }
}
