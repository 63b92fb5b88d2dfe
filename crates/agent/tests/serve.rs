//! The command loop over an in-memory byte pipe: handshake, steps, events,
//! downloads, uploads, stat, damaged frames.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use omv_agent::{serve, BoardInfo};
use omv_proto::{
    bounded, frame, FrameDecoder, Op, Outcome, PixFormat, ProtoErrorKind, Query, Request,
    RequestBody, Response, ResponseBody, Value, MAX_CHUNK, MAX_FRAME_LEN, PROTOCOL_VERSION,
};

fn wire(reqs: &[Request]) -> Vec<u8> {
    let mut out = vec![];
    let mut buf = [0u8; MAX_FRAME_LEN];
    for r in reqs {
        out.extend_from_slice(frame::encode(r, &mut buf).unwrap());
    }
    out
}

fn responses(bytes: &[u8]) -> Vec<Response> {
    let mut dec = <FrameDecoder>::new();
    bytes
        .iter()
        .filter_map(|&b| dec.push::<Response>(b))
        .map(|r| r.unwrap())
        .collect()
}

fn run(rig: &mut Rig, input: Vec<u8>) -> Vec<Response> {
    let mut ex = rig.exec();
    // Small reads, to exercise frames split across reads.
    let mut pipe = Pipe::chunked(input, 7);
    let info = BoardInfo {
        board: "test",
        firmware: "omv-agent tests",
    };
    serve(&mut pipe, &mut ex, &info).unwrap();
    responses(&pipe.output)
}

fn req(id: u32, body: RequestBody) -> Request {
    Request { id, body }
}

fn step(id: u32, op: Op) -> Request {
    req(id, RequestBody::Run { step: id, op })
}

#[test]
fn a_session_records_and_downloads_a_stream() {
    let mut rig = Rig::new();
    let path = "/sdcard/stream.bin";
    let mut input = wire(&[
        req(
            1,
            RequestBody::Hello {
                protocol: PROTOCOL_VERSION,
            },
        ),
        step(2, sensor(64, 48, PixFormat::Rgb565, 30)),
        step(3, open_file(path, "w")),
        step(4, Op::Record { frames: 3 }),
        step(5, Op::Query(Query::Count)),
        step(6, Op::Close),
        req(7, RequestBody::Events { from: 0 }),
        req(
            8,
            RequestBody::Stat {
                path: bounded(path),
            },
        ),
    ]);
    // Line noise between requests is reported and skipped.
    input.extend_from_slice(&[0x55, 0x13, 0x99, 0x00]);
    input.extend(wire(&[
        req(
            9,
            RequestBody::Download {
                path: bounded(path),
                offset: 0,
                max_len: None,
            },
        ),
        req(
            10,
            RequestBody::Download {
                path: bounded("/sdcard/nope.bin"),
                offset: 0,
                max_len: None,
            },
        ),
        req(11, RequestBody::Reset),
    ]));
    let resp = run(&mut rig, input);
    let by_id = |id: u32| -> Vec<&ResponseBody> {
        resp.iter()
            .filter(|r| r.id == id)
            .map(|r| &r.body)
            .collect()
    };
    let ResponseBody::Hello(h) = by_id(1)[0] else {
        panic!("{resp:?}")
    };
    assert_eq!(h.protocol, PROTOCOL_VERSION);
    assert_eq!(h.board.as_str(), "test");
    assert_eq!(h.frame_buffer as usize, QVGA_565);
    assert!(h.capabilities.has(omv_proto::Capabilities::FILES));
    let ResponseBody::Done {
        step: 5, outcome, ..
    } = by_id(5)[0]
    else {
        panic!()
    };
    assert_eq!(outcome, &Outcome::Ok(Value::Number(3)));
    let ResponseBody::Events(page) = by_id(7)[0] else {
        panic!()
    };
    assert_eq!(page.total, 3);
    assert!(page.events.iter().all(|e| e.step == 4));
    let size = 16 + 3 * (32 + 64 * 48 * 2);
    assert_eq!(by_id(8), [&ResponseBody::FileSize(size)]);
    // The noise: one BadFrame report with id 0.
    let bad = by_id(0);
    assert_eq!(bad.len(), 1);
    assert!(matches!(bad[0], ResponseBody::Error(e) if e.kind == ProtoErrorKind::BadFrame));
    // The download: start, chunks in order, end with the CRC of the bytes.
    let dl = by_id(9);
    assert_eq!(
        dl[0],
        &ResponseBody::DownloadStart {
            file_size: size,
            len: size
        }
    );
    let mut bytes = vec![];
    for b in &dl[1..dl.len() - 1] {
        let ResponseBody::Chunk { offset, data } = b else {
            panic!()
        };
        assert_eq!(*offset as usize, bytes.len());
        assert!(data.len() <= MAX_CHUNK);
        bytes.extend_from_slice(data);
    }
    assert_eq!(
        dl.last().unwrap(),
        &&ResponseBody::DownloadEnd {
            crc32: omv_proto::crc32(&bytes)
        }
    );
    assert_eq!(bytes, rig.file(path));
    assert!(matches!(by_id(10)[0], ResponseBody::Error(e) if e.kind == ProtoErrorKind::File));
    assert_eq!(by_id(11), [&ResponseBody::Ack]);
}

