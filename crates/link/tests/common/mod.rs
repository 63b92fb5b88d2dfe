//! Shared by the link tests: a PTY pair and fake agents.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::thread;
use std::time::Duration;

use omv_proto::{
    bounded, frame, FrameDecoder, Hello, Request, Response, ResponseBody, MAX_FRAME_LEN,
};
use serialport::{SerialPort, TTYPort};

/// Two ends of a PTY, with 20 ms read timeouts.
pub fn pair() -> (TTYPort, TTYPort) {
    let (mut host, mut dev) = TTYPort::pair().expect("a PTY pair");
    host.set_timeout(Duration::from_millis(20)).unwrap();
    dev.set_timeout(Duration::from_millis(20)).unwrap();
    (host, dev)
}

/// A fake agent: answers each decoded request with `answer(req)` frames.
pub fn fake(
    mut port: TTYPort,
    mut answer: impl FnMut(&Request) -> Vec<Vec<u8>> + Send + 'static,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        use std::io::{Read, Write};
        let mut dec = <FrameDecoder>::new();
        let mut buf = [0u8; 256];
        loop {
            let n = match port.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
                Err(_) => return,
            };
            for &b in &buf[..n] {
                if let Some(Ok(req)) = dec.push::<Request>(b) {
                    for f in answer(&req) {
                        if port.write_all(&f).is_err() {
                            return;
                        }
                    }
                }
            }
        }
    })
}

pub fn enc(r: &Response) -> Vec<u8> {
    let mut buf = [0u8; MAX_FRAME_LEN];
    frame::encode(r, &mut buf).unwrap().to_vec()
}

pub fn hello(protocol: u16) -> ResponseBody {
    ResponseBody::Hello(Hello {
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
    })
}
