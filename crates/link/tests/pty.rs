//! The host link against the real agent loop (`omv_agent::serve`) in a
//! thread, over a PTY pair, and against fake agents that misbehave:
//! garbage, a wrong version, silence, a vanished port, a damaged chunk.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::thread;
use std::time::{Duration, Instant};

use omv_agent::{serve, BoardInfo, HostRig};
use omv_imageio::{FileOptions, FileStream, ManualClock, ReadOptions, SharedClock, SliceFile};
use omv_link::test_util::{hello, pty_pair, reply, FakeAgent};
use omv_link::{EmbeddedIo, Link, LinkError};
use omv_proto::{
    bounded, EventKind, Op, Outcome, PixFormat, RequestBody, ResponseBody, SensorSettings, Value,
    PROTOCOL_VERSION,
};
use rstest::rstest;
use serialport::{SerialPort, TTYPort};

/// Run the real agent on `port` until the host closes its end.
fn agent(mut port: TTYPort, garbage_first: &'static [u8]) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        use std::io::Write;
        port.write_all(garbage_first).unwrap();
        let mut rig = HostRig::new(16 << 20, 64 * 1024, 1 << 20);
        let mut ex = rig.executor(SharedClock::default());
        let info = BoardInfo {
            board: "pty",
            firmware: "omv-link tests",
        };
        let _ = serve(&mut EmbeddedIo(port), &mut ex, &info);
    })
}

const T: Duration = Duration::from_secs(10);

fn step(link: &mut Link<TTYPort>, i: u32, op: Op) -> Value {
    match link.run(i, &op, T).unwrap().outcome {
        Outcome::Ok(v) => v,
        Outcome::Err(e) => panic!("{op:?}: {e}"),
    }
}

#[test]
fn a_session_over_a_pty_records_and_downloads() {
    let (host, dev) = pty_pair();
    let agent = agent(dev, b"boot banner\r\n\x00\x07garbage");
    let mut link = Link::new(host);
    let hello = link.handshake(T).unwrap();
    assert_eq!(hello.board.as_str(), "pty");
    assert!(!link.damaged().is_empty(), "the banner was seen as garbage");
    let path = "/sdcard/stream.bin";
    step(
        &mut link,
        0,
        Op::Sensor(SensorSettings {
            width: Some(80),
            height: Some(60),
            pixformat: Some(PixFormat::Rgb565),
            fps: Some(30),
            ..Default::default()
        }),
    );
    step(
        &mut link,
        1,
        Op::OpenFile {
            path: bounded(path),
            mode: bounded("w"),
            write_version: None,
        },
    );
    let Value::Record(r) = step(&mut link, 2, Op::Record { frames: 5 }) else {
        panic!()
    };
    assert_eq!(r.frames, 5);
    step(&mut link, 3, Op::Close);
    let trace = link.events().unwrap();
    let crcs: Vec<u32> = trace
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::FrameWritten { crc32, .. } => Some(crc32),
            _ => None,
        })
        .collect();
    assert_eq!(crcs.len(), 5);
    let size = 16 + 5 * (32 + 80 * 60 * 2);
    assert_eq!(link.stat(path).unwrap(), size);
    let mut bytes = link.download(path).unwrap();
    assert_eq!(bytes.len() as u64, size);
    // The downloaded file is a valid stream holding exactly the traced frames.
    let n = bytes.len();
    let mut s: FileStream<_, _> = FileStream::open(
        SliceFile::with_len(&mut bytes, n),
        "r",
        ManualClock::new(0),
        FileOptions::default(),
    )
    .unwrap();
    let mut fb = vec![0; 80 * 60 * 2];
    let mut got = vec![];
    while let Some(i) = s.read(&mut fb, ReadOptions::FAST_ONCE).unwrap() {
        got.push(omv_proto::crc32(&fb[..i.payload_len as usize]));
    }
    assert_eq!(got, crcs);
    // Upload then download round trip (small: host -> agent is the slow way).
    let data: Vec<u8> = (0..600u32).map(|i| (i * 7) as u8).collect();
    link.upload("/sdcard/up.bin", &data).unwrap();
    assert_eq!(link.download("/sdcard/up.bin").unwrap(), data);
    // An agent-side error comes back as a typed error.
    let e = link.download("/sdcard/none.bin").unwrap_err();
    assert!(matches!(e, LinkError::Agent(_)), "{e}");
    link.reset().unwrap();
    drop(link);
    agent.join().unwrap();
}

