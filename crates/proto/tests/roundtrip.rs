//! Every message survives encode → frame → decode, and damaged input is
//! reported and resynchronised without panics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use omv_proto::frame::{self, FrameDecoder, FrameError, MAX_FRAME_LEN};
use omv_proto::*;
use proptest::prelude::*;
use rstest::rstest;

fn path(s: &str) -> Path {
    bounded(s)
}

fn frame_summary() -> FrameSummary {
    FrameSummary {
        index: 7,
        width: 320,
        height: 240,
        pixformat: PixFormat::Rgb565,
        elapsed_us: 33_000,
        payload_len: 153_600,
        crc32: 0xDEAD_BEEF,
        t_us: u64::MAX,
    }
}

fn all_ops() -> Vec<Op> {
    let args = ReadArgs::default();
    let mut ops = vec![
        Op::Sensor(SensorSettings::default()),
        Op::Sensor(SensorSettings {
            width: Some(320),
            height: Some(240),
            pixformat: Some(PixFormat::Rgb565),
            fps: Some(30),
            content: Some(Content::MovingBox),
            seed: Some(u64::MAX),
        }),
        Op::OpenFile {
            path: path("/sdcard/stream.bin"),
            mode: bounded("w"),
            write_version: Some(21),
        },
        Op::OpenFile {
            path: path("/sdcard/stream.bin"),
            mode: bounded("r"),
            write_version: None,
        },
        Op::OpenMemory {
            width: 320,
            height: 240,
            pixformat: PixFormat::Grayscale,
            count: 10,
        },
        Op::Write,
        Op::Record { frames: 900 },
        Op::Read(args),
        Op::Read(ReadArgs {
            copy_to_fb: false,
            loop_: false,
            pause: false,
        }),
        Op::Replay { frames: None, args },
        Op::Replay {
            frames: Some(u32::MAX),
            args,
        },
        Op::Seek { offset: 3 },
        Op::Sync,
        Op::Close,
        Op::Snapshot,
        Op::Diff {
            args,
            threshold: 255,
        },
        Op::Sleep { us: u64::MAX },
        Op::Fault(Fault::PowerCut),
        Op::Fault(Fault::WriteLimit { blocks: Some(12) }),
        Op::Fault(Fault::WriteLimit { blocks: None }),
    ];
    ops.extend(Query::ALL.into_iter().map(Op::Query));
    ops.extend(Content::ALL.into_iter().map(|c| {
        Op::Sensor(SensorSettings {
            content: Some(c),
            ..Default::default()
        })
    }));
    ops
}

fn all_outcomes() -> Vec<Outcome> {
    let mut v = vec![
        Outcome::Ok(Value::Unit),
        Outcome::Ok(Value::None),
        Outcome::Ok(Value::Bool(true)),
        Outcome::Ok(Value::Number(u64::MAX)),
        Outcome::Ok(Value::Stream(StreamType::File)),
        Outcome::Ok(Value::Stream(StreamType::Memory)),
        Outcome::Ok(Value::Frame(frame_summary())),
        Outcome::Ok(Value::Record(RecordSummary {
            frames: 900,
            first_index: 0,
            dropped: 3,
            t_start_us: 1,
            t_end_us: 30_000_000,
        })),
        Outcome::Ok(Value::Replay(ReplaySummary {
            frames: 30,
            first_index: Some(0),
            reached_end: true,
            max_lateness_us: 12,
            t_start_us: 0,
            t_end_us: 1_000_000,
        })),
        Outcome::Ok(Value::Diff(DiffSummary {
            frame: frame_summary(),
            snapshot_seq: 12,
            compared: 100,
            changed: 4,
            mean_abs_diff_milli: 1234,
        })),
    ];
    v.extend(ErrorName::ALL.into_iter().map(|name| {
        Outcome::Err(OpError {
            name,
            offset: Some(16),
            message: bounded(&"é".repeat(200)),
        })
    }));
    v
}

