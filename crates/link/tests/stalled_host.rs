//! The real agent loop on a PTY whose host stops reading in the middle of
//! a download: the agent's writes time out, and it keeps serving; the host
//! reads again, and the next handshake and download work (issue 10.2).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use omv_agent::{serve_with, BoardInfo, Diag, HostRig};
use omv_imageio::ManualClock;
use omv_link::test_util::pty_pair;
use omv_link::{EmbeddedIo, Link};
use omv_proto::{
    bounded, frame, Op, Outcome, PixFormat, Request, RequestBody, SensorSettings, MAX_FRAME_LEN,
};
use serialport::TTYPort;

/// The agent's port, counting the writes that timed out.
struct Counted {
    port: TTYPort,
    timeouts: Arc<AtomicUsize>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.port.read(buf)
    }
}

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = self.port.write(buf);
        if matches!(&r, Err(e) if e.kind() == std::io::ErrorKind::TimedOut) {
            self.timeouts.fetch_add(1, Ordering::SeqCst);
        }
        r
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.port.flush()
    }
}

const PATH: &str = "/sdcard/big.bin";
/// 10 frames of 160×120 RGB565: 384 KB, far more than a PTY buffers.
const SIZE: u64 = 16 + 10 * (32 + 160 * 120 * 2);

/// The agent, with `PATH` recorded before it starts serving.
fn agent(port: Counted) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut rig = HostRig::new(16 << 20, 64 * 1024, 1 << 20);
        let mut ex = rig.executor(ManualClock::new(0));
        let steps = [
            Op::Sensor(SensorSettings {
                width: Some(160),
                height: Some(120),
                pixformat: Some(PixFormat::Rgb565),
                fps: Some(30),
                ..Default::default()
            }),
            Op::OpenFile {
                path: bounded(PATH),
                mode: bounded("w"),
                write_version: None,
            },
            Op::Record { frames: 10 },
            Op::Close,
        ];
        for op in &steps {
            assert!(matches!(ex.run(0, op), Outcome::Ok(_)), "{op:?}");
        }
        let info = BoardInfo {
            board: "pty",
            firmware: "omv-link tests",
        };
        let mut diag = Diag::<32>::new(None);
        serve_with(&mut EmbeddedIo(port), &mut ex, &info, &mut diag)
            .expect("a host that stops reading does not end the loop");
    })
}

#[test]
fn the_agent_serves_on_after_the_host_stopped_reading_a_download() {
    let (mut host, dev) = pty_pair();
    let timeouts = Arc::new(AtomicUsize::new(0));
    let agent = agent(Counted {
        port: dev,
        timeouts: timeouts.clone(),
    });
    // Ask for the whole file, then read nothing.
    let mut buf = [0u8; MAX_FRAME_LEN];
    let ask = Request {
        id: 77,
        body: RequestBody::Download {
            path: bounded(PATH),
            offset: 0,
            max_len: None,
        },
    };
    host.write_all(frame::encode(&ask, &mut buf).unwrap())
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while timeouts.load(Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "the agent never found the PTY full"
        );
        thread::sleep(Duration::from_millis(10));
    }
    assert!(!agent.is_finished(), "the agent stopped serving");
    // The host reads again: stale chunks are skipped, the agent answers.
    let mut link = Link::new(host);
    let hello = link.handshake(Duration::from_secs(10)).unwrap();
    assert_eq!(hello.board.as_str(), "pty");
    let bytes = link.download(PATH).unwrap();
    assert_eq!(bytes.len() as u64, SIZE);
    let (lines, _) = link.logs(0).unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.text.as_str().starts_with("host not reading: download 77")),
        "{lines:?}"
    );
    drop(link);
    agent.join().unwrap();
}
