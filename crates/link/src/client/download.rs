//! [`Link::download`]: a whole file in chunks, resumed after a damaged or
//! lost chunk, and bounded three ways: the length the caller can hold, a
//! stall timeout that empty chunks do not reset, and an overall deadline
//! from the size and the link's measured rate.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use omv_proto::{bounded, RequestBody, ResponseBody};

use super::{unexpected, Link, ASSUMED_RATE, DOWNLOAD_ATTEMPTS, RATE_MIN_BYTES, RATE_SLACK};
use crate::error::LinkError;

impl<P: Read + Write> Link<P> {
    /// Change how long a download may go without a chunk that carries data
    /// (default [`CHUNK_TIMEOUT`](crate::client::CHUNK_TIMEOUT)).
    pub fn set_chunk_timeout(&mut self, timeout: Duration) {
        self.chunk_timeout = timeout;
    }

    /// The largest download the caller can hold (default
    /// [`DEFAULT_MAX_DOWNLOAD`](crate::client::DEFAULT_MAX_DOWNLOAD)); a longer announced length fails at once.
    pub fn set_max_download(&mut self, bytes: u64) {
        self.max_download = bytes;
    }

    /// The link's rate in bytes per second: the slowest of the downloads of
    /// at least 4 KiB so far (or what [`set_rate`](Self::set_rate) gave),
    /// else [`ASSUMED_RATE`].
    pub fn rate(&self) -> u64 {
        self.rate.unwrap_or(ASSUMED_RATE)
    }

    /// Set the rate downloads are expected to reach (e.g. from the port's
    /// baud rate); later downloads can only lower it.
    pub fn set_rate(&mut self, bytes_per_s: u64) {
        self.rate = Some(bytes_per_s.max(1));
    }

    /// The overall deadline of a download of `len` bytes starting `from`.
    fn download_deadline(&self, from: Instant, len: u64) -> Instant {
        let secs = len as f64 / self.rate() as f64 * f64::from(RATE_SLACK);
        from + self.chunk_timeout + Duration::from_secs_f64(secs.min(1e9))
    }

    /// Download a whole file. Chunks are checked for order and the total
    /// CRC; a lost or damaged chunk makes the next attempt resume after
    /// the last good byte. Bounded three ways: an announced length above
    /// [`set_max_download`](Self::set_max_download) (or one that cannot be
    /// allocated) fails at once; an attempt with no data for the chunk
    /// timeout is retried (empty chunks are not progress); and every attempt
    /// together must end by an overall deadline from the size and the
    /// link's [`rate`](Self::rate). Errors say how long was waited in all.
    pub fn download(&mut self, path: &str) -> Result<Vec<u8>, LinkError> {
        let mut out = Vec::new();
        let mut budget = Budget {
            started: Instant::now(),
            deadline: None,
        };
        let mut last_reason = String::new();
        let mut attempts = 0;
        while attempts < DOWNLOAD_ATTEMPTS {
            attempts += 1;
            match self.download_from(path, &mut out, &mut budget) {
                Ok(()) => {
                    let secs = budget.started.elapsed().as_secs_f64();
                    if out.len() >= RATE_MIN_BYTES && secs > 0.0 {
                        // The slowest rate seen: a deadline from a fast
                        // run must not fail the same link on a busy host.
                        let measured = ((out.len() as f64 / secs) as u64).max(1);
                        self.rate = Some(self.rate.map_or(measured, |r| r.min(measured)));
                    }
                    return Ok(out);
                }
                Err(Attempt::Fatal(e)) => return Err(e),
                Err(Attempt::Retry(reason)) => last_reason = reason,
                Err(Attempt::OutOfTime(reason)) => {
                    last_reason = reason;
                    break;
                }
            }
        }
        Err(LinkError::Download {
            path: path.to_owned(),
            reason: format!(
                "{attempts} attempt(s) failed in {:.1} s waited in all; last: {last_reason}",
                budget.started.elapsed().as_secs_f64()
            ),
        })
    }