fn events() -> Vec<Event> {
    vec![
        Event {
            t_us: u64::MAX,
            step: u32::MAX,
            kind: EventKind::FrameWritten {
                index: u32::MAX,
                seq: u32::MAX,
                captured_us: u64::MAX,
                payload_len: u32::MAX,
                crc32: u32::MAX,
            },
        },
        Event {
            t_us: 5,
            step: 1,
            kind: EventKind::FrameReleased {
                index: u32::MAX,
                scheduled_us: u64::MAX,
                elapsed_us: u64::MAX,
                payload_len: u32::MAX,
                crc32: u32::MAX,
            },
        },
        Event {
            t_us: 6,
            step: 2,
            kind: EventKind::FramesDropped { count: 3, seq: 9 },
        },
        Event {
            t_us: 7,
            step: 3,
            kind: EventKind::StepFailed { index: 4 },
        },
    ]
}

fn all_requests() -> Vec<Request> {
    let mut bodies = vec![
        RequestBody::Hello {
            protocol: PROTOCOL_VERSION,
        },
        RequestBody::Download {
            path: path(&"x".repeat(MAX_PATH)),
            offset: u64::MAX,
            max_len: Some(u64::MAX),
        },
        RequestBody::Download {
            path: path("/sdcard/stream.bin"),
            offset: 0,
            max_len: None,
        },
        RequestBody::Upload {
            path: path("/sdcard/golden.bin"),
            offset: 512,
            data: heapless::Vec::from_slice(&[0u8; MAX_UPLOAD_CHUNK]).unwrap(),
        },
        RequestBody::Stat {
            path: path("/sdcard/a.bin"),
        },
        RequestBody::Events { from: u32::MAX },
        RequestBody::ClearEvents,
        RequestBody::Reset,
        RequestBody::Logs { from: u32::MAX },
        RequestBody::CrashTest {
            kind: CrashKind::StackOverflow,
        },
        RequestBody::CrashTest {
            kind: CrashKind::Panic,
        },
        RequestBody::CrashTest {
            kind: CrashKind::Hang,
        },
    ];
    bodies.extend(
        all_ops()
            .into_iter()
            .enumerate()
            .map(|(i, op)| RequestBody::Run { step: i as u32, op }),
    );
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| Request {
            id: u32::MAX - i as u32,
            body,
        })
        .collect()
}

/// Every kind of reset report, the largest of each.
fn reset_reports() -> Vec<ResetReport> {
    vec![
        ResetReport::Fault(FaultReport {
            pc: Some(u32::MAX),
            lr: Some(u32::MAX),
            xpsr: Some(u32::MAX),
            sp: u32::MAX,
            cfsr: u32::MAX,
            hfsr: u32::MAX,
            mmfar: u32::MAX,
            bfar: u32::MAX,
        }),
        ResetReport::Fault(FaultReport::default()),
        ResetReport::Panic(PanicReport {
            message: bounded(&"é".repeat(MAX_MESSAGE)),
            file: bounded(&"f".repeat(MAX_PANIC_FILE)),
            line: u32::MAX,
        }),
        ResetReport::Watchdog { pc: Some(u32::MAX) },
        ResetReport::Watchdog { pc: None },
    ]
}

fn hello_answer(reset: Option<ResetReport>) -> ResponseBody {
    ResponseBody::Hello(Hello {
        protocol: PROTOCOL_VERSION,
        board: bounded("qemu"),
        firmware: bounded(&"f".repeat(MAX_NAME)),
        capabilities: Capabilities(u32::MAX),
        max_frame: MAX_FRAME_LEN as u32,
        frame_buffer: u32::MAX,
        memory_buffer: u32::MAX,
        event_capacity: u32::MAX,
        chunk: MAX_CHUNK as u32,
        reset,
    })
}

