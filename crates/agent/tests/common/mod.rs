//! A mock platform: a shared manual clock, an in-memory FAT card, buffers.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use omv_agent::{Buffers, Executor, FatCard, PatternSensor};
use omv_fatstore::format::{format_card, MemCard};
pub use omv_imageio::SharedClock;
use omv_proto::{
    bounded, frame, Op, Outcome, PixFormat, Request, RequestBody, SensorSettings, Value,
    MAX_FRAME_LEN,
};

pub const QVGA_565: usize = 320 * 240 * 2;

/// What an executor borrows.
pub struct Rig {
    pub card: FatCard<MemCard>,
    pub frame: Vec<u8>,
    pub aux: Vec<u8>,
    pub mem: Vec<u8>,
    pub clock: SharedClock,
}

pub type Exec<'a> = Executor<'a, MemCard, SharedClock, PatternSensor, 4096>;

impl Rig {
    /// A 64 MiB card, QVGA buffers, a 2 MiB memory region.
    pub fn new() -> Self {
        Rig::sized(64 << 20, 2 << 20)
    }

    /// A small rig (8 MiB card, QVGA buffers, 256 KiB memory region).
    pub fn small() -> Self {
        Rig::sized(8 << 20, 256 << 10)
    }

    /// A freshly formatted card of `card_bytes`, QVGA RGB565 frame and aux
    /// buffers, a memory-stream region of `memory_bytes`.
    fn sized(card_bytes: u64, memory_bytes: usize) -> Self {
        Rig {
            card: FatCard::mount(MemCard::new(format_card(card_bytes).unwrap())).unwrap(),
            frame: vec![0; QVGA_565],
            aux: vec![0; QVGA_565],
            mem: vec![0; memory_bytes],
            clock: SharedClock::default(),
        }
    }

    pub fn exec(&mut self) -> Exec<'_> {
        let clock = self.clock.clone();
        let (card, buffers) = self.parts();
        Executor::new(clock, PatternSensor::new(), Some(card), buffers)
    }

    /// The card and the buffers, for an executor built by hand.
    pub fn parts(&mut self) -> (&FatCard<MemCard>, Buffers<'_>) {
        (
            &self.card,
            Buffers {
                frame: &mut self.frame,
                aux: &mut self.aux,
                memory: &mut self.mem,
            },
        )
    }

    /// The bytes of a (closed) file on the card.
    pub fn file(&self, path: &str) -> Vec<u8> {
        let store = self.card.store().unwrap();
        let len = store.file_len(path).unwrap() as usize;
        let mut out = vec![0; len];
        let n = store.read_range(path, 0, &mut out).unwrap();
        out.truncate(n);
        out
    }
}

/// Run a step that must succeed; its value.
pub fn ok(ex: &mut Exec<'_>, op: Op) -> Value {
    match ex.run(0, &op) {
        Outcome::Ok(v) => v,
        Outcome::Err(e) => panic!("{op:?} failed: {e}"),
    }
}

/// Run a step that must fail; the error's name.
pub fn fails(ex: &mut Exec<'_>, op: Op) -> omv_proto::OpError {
    match ex.run(0, &op) {
        Outcome::Ok(v) => panic!("{op:?} should fail, gave {v:?}"),
        Outcome::Err(e) => e,
    }
}

pub fn num(v: Value) -> u64 {
    match v {
        Value::Number(n) => n,
        other => panic!("expected a number, got {other:?}"),
    }
}

pub fn open_file(path: &str, mode: &str) -> Op {
    Op::OpenFile {
        path: bounded(path),
        mode: bounded(mode),
        write_version: None,
    }
}

pub fn sensor(w: u16, h: u16, p: PixFormat, fps: u16) -> Op {
    Op::Sensor(SensorSettings {
        width: Some(w),
        height: Some(h),
        pixformat: Some(p),
        fps: Some(fps),
        ..Default::default()
    })
}

/// Requests `bodies`, numbered from 1, on the wire; and where each one
/// ends.
pub fn wire(bodies: Vec<RequestBody>) -> (Vec<u8>, Vec<usize>) {
    let mut out = vec![];
    let mut ends = vec![];
    let mut buf = [0u8; MAX_FRAME_LEN];
    for (i, body) in bodies.into_iter().enumerate() {
        let r = Request {
            id: i as u32 + 1,
            body,
        };
        out.extend_from_slice(frame::encode(&r, &mut buf).unwrap());
        ends.push(out.len());
    }
    (out, ends)
}

/// An in-memory link: input bytes given up front, output collected. Reads
/// return at most `max_read` bytes, so frames can be split across reads.
pub struct Pipe {
    /// Bytes the agent reads.
    pub input: Vec<u8>,
    /// How many of them it has read.
    pub pos: usize,
    /// Bytes the agent wrote.
    pub output: Vec<u8>,
    /// Most bytes one read returns.
    pub max_read: usize,
}

impl Pipe {
    /// A pipe whose reads return as much as the caller's buffer takes.
    pub fn new(input: Vec<u8>) -> Self {
        Pipe::chunked(input, usize::MAX)
    }

    /// A pipe whose reads return at most `max_read` bytes.
    pub fn chunked(input: Vec<u8>, max_read: usize) -> Self {
        Pipe {
            input,
            pos: 0,
            output: vec![],
            max_read,
        }
    }
}

impl embedded_io::ErrorType for Pipe {
    type Error = core::convert::Infallible;
}

impl embedded_io::Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let n = (self.input.len() - self.pos)
            .min(buf.len())
            .min(self.max_read);
        buf[..n].copy_from_slice(&self.input[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl embedded_io::Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}