#[test]
fn a_version_mismatch_is_reported_with_both_versions() {
    let (host, dev) = pty_pair();
    let f = FakeAgent::spawn(dev, |req| vec![reply(req, ResponseBody::Hello(hello(99)))]);
    let mut link = Link::new(host);
    let e = link.handshake(T).unwrap_err();
    assert!(
        matches!(
            e,
            LinkError::VersionMismatch {
                host: omv_proto::PROTOCOL_VERSION,
                agent: 99,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("rebuild the agent firmware"));
    drop(link);
    f.join().unwrap();
}

/// An agent that answers hellos only: the step is a timeout, not a hang,
/// and without a restart report it is not taken for a restart.
#[rstest]
#[case::silence_is_a_timeout_not_a_hang(0, 300)]
#[case::a_silent_step_of_a_live_agent_without_a_report_stays_a_timeout(1, 200)]
fn silent_steps_are_timeouts(#[case] step: u32, #[case] timeout_ms: u64) {
    let (host, dev) = pty_pair();
    let f = FakeAgent::spawn(dev, FakeAgent::hellos_only(hello(PROTOCOL_VERSION)));
    let mut link = Link::new(host);
    link.handshake(T).unwrap();
    let start = Instant::now();
    let e = link
        .run(step, &Op::Sync, Duration::from_millis(timeout_ms))
        .unwrap_err();
    assert!(matches!(e, LinkError::Timeout { .. }), "{e}");
    assert!(start.elapsed() < Duration::from_secs(5));
    drop(link);
    f.join().unwrap();
}

#[test]
fn no_agent_at_all_fails_the_handshake_with_a_hint() {
    let (host, _dev) = pty_pair();
    let mut link = Link::new(host);
    let e = link.handshake(Duration::from_millis(400)).unwrap_err();
    assert!(matches!(e, LinkError::NoAgent { .. }), "{e}");
    assert!(e.to_string().contains("is the agent firmware running"));
}

#[test]
fn a_vanished_port_is_reported() {
    let (host, dev) = pty_pair();
    drop(dev);
    let mut link = Link::new(host);
    let e = link.handshake(Duration::from_secs(2)).unwrap_err();
    assert!(matches!(e, LinkError::PortGone(_)), "{e}");
    assert!(e.to_string().starts_with("serial port gone"));
}

#[test]
fn a_damaged_chunk_makes_the_download_resume() {
    let (host, dev) = pty_pair();
    let file: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let data = file.clone();
    let mut attempts = 0;
    let f = FakeAgent::spawn(dev, move |req| {
        let r = |body| reply(req, body);
        match &req.body {
            RequestBody::Hello { .. } => vec![r(ResponseBody::Hello(hello(PROTOCOL_VERSION)))],
            RequestBody::Download { offset, .. } => {
                attempts += 1;
                let start = *offset as usize;
                let mut out = vec![r(ResponseBody::DownloadStart {
                    file_size: data.len() as u64,
                    len: (data.len() - start) as u64,
                })];
                let mut pos = start;
                while pos < data.len() {
                    let end = (pos + 1024).min(data.len());
                    let mut fr = r(ResponseBody::Chunk {
                        offset: pos as u64,
                        data: heapless::Vec::from_slice(&data[pos..end]).unwrap(),
                    });
                    if attempts == 1 && pos == 1024 {
                        let k = fr.len() / 2;
                        fr[k] = fr[k].wrapping_add(1).max(1); // line noise, no delimiter
                    }
                    out.push(fr);
                    pos = end;
                }
                out.push(r(ResponseBody::DownloadEnd {
                    crc32: omv_proto::crc32(&data[start..]),
                }));
                out
            }
            _ => vec![],
        }
    });
    let mut link = Link::new(host);
    link.handshake(T).unwrap();
    let got = link.download("/sdcard/x.bin").unwrap();
    assert_eq!(got, file);
    assert!(!link.damaged().is_empty());
    drop(link);
    f.join().unwrap();
}

#[test]
fn open_serial_by_path_talks_to_the_agent() {
    let (agent_end, host_end) = pty_pair();
    let path = host_end.name().expect("the PTY has a path");
    let agent = agent(agent_end, b"");
    let mut link = Link::open_serial(&path, 115_200).unwrap();
    assert_eq!(link.handshake(T).unwrap().board.as_str(), "pty");
    drop(link);
    drop(host_end);
    agent.join().unwrap();
}

#[test]
fn open_serial_on_a_missing_port_names_it() {
    let e = Link::open_serial("/dev/does-not-exist-omv", 115_200).unwrap_err();
    assert!(matches!(e, LinkError::Open { .. }), "{e}");
    assert!(e.to_string().contains("/dev/does-not-exist-omv"), "{e}");
}

#[test]
fn a_lost_answer_to_a_repeatable_request_costs_a_resend() {
    let (host, dev) = pty_pair();
    let mut seen = 0;
    let f = FakeAgent::spawn(dev, move |req| match &req.body {
        RequestBody::Hello { .. } => vec![reply(req, ResponseBody::Hello(hello(PROTOCOL_VERSION)))],
        RequestBody::Stat { .. } => {
            seen += 1;
            if seen == 1 {
                // The first answer is lost on the line: a damaged frame.
                let mut fr = reply(req, ResponseBody::FileSize(1));
                let k = fr.len() / 2;
                fr[k] = fr[k].wrapping_add(1).max(1);
                vec![fr]
            } else {
                vec![reply(req, ResponseBody::FileSize(42))]
            }
        }
        _ => vec![],
    });
    let mut link = Link::new(host);
    link.handshake(T).unwrap();
    // The first attempt waits out this timeout; the resend's answer must
    // come within it, from a thread of a possibly loaded host: seconds,
    // not a few hundred milliseconds.
    link.set_timeout(Duration::from_secs(2));
    assert_eq!(link.stat("/sdcard/a.bin").unwrap(), 42);
    assert!(!link.damaged().is_empty());
    drop(link);
    f.join().unwrap();
}