#[test]
fn partial_downloads_and_uploads() {
    let mut rig = Rig::new();
    let path = "/sdcard/up.bin";
    let data: Vec<u8> = (0..=255u8).cycle().take(500).collect();
    let resp = run(
        &mut rig,
        wire(&[
            req(
                1,
                RequestBody::Upload {
                    path: bounded(path),
                    offset: 0,
                    data: heapless::Vec::from_slice(&data[..256]).unwrap(),
                },
            ),
            req(
                2,
                RequestBody::Upload {
                    path: bounded(path),
                    offset: 256,
                    data: heapless::Vec::from_slice(&data[256..]).unwrap(),
                },
            ),
            req(
                3,
                RequestBody::Download {
                    path: bounded(path),
                    offset: 100,
                    max_len: Some(50),
                },
            ),
        ]),
    );
    assert_eq!(resp[0].body, ResponseBody::Ack);
    assert_eq!(resp[1].body, ResponseBody::Ack);
    assert_eq!(
        resp[2].body,
        ResponseBody::DownloadStart {
            file_size: 500,
            len: 50
        }
    );
    let ResponseBody::Chunk { offset, data: got } = &resp[3].body else {
        panic!("{resp:?}")
    };
    assert_eq!(*offset, 100);
    assert_eq!(&got[..], &data[100..150]);
    assert_eq!(rig.file(path), data);
}

#[test]
fn a_truncated_request_does_not_stop_the_loop() {
    let mut rig = Rig::new();
    let mut input = wire(&[step(1, Op::Query(Query::IsClosed))]);
    input.truncate(input.len() - 4); // cut before the end delimiter
    input.extend(wire(&[step(2, Op::Query(Query::IsClosed))]));
    let resp = run(&mut rig, input);
    assert_eq!(resp.len(), 2, "{resp:?}");
    assert!(matches!(&resp[0].body, ResponseBody::Error(e) if e.kind == ProtoErrorKind::BadFrame));
    assert_eq!(resp[1].id, 2);
}

/// The card-timing hook of the test below: knows `class10` with seed 7.
fn class10_only(profile: &str, seed: u64) -> bool {
    profile == "class10" && seed == 7
}

#[test]
fn card_timing_needs_a_hook_and_a_known_profile() {
    let timing = |profile: &str| RequestBody::CardTiming {
        profile: bounded(profile),
        seed: 7,
    };
    let input = wire(&[
        req(
            1,
            RequestBody::Hello {
                protocol: PROTOCOL_VERSION,
            },
        ),
        req(2, timing("class10")),
    ]);
    let info = BoardInfo {
        board: "test",
        firmware: "omv-agent tests",
    };
    // Without a hook (a real card): no capability, the request is refused.
    let mut rig = Rig::new();
    let out = run(&mut rig, input.clone());
    let ResponseBody::Hello(h) = &out[0].body else {
        panic!("{out:?}")
    };
    assert!(!h.capabilities.has(omv_proto::Capabilities::CARD_PROFILE));
    assert!(
        matches!(&out[1].body, ResponseBody::Error(e) if e.kind == ProtoErrorKind::Unsupported),
        "{out:?}"
    );
    // With one: the capability, Ack for a known profile, an error otherwise.
    let mut rig = Rig::new();
    let mut ex = rig.exec();
    ex.enable_card_timing(class10_only);
    let mut pipe = Pipe::chunked([input, wire(&[req(3, timing("turbo"))])].concat(), 7);
    serve(&mut pipe, &mut ex, &info).unwrap();
    let out = responses(&pipe.output);
    let ResponseBody::Hello(h) = &out[0].body else {
        panic!("{out:?}")
    };
    assert!(h.capabilities.has(omv_proto::Capabilities::CARD_PROFILE));
    assert_eq!(out[1].body, ResponseBody::Ack);
    assert!(
        matches!(&out[2].body, ResponseBody::Error(e) if e.kind == ProtoErrorKind::Unsupported
            && e.message.contains("turbo")),
        "{out:?}"
    );
}
