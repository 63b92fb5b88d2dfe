//! [`Link`]: requests and responses over a byte port, with a deadline on
//! every wait.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use omv_proto::{
    bounded, frame, CrashKind, Event, FrameDecoder, FrameError, Hello, LogLine, Op, Outcome,
    Request, RequestBody, Response, ResponseBody, MAX_FRAME_LEN, MAX_UPLOAD_CHUNK,
    PROTOCOL_VERSION,
};

use crate::error::LinkError;

mod download;

/// Default deadline of a request that does no stream work.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Deadline between two chunks of a download that carry data (an empty
/// chunk is not progress).
pub const CHUNK_TIMEOUT: Duration = Duration::from_secs(5);
/// The link rate assumed for a download's overall deadline until one has
/// been measured: a 115200-baud 8N1 UART carries 11 520 B/s, less framing
/// (COBS, CRC, headers) — the slowest line the boards use.
pub const ASSUMED_RATE: u64 = 10_000;
/// The overall deadline of a download allows this many times the time its
/// size takes at the link's rate (plus one [`CHUNK_TIMEOUT`]): a busy host
/// or card slows a link down, a peer that never finishes is still caught.
pub const RATE_SLACK: u32 = 4;
/// The largest download accepted unless [`Link::set_max_download`] says
/// otherwise: the whole file is held in memory.
pub const DEFAULT_MAX_DOWNLOAD: u64 = 1 << 30;
/// Downloads shorter than this do not update the measured rate (their time
/// is mostly round-trip latency).
const RATE_MIN_BYTES: usize = 4096;
/// Download attempts (each resumes where the last valid chunk ended).
pub const DOWNLOAD_ATTEMPTS: u32 = 4;
/// Attempts of a request that may be repeated.
pub const REQUEST_ATTEMPTS: u32 = 3;
/// Damaged frames kept for diagnostics.
const DAMAGED_KEPT: usize = 64;
/// After a step got no answer: how long a handshake may take to find out
/// whether the agent restarted (and why).
pub const RESTART_PROBE: Duration = Duration::from_secs(2);
/// Deadline of each page of a log fetch: a request's usual deadline. The
/// harness fetches the log after a failed step, where the tail is what
/// explains it, and a page is a few hundred bytes, so a shorter deadline
/// would only lose that tail on a loaded host; it costs its full length
/// only when the agent no longer answers at all.
pub const LOG_TIMEOUT: Duration = DEFAULT_TIMEOUT;

/// One step's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepResult {
    /// What the step returned.
    pub outcome: Outcome,
    /// Board time when it started (µs).
    pub t_start_us: u64,
    /// Board time when it ended (µs).
    pub t_end_us: u64,
}

/// All trace events fetched from the agent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trace {
    /// The events, oldest first.
    pub events: Vec<Event>,
    /// Events the agent dropped because its buffer was full.
    pub lost: u32,
}

/// The host end of the protocol over a port `P`.
///
/// `P`'s reads must return within a short time when no data comes (a
/// serial port with a read timeout: `TimedOut`/`WouldBlock` errors are
/// treated as "nothing yet"), so that every wait has a deadline.
#[derive(Debug)]
pub struct Link<P> {
    port: P,
    dec: FrameDecoder,
    rx: VecDeque<u8>,
    next_id: u32,
    timeout: Duration,
    damaged: Vec<FrameError>,
    agent_reports: Vec<String>,
    stale: usize,
    hello: Option<Hello>,
    chunk_timeout: Duration,
    max_download: u64,
    /// Bytes per second of the last download long enough to measure.
    rate: Option<u64>,
}

impl Link<Box<dyn serialport::SerialPort>> {
    /// Open a serial port (`/dev/ttyACM0`, a QEMU PTY) at `baud`, with a
    /// 20 ms read timeout, exclusively (a second opener of the same port
    /// fails instead of stealing bytes).
    pub fn open_serial(path: &str, baud: u32) -> Result<Self, LinkError> {
        let port = serialport::new(path, baud)
            .timeout(Duration::from_millis(20))
            .open()
            .map_err(|source| LinkError::Open {
                path: path.to_owned(),
                source,
            })?;
        Ok(Link::new(port))
    }
}

impl<P: Read + Write> Link<P> {
    /// A link over `port`; call [`handshake`](Self::handshake) next.
    pub fn new(port: P) -> Self {
        Link {
            port,
            dec: FrameDecoder::new(),
            rx: VecDeque::new(),
            next_id: 1,
            timeout: DEFAULT_TIMEOUT,
            damaged: Vec::new(),
            agent_reports: Vec::new(),
            stale: 0,
            hello: None,
            chunk_timeout: CHUNK_TIMEOUT,
            max_download: DEFAULT_MAX_DOWNLOAD,
            rate: None,
        }
    }

