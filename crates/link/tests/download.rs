//! `Link::download` is bounded whatever the peer does: a peer that keeps
//! sending empty chunks, one that trickles data slower than the link's
//! rate allows, and one that announces more than the caller can hold.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use omv_link::{Link, LinkError};
use omv_proto::{frame, FrameDecoder, Request, RequestBody, Response, ResponseBody, MAX_FRAME_LEN};

/// A fake agent in memory: answers a download with `DownloadStart` for
/// `len` bytes, then one chunk of `per_chunk` bytes (0: an empty chunk)
/// every `every`, and `DownloadEnd` once all `len` bytes are sent.
struct Trickle {
    len: u64,
    per_chunk: usize,
    every: Duration,
    dec: FrameDecoder,
    pending: Option<(u32, u64)>,
    last: Instant,
    out: VecDeque<u8>,
}

impl Trickle {
    fn new(len: u64, per_chunk: usize, every: Duration) -> Self {
        Trickle {
            len,
            per_chunk,
            every,
            dec: FrameDecoder::new(),
            pending: None,
            last: Instant::now(),
            out: VecDeque::new(),
        }
    }

    fn send(&mut self, r: &Response) {
        let mut buf = [0u8; MAX_FRAME_LEN];
        self.out.extend(frame::encode(r, &mut buf).unwrap().iter());
    }
}

impl Write for Trickle {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        for &b in bytes {
            if let Some(Ok(req)) = self.dec.push::<Request>(b) {
                if let RequestBody::Download { offset, .. } = req.body {
                    self.send(&Response {
                        id: req.id,
                        body: ResponseBody::DownloadStart {
                            file_size: self.len,
                            len: self.len - offset,
                        },
                    });
                    self.pending = Some((req.id, offset));
                    self.last = Instant::now();
                }
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.out.is_empty() {
            if let Some((id, offset)) = self.pending {
                if self.last.elapsed() >= self.every {
                    self.last = Instant::now();
                    let left = (self.len - offset) as usize;
                    if left == 0 && self.per_chunk > 0 {
                        let crc32 = omv_proto::crc32(&vec![7u8; self.len as usize]);
                        self.send(&Response {
                            id,
                            body: ResponseBody::DownloadEnd { crc32 },
                        });
                        self.pending = None;
                        return self.read(buf);
                    }
                    let n = self.per_chunk.min(left);
                    let data = heapless::Vec::from_slice(&vec![7u8; n]).unwrap();
                    self.send(&Response {
                        id,
                        body: ResponseBody::Chunk { offset, data },
                    });
                    self.pending = Some((id, offset + n as u64));
                }
            }
        }
        if self.out.is_empty() {
            // Like a serial port's read timeout: nothing yet.
            std::thread::sleep(Duration::from_millis(2));
            return Err(ErrorKind::TimedOut.into());
        }
        let n = buf.len().min(self.out.len());
        for (d, s) in buf.iter_mut().zip(self.out.drain(..n)) {
            *d = s;
        }
        Ok(n)
    }
}

/// Run `f` on `link` in a thread; a download that never returns fails
/// the test instead of hanging it.
fn bounded<T: Send + 'static>(
    link: Link<Trickle>,
    f: impl FnOnce(Link<Trickle>) -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f(link));
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the download never returned")
}

#[test]
fn empty_chunks_are_not_progress() {
    // An empty chunk every 20 ms, a chunk timeout of 200 ms: before, each
    // empty chunk restarted the wait and the download never ended.
    let mut link = Link::new(Trickle::new(4096, 0, Duration::from_millis(20)));
    link.set_chunk_timeout(Duration::from_millis(200));
    let e = bounded(link, |mut l| l.download("/sdcard/x.bin").unwrap_err());
    let LinkError::Download { reason, .. } = &e else {
        panic!("{e}")
    };
    assert!(reason.contains("no data for"), "{reason}");
    assert!(reason.contains("at 0 of 4096 bytes"), "{reason}");
    assert!(reason.contains("waited in all"), "{reason}");
}

#[test]
fn a_peer_slower_than_the_rate_allows_meets_the_overall_deadline() {
    // 20 000 bytes at an expected 100 kB/s: 0.2 s, times the slack, plus
    // one chunk timeout of 2 s: 2.8 s. The peer sends 64 bytes every 20 ms
    // (3.2 kB/s, 6.25 s for the file): it always makes progress, so only
    // the overall deadline stops it. The chunk timeout is seconds so that
    // a loaded host that leaves this thread unscheduled for a moment is
    // not a stall (a second attempt).
    let mut link = Link::new(Trickle::new(20_000, 64, Duration::from_millis(20)));
    link.set_chunk_timeout(Duration::from_secs(2));
    link.set_rate(100_000);
    let e = bounded(link, |mut l| l.download("/sdcard/x.bin").unwrap_err());
    let msg = e.to_string();
    assert!(
        msg.contains("the overall deadline of 2.8 s passed"),
        "{msg}"
    );
    assert!(
        msg.starts_with("download of /sdcard/x.bin failed: 1 attempt(s) failed in"),
        "{msg}"
    );
}

#[test]
fn an_announced_length_beyond_what_the_caller_holds_fails_at_once() {
    let mut link = Link::new(Trickle::new(u64::MAX / 2, 0, Duration::from_secs(3600)));
    let e = bounded(link, |mut l| l.download("/sdcard/x.bin").unwrap_err());
    assert!(
        e.to_string()
            .contains("more than the 1073741824 bytes this link may hold"),
        "{e}"
    );
    link = Link::new(Trickle::new(2048, 0, Duration::from_secs(3600)));
    link.set_max_download(1024);
    let e = bounded(link, |mut l| l.download("/sdcard/x.bin").unwrap_err());
    assert!(
        e.to_string()
            .contains("announces 2048 bytes from offset 0, more than the 1024"),
        "{e}"
    );
}

#[test]
fn a_steady_peer_completes_and_its_rate_is_measured() {
    let link = Link::new(Trickle::new(8192, 1024, Duration::from_millis(2)));
    assert_eq!(link.rate(), omv_link::client::ASSUMED_RATE);
    let (bytes, rate) = bounded(link, |mut l| {
        let bytes = l.download("/sdcard/x.bin").unwrap();
        (bytes, l.rate())
    });
    assert_eq!(bytes, vec![7u8; 8192]);
    assert_ne!(rate, omv_link::client::ASSUMED_RATE);
    assert!(rate > 0);
}

#[test]
fn a_retried_request_reports_the_time_waited_over_every_attempt() {
    // The fake answers downloads only: a repeatable request goes unanswered.
    let mut link = Link::new(Trickle::new(0, 0, Duration::from_secs(3600)));
    let timeout = Duration::from_millis(100);
    link.set_timeout(timeout);
    let e = bounded(link, |mut l| {
        l.request_retrying(RequestBody::ClearEvents, "clear events")
            .unwrap_err()
    });
    let LinkError::Timeout { what, waited, .. } = &e else {
        panic!("{e}")
    };
    let n = omv_link::client::REQUEST_ATTEMPTS;
    assert_eq!(what, &format!("clear events ({n} attempts)"));
    assert!(*waited >= timeout * n, "{e}");
}