fn all_responses() -> Vec<Response> {
    let mut page = heapless::Vec::new();
    for e in events().into_iter().cycle().take(MAX_EVENTS_PER_PAGE) {
        page.push(e).unwrap();
    }
    let mut lines = heapless::Vec::new();
    while lines.len() < MAX_LOG_LINES_PER_PAGE {
        let line = LogLine {
            t_us: u64::MAX,
            text: bounded(&"ü".repeat(MAX_LOG_LINE)),
        };
        lines.push(line).unwrap();
    }
    let mut bodies = vec![
        hello_answer(None),
        ResponseBody::Logs(LogPage {
            first: u32::MAX,
            total: u32::MAX,
            lines,
        }),
        ResponseBody::Logs(LogPage::default()),
        ResponseBody::DownloadStart {
            file_size: u64::MAX,
            len: u64::MAX,
        },
        ResponseBody::Chunk {
            offset: u64::MAX,
            data: heapless::Vec::from_slice(&[0u8; MAX_CHUNK]).unwrap(),
        },
        ResponseBody::Chunk {
            offset: 0,
            data: heapless::Vec::from_slice(&[0xFFu8; MAX_CHUNK]).unwrap(),
        },
        ResponseBody::DownloadEnd { crc32: u32::MAX },
        ResponseBody::FileSize(u64::MAX),
        ResponseBody::Events(EventPage {
            first: u32::MAX,
            total: u32::MAX,
            lost: u32::MAX,
            events: page,
        }),
        ResponseBody::Ack,
        ResponseBody::Error(ProtoError {
            kind: ProtoErrorKind::BadFrame,
            message: bounded(&"m".repeat(MAX_MESSAGE)),
        }),
        ResponseBody::Error(ProtoError {
            kind: ProtoErrorKind::VersionMismatch,
            message: bounded(""),
        }),
        ResponseBody::Error(ProtoError {
            kind: ProtoErrorKind::File,
            message: bounded("x"),
        }),
        ResponseBody::Error(ProtoError {
            kind: ProtoErrorKind::Unsupported,
            message: bounded("x"),
        }),
    ];
    bodies.extend(
        all_outcomes()
            .into_iter()
            .enumerate()
            .map(|(i, outcome)| ResponseBody::Done {
                step: i as u32,
                outcome,
                t_start_us: u64::MAX,
                t_end_us: u64::MAX,
            }),
    );
    bodies.extend(reset_reports().into_iter().map(|r| hello_answer(Some(r))));
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| Response { id: i as u32, body })
        .collect()
}

/// Encode, then feed the wire bytes one at a time; exactly one message out.
fn roundtrip<T>(msg: &T) -> T
where
    T: serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let mut out = [0u8; MAX_FRAME_LEN];
    let wire = frame::encode(msg, &mut out).unwrap().to_vec();
    assert_eq!(wire.first(), Some(&0));
    assert_eq!(wire.last(), Some(&0));
    assert!(!wire[1..wire.len() - 1].contains(&0));
    let mut dec = FrameDecoder::<{ omv_proto::MAX_ENCODED_LEN }>::new();
    let mut got = Vec::new();
    for &b in &wire {
        if let Some(r) = dec.push::<T>(b) {
            got.push(r.unwrap());
        }
    }
    assert_eq!(got.len(), 1);
    assert_eq!(dec.pending(), 0);
    got.pop().unwrap()
}

#[test]
fn every_request_round_trips() {
    for r in all_requests() {
        assert_eq!(roundtrip(&r), r);
    }
}

#[test]
fn every_response_round_trips() {
    for r in all_responses() {
        assert_eq!(roundtrip(&r), r);
    }
}

#[test]
fn largest_messages_fit_the_frame() {
    // The biggest bodies (full chunk, full event page, longest strings) encode.
    let mut out = [0u8; MAX_FRAME_LEN];
    for r in all_responses() {
        let n = frame::encode(&r, &mut out).unwrap().len();
        assert!(n <= MAX_FRAME_LEN);
    }
}