    /// Change the deadline of ordinary requests (not of steps: [`run`](Self::run) takes its own).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The agent's handshake answer, once [`handshake`](Self::handshake) succeeded.
    pub fn hello(&self) -> Option<&Hello> {
        self.hello.as_ref()
    }

    /// Damaged frames received so far (garbage, bad CRC, truncated), for diagnostics.
    pub fn damaged(&self) -> &[FrameError] {
        &self.damaged
    }

    /// The agent's reports of damaged frames it received from us.
    pub fn agent_reports(&self) -> &[String] {
        &self.agent_reports
    }

    /// Answers received for requests no longer waited for (skipped).
    pub fn stale(&self) -> usize {
        self.stale
    }

    /// The port.
    pub fn port_mut(&mut self) -> &mut P {
        &mut self.port
    }

    /// Say hello within `wait`, resending every half second (an agent that
    /// is still booting, or garbage on the line, costs a resend, not a
    /// failure). The answer to any of those hellos will do: an agent gives
    /// its reset report in the first hello it answers after a restart, so
    /// an answer that comes after the resend is the one with the report.
    /// Checks the protocol version.
    pub fn handshake(&mut self, wait: Duration) -> Result<Hello, LinkError> {
        let deadline = Instant::now() + wait;
        let mut sent = Vec::new();
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(LinkError::NoAgent { waited: wait });
            }
            sent.push(self.send(RequestBody::Hello {
                protocol: PROTOCOL_VERSION,
            })?);
            let attempt = (now + Duration::from_millis(500)).min(deadline);
            // An unasked hello (a restarted agent) is not fatal here: the
            // asked one carries the same report.
            match self.wait_inner(&sent, attempt, "hello", false) {
                Ok(ResponseBody::Hello(h)) => {
                    if h.protocol != PROTOCOL_VERSION {
                        return Err(LinkError::VersionMismatch {
                            host: PROTOCOL_VERSION,
                            agent: h.protocol,
                            board: h.board.to_string(),
                        });
                    }
                    self.hello = Some(h.clone());
                    return Ok(h);
                }
                Ok(other) => return Err(unexpected("hello", &other)),
                Err(LinkError::Timeout { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Run one step, waiting at most `timeout` for its answer (a step may
    /// take long: `record 900` at 30 fps is 30 s of board time). An agent
    /// that restarts meanwhile (fault, panic, watchdog) is
    /// [`LinkError::AgentRestarted`] with its report: announced by the
    /// agent as it boots, or found by a handshake after the deadline.
    pub fn run(&mut self, step: u32, op: &Op, timeout: Duration) -> Result<StepResult, LinkError> {
        let id = self.send(RequestBody::Run {
            step,
            op: op.clone(),
        })?;
        let what = format!("step {step} ({op:?})");
        match self.wait_explained(id, Instant::now() + timeout, &what)? {
            ResponseBody::Done {
                outcome,
                t_start_us,
                t_end_us,
                ..
            } => Ok(StepResult {
                outcome,
                t_start_us,
                t_end_us,
            }),
            other => Err(unexpected(&what, &other)),
        }
    }

    /// Ask a test firmware to crash (`kind`); the expected result is
    /// [`LinkError::AgentRestarted`] within `timeout`. Any answer is an
    /// error too (`Agent(Unsupported)` from a firmware without the feature).
    pub fn crash_test(&mut self, kind: CrashKind, timeout: Duration) -> Result<(), LinkError> {
        let id = self.send(RequestBody::CrashTest { kind })?;
        let what = format!("crash test {kind:?}");
        let got = self.wait_explained(id, Instant::now() + timeout, &what)?;
        Err(unexpected(&what, &got))
    }

    /// Fetch the agent's log lines from index `from` on (several pages);
    /// returns them and the index after the last.
    pub fn logs(&mut self, from: u32) -> Result<(Vec<LogLine>, u32), LinkError> {
        let mut lines = Vec::new();
        let mut next = from;
        loop {
            let id = self.send(RequestBody::Logs { from: next })?;
            let page = match self.wait_for(id, Instant::now() + LOG_TIMEOUT, "logs")? {
                ResponseBody::Logs(p) => p,
                other => return Err(unexpected("logs", &other)),
            };
            let n = u32::try_from(page.lines.len()).unwrap_or(u32::MAX);
            lines.extend(page.lines);
            next = page.first.saturating_add(n);
            if n == 0 || next >= page.total {
                return Ok((lines, next));
            }
        }
    }

    /// Wait for the answer to `id`; if none comes by `deadline`, shake
    /// hands again ([`RESTART_PROBE`]): an agent that restarted says why
    /// in its hello, and that is the error instead of the timeout.
    fn wait_explained(
        &mut self,
        id: u32,
        deadline: Instant,
        what: &str,
    ) -> Result<ResponseBody, LinkError> {
        let timeout = match self.wait_for(id, deadline, what) {
            Err(e @ LinkError::Timeout { .. }) => e,
            other => return other,
        };
        match self.handshake(RESTART_PROBE) {
            Ok(Hello {
                reset: Some(report),
                ..
            }) => Err(LinkError::AgentRestarted {
                report: Box::new(report),
                during: what.to_owned(),
            }),
            // Alive and no report (a lost answer), or silent (hung, or
            // a restart without a record): the timeout is the news.
            _ => Err(timeout),
        }
    }

    /// Fetch every kept trace event (several pages).
    pub fn events(&mut self) -> Result<Trace, LinkError> {
        let mut trace = Trace::default();
        let mut from = 0u32;
        loop {
            let page = match self.request_retrying(RequestBody::Events { from }, "events")? {
                ResponseBody::Events(p) => p,
                other => return Err(unexpected("events", &other)),
            };
            trace.lost = page.lost;
            let n = u32::try_from(page.events.len()).unwrap_or(u32::MAX);
            trace.events.extend(page.events.iter().copied());
            from = page.first.saturating_add(n);
            if n == 0 || from >= page.total {
                return Ok(trace);
            }
        }
    }

    /// Forget the agent's trace.
    pub fn clear_events(&mut self) -> Result<(), LinkError> {
        self.ack(RequestBody::ClearEvents, "clear events")
    }

    /// Reset the agent between scenarios (close streams, clear the trace,
    /// default sensor; files stay).
    pub fn reset(&mut self) -> Result<(), LinkError> {
        self.ack(RequestBody::Reset, "reset")
    }

    /// Time the agent's card by `profile` (an `omv-sdtiming` name) seeded
    /// with `seed`; agents with `Capabilities::CARD_PROFILE` accept it.
    pub fn card_timing(&mut self, profile: &str, seed: u64) -> Result<(), LinkError> {
        self.ack(
            RequestBody::CardTiming {
                profile: bounded(profile),
                seed,
            },
            "card timing",
        )
    }

    /// The size of a file on the agent's card.
    pub fn stat(&mut self, path: &str) -> Result<u64, LinkError> {
        match self.request_retrying(
            RequestBody::Stat {
                path: bounded(path),
            },
            "stat",
        )? {
            ResponseBody::FileSize(n) => Ok(n),
            other => Err(unexpected("stat", &other)),
        }
    }

    /// Write a file on the agent's card in small chunks (slow on QEMU:
    /// about 10 KB/s towards the agent).
    pub fn upload(&mut self, path: &str, data: &[u8]) -> Result<(), LinkError> {
        let mut offset = 0u64;
        let mut chunks = data.chunks(MAX_UPLOAD_CHUNK).peekable();
        if chunks.peek().is_none() {
            return self.ack(
                RequestBody::Upload {
                    path: bounded(path),
                    offset: 0,
                    data: heapless::Vec::new(),
                },
                "upload",
            );
        }
        for c in chunks {
            let data = heapless::Vec::from_slice(c).map_err(|_| {
                LinkError::Encode(FrameError::TooLarge) // chunks() bounds the size
            })?;
            self.ack(
                RequestBody::Upload {
                    path: bounded(path),
                    offset,
                    data,
                },
                "upload",
            )?;
            offset += c.len() as u64;
        }
        Ok(())
    }

    fn ack(&mut self, body: RequestBody, what: &str) -> Result<(), LinkError> {
        let idempotent = matches!(body, RequestBody::ClearEvents | RequestBody::Reset);
        let answer = if idempotent {
            self.request_retrying(body, what)?
        } else {
            self.request(body, what)?
        };
        match answer {
            ResponseBody::Ack => Ok(()),
            other => Err(unexpected(what, &other)),
        }
    }

    /// [`request`](Self::request) for requests that may be repeated
    /// (events, stat, clear, reset): a lost or damaged answer costs a
    /// resend, up to [`REQUEST_ATTEMPTS`] times.
    pub fn request_retrying(
        &mut self,
        body: RequestBody,
        what: &str,
    ) -> Result<ResponseBody, LinkError> {
        let mut attempt = 1;
        let started = Instant::now();
        loop {
            match self.request(body.clone(), what) {
                Err(LinkError::Timeout { .. }) if attempt < REQUEST_ATTEMPTS => attempt += 1,
                // The time waited over every attempt, not the last one's.
                Err(LinkError::Timeout { damaged, .. }) if attempt > 1 => {
                    return Err(LinkError::Timeout {
                        what: format!("{what} ({attempt} attempts)"),
                        waited: started.elapsed(),
                        damaged,
                    })
                }
                other => return other,
            }
        }
    }

    /// Send a request and wait (default timeout) for its answer.
    pub fn request(&mut self, body: RequestBody, what: &str) -> Result<ResponseBody, LinkError> {
        let id = self.send(body)?;
        self.wait_for(id, Instant::now() + self.timeout, what)
    }

    /// Send a request; returns its id.
    pub fn send(&mut self, body: RequestBody) -> Result<u32, LinkError> {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let mut buf = vec![0u8; MAX_FRAME_LEN];
        let bytes = frame::encode(&Request { id, body }, &mut buf).map_err(LinkError::Encode)?;
        self.port.write_all(bytes).map_err(LinkError::from_io)?;
        self.port.flush().map_err(LinkError::from_io)?;
        Ok(id)
    }

    /// Wait until `deadline` for the answer to request `id`. Answers to
    /// other ids are skipped; an agent error for this id is `Agent`; an
    /// unasked hello with a reset report is `AgentRestarted`.
    pub fn wait_for(
        &mut self,
        id: u32,
        deadline: Instant,
        what: &str,
    ) -> Result<ResponseBody, LinkError> {
        self.wait_inner(&[id], deadline, what, true)
    }

    /// Wait until `deadline` for the answer to any of the requests `ids`.
    fn wait_inner(
        &mut self,
        ids: &[u32],
        deadline: Instant,
        what: &str,
        restarts_fatal: bool,
    ) -> Result<ResponseBody, LinkError> {
        let start = Instant::now();
        let damaged_before = self.damaged.len();
        loop {
            match self.next_response(deadline)? {
                Some(r) if ids.contains(&r.id) => {
                    return match r.body {
                        ResponseBody::Error(e) => Err(LinkError::Agent(e)),
                        body => Ok(body),
                    }
                }
                Some(r) if r.id == 0 => match r.body {
                    // The agent could not decode something we sent.
                    ResponseBody::Error(e) => {
                        if self.agent_reports.len() < DAMAGED_KEPT {
                            self.agent_reports.push(e.message.to_string());
                        }
                    }
                    // The agent booted again, and says why.
                    ResponseBody::Hello(Hello {
                        reset: Some(report),
                        ..
                    }) if restarts_fatal => {
                        return Err(LinkError::AgentRestarted {
                            report: Box::new(report),
                            during: what.to_owned(),
                        })
                    }
                    _ => self.stale += 1,
                },
                Some(_) => self.stale += 1,
                None => {
                    return Err(LinkError::Timeout {
                        what: what.to_owned(),
                        waited: start.elapsed(),
                        damaged: self.damaged.len() - damaged_before,
                    })
                }
            }
        }
    }

    fn note(&mut self, e: FrameError) {
        if self.damaged.len() < DAMAGED_KEPT {
            self.damaged.push(e);
        }
    }

    /// The next decodable response before `deadline` (damaged frames are
    /// noted and skipped); `None` at the deadline.
    fn next_response(&mut self, deadline: Instant) -> Result<Option<Response>, LinkError> {
        let mut buf = [0u8; 4096];
        loop {
            while let Some(b) = self.rx.pop_front() {
                match self.dec.push::<Response>(b) {
                    None => {}
                    Some(Ok(r)) => return Ok(Some(r)),
                    Some(Err(e)) => self.note(e),
                }
            }
            if Instant::now() >= deadline {
                // A frame still unfinished at the deadline is lost.
                if let Some(e) = self.dec.take_truncated() {
                    self.note(e);
                }
                return Ok(None);
            }
            match self.port.read(&mut buf) {
                Ok(0) => {
                    return Err(LinkError::PortGone(std::io::Error::new(
                        ErrorKind::UnexpectedEof,
                        "the port reached end of file",
                    )))
                }
                Ok(n) => self.rx.extend(&buf[..n]),
                // Nothing yet. A pause inside a frame is not an error: the
                // agent may be busy; the next frame's delimiter resyncs.
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::TimedOut | ErrorKind::WouldBlock | ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(LinkError::from_io(e)),
            }
        }
    }
}

fn unexpected(what: &str, got: &ResponseBody) -> LinkError {
    LinkError::Unexpected {
        what: what.to_owned(),
        got: format!("{got:?}"),
    }
}
