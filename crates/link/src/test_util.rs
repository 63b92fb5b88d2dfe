//! Test doubles for the agent end of a link (cargo feature `test-util`):
//! a PTY pair, a scripted [`FakeAgent`] and the frames it answers with.
//! Used by omv-link's own tests and by the harness's tests of boards that
//! talk to an agent.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{ErrorKind, Read, Write};
use std::ops::ControlFlow;
use std::thread::{self, JoinHandle};

use omv_proto::{
    bounded, frame, FrameDecoder, Hello, Request, Response, ResponseBody, MAX_FRAME_LEN,
};

/// Two ends of a PTY (host, device), each with a 20 ms read timeout, so
/// that a reader notices the other end closing.
#[cfg(unix)]
pub fn pty_pair() -> (serialport::TTYPort, serialport::TTYPort) {
    use serialport::SerialPort;
    let (mut host, mut dev) = serialport::TTYPort::pair().expect("a PTY pair");
    let t = std::time::Duration::from_millis(20);
    host.set_timeout(t).expect("a PTY read timeout");
    dev.set_timeout(t).expect("a PTY read timeout");
    (host, dev)
}

/// `r` as one frame on the wire.
pub fn encode(r: &Response) -> Vec<u8> {
    let mut buf = [0u8; MAX_FRAME_LEN];
    frame::encode(r, &mut buf)
        .expect("a response fits a frame")
        .to_vec()
}

/// The frame that answers `req` with `body`.
pub fn reply(req: &Request, body: ResponseBody) -> Vec<u8> {
    encode(&Response { id: req.id, body })
}

/// A fake agent's hello: protocol `protocol`, board and firmware "fake",
/// frames of `MAX_FRAME_LEN`, 1 KiB download chunks, no buffers, no
/// capabilities and no reset report. Change fields with `..hello(v)`.
pub fn hello(protocol: u16) -> Hello {
    Hello {
        protocol,
        board: bounded("fake"),
        firmware: bounded("fake"),
        capabilities: Default::default(),
        max_frame: MAX_FRAME_LEN as u32,
        frame_buffer: 0,
        memory_buffer: 0,
        event_capacity: 0,
        chunk: 1024,
        reset: None,
    }
}

/// A fake agent in a thread: it decodes the requests that arrive on its
/// port and writes the frames its script gives for each. It stops when
/// the port closes or fails, or when the script says so.
pub struct FakeAgent {
    thread: JoinHandle<()>,
}

impl FakeAgent {
    /// Serve `port`, answering each request with the frames `answer`
    /// returns (none: silence).
    pub fn spawn<P>(
        port: P,
        mut answer: impl FnMut(&Request) -> Vec<Vec<u8>> + Send + 'static,
    ) -> Self
    where
        P: Read + Write + Send + 'static,
    {
        Self::spawn_until(port, move |req| ControlFlow::Continue(answer(req)))
    }

    /// As [`spawn`](Self::spawn), but `answer` may end the agent instead
    /// (`ControlFlow::Break`): the thread returns and drops its port, as a
    /// device that vanishes mid-request.
    pub fn spawn_until<P>(
        mut port: P,
        mut answer: impl FnMut(&Request) -> ControlFlow<(), Vec<Vec<u8>>> + Send + 'static,
    ) -> Self
    where
        P: Read + Write + Send + 'static,
    {
        let thread = thread::spawn(move || {
            let mut dec = <FrameDecoder>::new();
            let mut buf = [0u8; 256];
            loop {
                let n = match port.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => n,
                    Err(e) if e.kind() == ErrorKind::TimedOut => continue,
                    Err(_) => return,
                };
                for &b in &buf[..n] {
                    let Some(Ok(req)) = dec.push::<Request>(b) else {
                        continue;
                    };
                    let ControlFlow::Continue(frames) = answer(&req) else {
                        return;
                    };
                    for f in frames {
                        if port.write_all(&f).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        FakeAgent { thread }
    }

    /// A script that answers every hello with `hello` and nothing else.
    pub fn hellos_only(hello: Hello) -> impl FnMut(&Request) -> Vec<Vec<u8>> + Send + 'static {
        move |req| match req.body {
            omv_proto::RequestBody::Hello { .. } => {
                vec![reply(req, ResponseBody::Hello(hello.clone()))]
            }
            _ => vec![],
        }
    }

    /// Wait for the agent to stop (its port closed); `Err` if its script
    /// panicked.
    pub fn join(self) -> thread::Result<()> {
        self.thread.join()
    }
}
