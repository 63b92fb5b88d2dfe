//! The agent's serve loop fed arbitrary bytes over an in-memory link, with
//! an in-memory FAT card, the pattern sensor and a manual clock (as
//! `crates/agent/tests/serve.rs` drives it). It must answer and return when
//! the input ends, and everything it sends must be well-formed frames.

use std::sync::OnceLock;

use omv_agent::{serve, BoardInfo, HostRig};
use omv_fatstore::format::format_card;
use omv_imageio::SharedClock;
use omv_proto::{FrameDecoder, Response};

/// Input given up front in reads of at most 7 bytes; output collected.
struct Pipe<'a> {
    input: &'a [u8],
    output: Vec<u8>,
}

impl embedded_io::ErrorType for Pipe<'_> {
    type Error = core::convert::Infallible;
}

impl embedded_io::Read for Pipe<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let n = self.input.len().min(buf.len()).min(7);
        buf[..n].copy_from_slice(&self.input[..n]);
        self.input = &self.input[n..];
        Ok(n)
    }
}

impl embedded_io::Write for Pipe<'_> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A freshly formatted 8 MiB card image, made once.
fn blank_card() -> &'static [u8] {
    static CARD: OnceLock<Vec<u8>> = OnceLock::new();
    CARD.get_or_init(|| format_card(8 << 20).expect("format"))
}

const FRAME: usize = 160 * 120 * 2;

/// The target body.
pub fn run(data: &[u8]) {
    let mut rig = HostRig::with_card_image(blank_card().to_vec(), FRAME, 64 << 10).expect("mount");
    let mut exec = rig.executor_with_events::<_, 256>(SharedClock::default());
    let mut pipe = Pipe {
        input: data,
        output: Vec::new(),
    };
    let info = BoardInfo {
        board: "fuzz",
        firmware: "omv-fuzzcheck",
    };
    serve(&mut pipe, &mut exec, &info).expect("an in-memory link never fails");
    let mut dec = <FrameDecoder>::new();
    for &b in &pipe.output {
        if let Some(r) = dec.push::<Response>(b) {
            r.expect("the agent sends only well-formed responses");
        }
    }
}