#[test]
fn reset_reports_read_as_the_harness_prints_them() {
    let fault = ResetReport::Fault(FaultReport {
        pc: Some(0x0000_1234),
        lr: Some(0x0000_0abd),
        xpsr: Some(0x2100_0000),
        sp: 0x2001_ffc0,
        cfsr: (1 << 9) | (1 << 15),
        hfsr: 1 << 30,
        mmfar: 0xdead_0000,
        bfar: 0x1fff_fff0,
    });
    assert_eq!(
        fault.to_string(),
        "firmware fault: HardFault at PC 0x00001234 (LR 0x00000abd, xPSR 0x21000000), \
         SP 0x2001ffc0, CFSR 0x00008200 (PRECISERR BFARVALID), HFSR 0x40000000 (FORCED), \
         BFAR 0x1ffffff0"
    );
    let overflow = ResetReport::Fault(FaultReport {
        sp: 0x1fff_ffe0,
        cfsr: 1 << 12,
        hfsr: 1 << 30,
        ..FaultReport::default()
    });
    let text = overflow.to_string();
    assert!(
        text.starts_with("firmware fault: HardFault at PC unknown (not stacked), SP 0x1fffffe0")
            && text.contains("(STKERR)")
            && text.ends_with("stack overflow?)"),
        "{text}"
    );
    let panic = ResetReport::Panic(PanicReport {
        message: bounded("index out of bounds"),
        file: bounded("crates/agent/src/serve.rs"),
        line: 42,
    });
    assert_eq!(
        panic.to_string(),
        "firmware panic: index out of bounds at crates/agent/src/serve.rs:42"
    );
    assert!(ResetReport::Watchdog { pc: Some(0x100) }
        .to_string()
        .contains("watchdog reset: the agent stopped feeding the watchdog (at PC 0x00000100)"));
}

#[test]
fn names_parse_back() {
    for n in ErrorName::ALL {
        assert_eq!(ErrorName::from_name(n.as_str()), Some(n));
    }
    for q in Query::ALL {
        assert_eq!(Query::from_name(q.name()), Some(q));
    }
    for c in Content::ALL {
        assert_eq!(Content::from_name(c.name()), Some(c));
    }
    for p in PixFormat::ALL {
        assert_eq!(PixFormat::from_name(p.name()), Some(p));
    }
    assert_eq!(StreamType::Memory.name(), "MEMORY_STREAM");
}

/// The wire bytes of the pixel formats and sensor contents, as protocol
/// version 2 has always sent them (omv-proto's own mirror enums, before it
/// used omv-imageio's and omv-pattern's types): postcard writes the variant
/// index, so reordering either enum would change the protocol.
#[test]
fn pixformat_and_content_encode_as_their_variant_index() {
    use PixFormat as P;
    let formats = [
        (P::Binary, 0u8),
        (P::Grayscale, 1),
        (P::Rgb565, 2),
        (P::Argb8, 3),
        (P::BayerBggr, 4),
        (P::BayerGbrg, 5),
        (P::BayerGrbg, 6),
        (P::BayerRggb, 7),
        (P::Yuv422, 8),
        (P::Yvu422, 9),
        (P::Jpeg, 10),
        (P::Png, 11),
    ];
    let contents = [
        (Content::ColorBars, 0u8),
        (Content::Gradient, 1),
        (Content::MovingBox, 2),
        (Content::Noise, 3),
    ];
    let mut buf = [0u8; 8];
    for (p, byte) in formats {
        assert_eq!(postcard::to_slice(&p, &mut buf).unwrap(), [byte], "{p}");
        assert_eq!(postcard::from_bytes::<P>(&[byte]).unwrap(), p);
    }
    for (c, byte) in contents {
        assert_eq!(postcard::to_slice(&c, &mut buf).unwrap(), [byte], "{c:?}");
        assert_eq!(postcard::from_bytes::<Content>(&[byte]).unwrap(), c);
    }
    assert!(postcard::from_bytes::<P>(&[12]).is_err());
    assert!(postcard::from_bytes::<Content>(&[4]).is_err());
}