    /// One download attempt from `out.len()`; appends good chunks to `out`.
    fn download_from(
        &mut self,
        path: &str,
        out: &mut Vec<u8>,
        budget: &mut Budget,
    ) -> Result<(), Attempt> {
        let start = out.len() as u64;
        let id = self
            .send(RequestBody::Download {
                path: bounded(path),
                offset: start,
                max_len: None,
            })
            .map_err(Attempt::Fatal)?;
        let what = format!("download of {path}");
        let chunk_timeout = self.chunk_timeout;
        // Until the next chunk with data, and never past the overall deadline.
        let wait = |link: &mut Self, since: Instant, budget: &Budget| {
            let stall = since + chunk_timeout;
            let until = budget.deadline.map_or(stall, |d| d.min(stall));
            link.wait_for(id, until, &what)
        };
        let (file_size, len) = match wait(self, Instant::now(), budget) {
            Ok(ResponseBody::DownloadStart { file_size, len }) => (file_size, len),
            Ok(other) => return Err(Attempt::Fatal(unexpected(&what, &other))),
            Err(LinkError::Timeout { .. }) => return Err(budget.timed_out("no answer".into())),
            Err(e) => return Err(Attempt::Fatal(e)),
        };
        let too_big = |reason: String| {
            Attempt::Fatal(LinkError::Download {
                path: path.to_owned(),
                reason,
            })
        };
        if start.saturating_add(len) > self.max_download {
            return Err(too_big(format!(
                "the agent announces {len} bytes from offset {start}, more than the {} bytes this link may hold",
                self.max_download
            )));
        }
        let room = usize::try_from(len)
            .map_err(|_| too_big(format!("{len} bytes do not fit in memory")))?;
        out.try_reserve(room)
            .map_err(|e| too_big(format!("cannot hold {len} more bytes: {e}")))?;
        if budget.deadline.is_none() {
            budget.deadline = Some(self.download_deadline(budget.started, file_size.max(len)));
        }
        let end = start.saturating_add(len);
        // CRC of this attempt's bytes.
        let mut digest = omv_proto::CRC32.digest();
        let mut progress = Instant::now();
        loop {
            match wait(self, progress, budget) {
                Ok(ResponseBody::Chunk { offset, data }) => {
                    if offset != out.len() as u64 {
                        return Err(Attempt::Retry(format!(
                            "chunk at {offset}, expected {}",
                            out.len()
                        )));
                    }
                    if offset.saturating_add(data.len() as u64) > end {
                        return Err(Attempt::Fatal(LinkError::Download {
                            path: path.to_owned(),
                            reason: format!("chunk past the announced end {end}"),
                        }));
                    }
                    if !data.is_empty() {
                        progress = Instant::now();
                    }
                    digest.update(&data);
                    out.extend_from_slice(&data);
                }
                Ok(ResponseBody::DownloadEnd { crc32 }) => {
                    let got = digest.finalize();
                    if out.len() as u64 != end || out.len() as u64 != file_size {
                        return Err(Attempt::Retry(format!(
                            "ended at {} of {file_size} bytes",
                            out.len()
                        )));
                    }
                    if got != crc32 {
                        // Every chunk decoded with a good frame CRC, so this
                        // means a logic error: start over.
                        out.clear();
                        return Err(Attempt::Retry(format!(
                            "CRC 0x{got:08X}, agent says 0x{crc32:08X}"
                        )));
                    }
                    return Ok(());
                }
                Ok(other) => return Err(Attempt::Fatal(unexpected(&what, &other))),
                Err(LinkError::Timeout { .. }) => {
                    return Err(budget.timed_out(format!(
                        "no data for {:.1} s at {} of {file_size} bytes",
                        progress.elapsed().as_secs_f64(),
                        out.len()
                    )))
                }
                Err(e) => return Err(Attempt::Fatal(e)),
            }
        }
    }
}

enum Attempt {
    /// Worth another attempt.
    Retry(String),
    /// The overall deadline has passed: no more attempts.
    OutOfTime(String),
    Fatal(LinkError),
}

/// The time a download may take, over all its attempts.
struct Budget {
    started: Instant,
    /// Set once the first `DownloadStart` gives the size.
    deadline: Option<Instant>,
}

impl Budget {
    /// A wait ended without an answer: retry, unless the overall deadline
    /// is what ended it.
    fn timed_out(&self, reason: String) -> Attempt {
        match self.deadline {
            Some(d) if Instant::now() >= d => Attempt::OutOfTime(format!(
                "{reason}; the overall deadline of {:.1} s passed",
                d.duration_since(self.started).as_secs_f64()
            )),
            _ => Attempt::Retry(reason),
        }
    }
}
