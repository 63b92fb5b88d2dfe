//! A host that stops reading for a while: the agent's writes time out, the
//! answers of that time are dropped (a download stops), and the loop keeps
//! serving: the next `hello` is answered (issue 10.2).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use embedded_io::ErrorKind;
use omv_agent::{serve_with, BoardInfo, Diag};
use omv_proto::{
    bounded, FrameDecoder, Op, PixFormat, RequestBody, Response, ResponseBody, PROTOCOL_VERSION,
};

/// A link whose host stops reading while the agent has read input bytes
/// `stall.start..stall.end`: writes then time out, the first one after
/// taking `partial` bytes (a frame cut short). Reads give one byte at a
/// time, so the stall covers exactly the requests whose last byte lies in
/// that range.
struct StallingHost {
    pipe: Pipe,
    stall: std::ops::Range<usize>,
    partial: usize,
    timeouts: usize,
}

impl embedded_io::ErrorType for StallingHost {
    type Error = ErrorKind;
}

impl embedded_io::Read for StallingHost {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        let Ok(n) = self.pipe.read(buf);
        Ok(n)
    }
}

impl embedded_io::Write for StallingHost {
    fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        if !self.stall.contains(&self.pipe.pos) {
            let Ok(n) = self.pipe.write(buf);
            return Ok(n);
        }
        if self.partial > 0 {
            let n = self.partial.min(buf.len());
            self.partial = 0;
            let Ok(n) = self.pipe.write(&buf[..n]);
            return Ok(n);
        }
        self.timeouts += 1;
        Err(ErrorKind::TimedOut)
    }
    fn flush(&mut self) -> Result<(), ErrorKind> {
        Ok(())
    }
}

fn hello() -> RequestBody {
    RequestBody::Hello {
        protocol: PROTOCOL_VERSION,
    }
}

#[test]
fn answers_the_next_hello_after_the_host_stopped_reading() {
    let mut rig = Rig::new();
    let path = "/sdcard/stall.bin";
    let run = |op| RequestBody::Run { step: 0, op };
    let (input, ends) = wire(vec![
        hello(),                                    // 1
        run(sensor(64, 48, PixFormat::Rgb565, 30)), // 2
        run(open_file(path, "w")),                  // 3
        run(Op::Record { frames: 2 }),              // 4
        run(Op::Close),                             // 5
        hello(),                                    // 6: stalled
        RequestBody::Download {
            path: bounded(path),
            offset: 0,
            max_len: None,
        }, // 7: stalled
        RequestBody::Stat {
            path: bounded(path),
        }, // 8: stalled
        hello(),                                    // 9
        RequestBody::Logs { from: 0 },              // 10
    ]);
    // The host stops reading once request 6 is in and reads again from
    // request 9 on; the first stalled write gets 5 bytes out.
    let mut link = StallingHost {
        pipe: Pipe::chunked(input, 1),
        stall: ends[5]..ends[8],
        partial: 5,
        timeouts: 0,
    };
    let mut diag = Diag::<16>::new(None);
    let mut ex = rig.exec();
    let info = BoardInfo {
        board: "test",
        firmware: "omv-agent tests",
    };
    serve_with(&mut link, &mut ex, &info, &mut diag).expect("a write timeout is not fatal");
    // 6 (cut short), 7 (its start: the download stops there), 8.
    assert_eq!(link.timeouts, 3);
    let mut dec = <FrameDecoder>::new();
    let mut damaged = 0;
    let mut resp: Vec<Response> = vec![];
    for &b in &link.pipe.output {
        match dec.push::<Response>(b) {
            Some(Ok(r)) => resp.push(r),
            Some(Err(_)) => damaged += 1,
            None => {}
        }
    }
    // The frame cut short is damaged; the host resynchronises after it.
    assert_eq!(damaged, 1);
    let ids: Vec<u32> = resp.iter().map(|r| r.id).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 9, 10], "{resp:?}");
    assert!(matches!(resp[5].body, ResponseBody::Hello(_)), "{resp:?}");
    let ResponseBody::Logs(page) = &resp[6].body else {
        panic!("{resp:?}")
    };
    let drops: Vec<&str> = page
        .lines
        .iter()
        .map(|l| l.text.as_str())
        .filter(|t| t.starts_with("host not reading"))
        .collect();
    assert_eq!(
        drops,
        [
            "host not reading: answer to request 6 dropped",
            &format!("host not reading: download 7 of {path} stopped at byte 0"),
            "host not reading: answer to request 8 dropped",
        ]
    );
}