/// The wire bytes of the stream type, as protocol version 2 has always sent
/// them (omv-proto's own `StreamKind`, before it used omv-imageio's
/// `StreamType`): the variant index, 0 = file, 1 = memory, alone and inside
/// a step's value (`Outcome::Ok` = 0, `Value::Stream` = 4).
#[test]
fn stream_type_encodes_as_its_variant_index() {
    let mut buf = [0u8; 8];
    for (t, byte) in [(StreamType::File, 0u8), (StreamType::Memory, 1)] {
        assert_eq!(postcard::to_slice(&t, &mut buf).unwrap(), [byte], "{t:?}");
        assert_eq!(postcard::from_bytes::<StreamType>(&[byte]).unwrap(), t);
        let outcome = Outcome::Ok(Value::Stream(t));
        assert_eq!(
            postcard::to_slice(&outcome, &mut buf).unwrap(),
            [0, 4, byte]
        );
    }
    assert!(postcard::from_bytes::<StreamType>(&[2]).is_err());
}

#[test]
fn imageio_errors_map_to_stable_names() {
    let e = omv_imageio::Error::at(
        omv_imageio::ErrorKind::InvalidOffset {
            offset: 9,
            count: 3,
        },
        42,
    );
    let o = OpError::from(e);
    assert_eq!(o.name, ErrorName::InvalidOffset);
    assert_eq!(o.offset, Some(42));
    assert_eq!(o.message.as_str(), "invalid stream offset 9 (count 3)");
    assert_eq!(
        o.to_string(),
        "InvalidOffset at byte 42: invalid stream offset 9 (count 3)"
    );
}

fn wire(msg: &Request) -> Vec<u8> {
    let mut out = [0u8; MAX_FRAME_LEN];
    frame::encode(msg, &mut out).unwrap().to_vec()
}

fn feed<const N: usize>(
    dec: &mut FrameDecoder<N>,
    bytes: &[u8],
) -> Vec<Result<Request, FrameError>> {
    bytes.iter().filter_map(|&b| dec.push(b)).collect()
}

fn hello(id: u32) -> Request {
    Request {
        id,
        body: RequestBody::Hello { protocol: 1 },
    }
}

#[rstest]
#[case::noise_without_delimiter(vec![1, 2, 3, 4, 5])]
#[case::noise_with_delimiter(vec![9, 9, 0, 7])]
#[case::single_byte(vec![0xFF])]
fn garbage_before_a_frame_is_reported_and_the_frame_still_decodes(#[case] noise: Vec<u8>) {
    let mut dec = <FrameDecoder>::new();
    let mut bytes = noise.clone();
    bytes.extend(wire(&hello(5)));
    let got = feed(&mut dec, &bytes);
    let oks: Vec<_> = got.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(oks, vec![&hello(5)]);
    let errs = got.iter().filter(|r| r.is_err()).count();
    assert!(errs >= 1, "noise {noise:?} must be reported: {got:?}");
}

#[test]
fn a_flipped_bit_is_a_bad_crc_and_the_next_frame_decodes() {
    let mut dec = <FrameDecoder>::new();
    let mut first = wire(&hello(1));
    // Flip a bit inside the CRC region without making a zero byte.
    let i = first.len() - 3;
    first[i] ^= 0x01;
    if first[i] == 0 {
        first[i] = 0x80;
    }
    let mut bytes = first;
    bytes.extend(wire(&hello(2)));
    let got = feed(&mut dec, &bytes);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        matches!(
            got[0],
            Err(FrameError::BadCrc { .. }) | Err(FrameError::Garbage { .. })
        ),
        "{:?}",
        got[0]
    );
    assert_eq!(got[1], Ok(hello(2)));
}

#[test]
fn a_truncated_frame_is_reported_and_the_next_one_decodes() {
    let mut dec = <FrameDecoder>::new();
    let full = wire(&hello(1));
    // The sender died mid-frame: no closing delimiter; then a new frame.
    let cut = &full[..full.len() / 2];
    let got = feed(&mut dec, cut);
    assert!(got.is_empty());
    assert!(dec.pending() > 0);
    let mut dec2 = dec.clone();
    assert_eq!(
        dec.take_truncated(),
        Some(FrameError::Truncated { len: cut.len() - 1 })
    );
    assert_eq!(dec.take_truncated(), None);
    // Without the timeout, the next frame's leading delimiter ends the cut one.
    let got = feed(&mut dec2, &wire(&hello(2)));
    assert_eq!(got.len(), 2);
    assert!(got[0].is_err());
    assert_eq!(got[1], Ok(hello(2)));
}

#[test]
fn an_overlong_frame_is_reported_once_and_decoding_resumes() {
    let mut dec = FrameDecoder::<16>::new();
    let mut bytes = vec![0u8];
    bytes.extend(std::iter::repeat_n(7u8, 100));
    bytes.push(0);
    bytes.extend(wire(&hello(3)));
    let got = feed(&mut dec, &bytes);
    assert_eq!(got[0], Err(FrameError::Overflow { len: 100 }));
    assert_eq!(got.last(), Some(&Ok(hello(3))));
}

#[test]
fn a_valid_frame_of_another_type_is_a_decode_error() {
    let mut out = [0u8; MAX_FRAME_LEN];
    let w = frame::encode(&0xFFFF_FFFFu32, &mut out).unwrap().to_vec();
    let mut dec = <FrameDecoder>::new();
    let got = feed(&mut dec, &w);
    assert_eq!(got, vec![Err(FrameError::Decode)]);
}

#[test]
fn encode_into_a_small_buffer_fails_cleanly() {
    let mut out = [0u8; 8];
    let r = Response {
        id: 1,
        body: ResponseBody::Chunk {
            offset: 0,
            data: heapless::Vec::from_slice(&[1u8; 64]).unwrap(),
        },
    };
    assert_eq!(frame::encode(&r, &mut out), Err(FrameError::TooLarge));
}

#[test]
fn push_slice_stops_after_a_frame() {
    let mut bytes = wire(&hello(1));
    let first_len = bytes.len();
    bytes.extend(wire(&hello(2)));
    let mut dec = FrameDecoder::<{ omv_proto::MAX_ENCODED_LEN }>::new();
    let (used, r) = dec.push_slice::<Request>(&bytes);
    assert_eq!(used, first_len);
    assert_eq!(r, Some(Ok(hello(1))));
    let (_, r) = dec.push_slice::<Request>(&bytes[used..]);
    assert_eq!(r, Some(Ok(hello(2))));
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let mut dec = FrameDecoder::<256>::new();
        for &b in &bytes {
            let _ = dec.push::<Response>(b);
        }
        let _ = dec.take_truncated();
    }

    #[test]
    fn noise_then_frame_always_recovers(
        noise in proptest::collection::vec(any::<u8>(), 0..300),
        id in any::<u32>(),
    ) {
        let mut dec = <FrameDecoder>::new();
        let mut bytes = noise;
        bytes.extend(wire(&hello(id)));
        let got = feed(&mut dec, &bytes);
        prop_assert_eq!(got.last(), Some(&Ok(hello(id))));
    }

    #[test]
    fn chunks_round_trip(offset in any::<u64>(), data in proptest::collection::vec(any::<u8>(), 0..=MAX_CHUNK)) {
        let r = Response { id: 9, body: ResponseBody::Chunk { offset, data: heapless::Vec::from_slice(&data).unwrap() } };
        prop_assert_eq!(roundtrip(&r), r);
    }

    #[test]
    fn frame_summaries_round_trip(index in any::<u32>(), w in any::<u32>(), h in any::<u32>(),
        e in any::<u64>(), n in any::<u32>(), c in any::<u32>(), t in any::<u64>(), p in 0usize..12) {
        let pix = PixFormat::ALL[p];
        let r = Response { id: 1, body: ResponseBody::Done { step: index, outcome: Outcome::Ok(Value::Frame(FrameSummary {
            index, width: w, height: h, pixformat: pix, elapsed_us: e, payload_len: n, crc32: c, t_us: t })), t_start_us: t, t_end_us: e } };
        prop_assert_eq!(roundtrip(&r), r);
    }
}
