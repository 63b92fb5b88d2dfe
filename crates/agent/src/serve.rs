//! [`serve`]: the agent's command loop over a serial byte link;
//! [`serve_with`] also reports the board's [`Diag`] (reset report, log).
//!
//! A host that stops reading does not stop the agent: a write that times
//! out (`embedded_io::ErrorKind::TimedOut`, e.g. a full USB or PTY buffer)
//! drops that answer (a download stops at that chunk), the drop is logged
//! in the [`Diag`], and the loop goes on reading requests. Every frame
//! starts with a delimiter, so the host resynchronises after a frame cut
//! short; it retries what it did not get.

use embedded_io::{Error as _, ErrorKind, Read, Write};
use embedded_sdmmc::BlockDevice;
use omv_imageio::Wait;
use omv_proto::{
    bounded, format_bounded, frame, FrameDecoder, Hello, OpError, ProtoError, ProtoErrorKind,
    Request, RequestBody, Response, ResponseBody, MAX_CHUNK, MAX_FRAME_LEN, PROTOCOL_VERSION,
};

mod download;

use crate::diag::Diag;
use crate::executor::Executor;
use crate::sensor::Sensor;

/// Who the agent is, for the handshake.
#[derive(Debug, Clone, Copy)]
pub struct BoardInfo<'s> {
    /// Board name (`sim`, `qemu`, `h7`).
    pub board: &'s str,
    /// Firmware name and version, e.g. `agent-qemu 0.1.0`.
    pub firmware: &'s str,
}

/// Why the command loop stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServeError<E> {
    /// Reading from or writing to the link failed.
    Link(E),
}

impl<E: core::fmt::Debug> core::fmt::Display for ServeError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ServeError::Link(e) => write!(f, "serial link failed: {e:?}"),
        }
    }
}

/// The command loop: read request frames from `link`, run them on `exec`,
/// answer each with its id. Damaged frames are answered with a `BadFrame`
/// error (id 0) and decoding resumes at the next delimiter. An answer
/// whose write times out is dropped (see the module notes). Returns
/// `Ok(())` when the link reports end of input (a read of 0 bytes), or the
/// link's error (other than a write timeout). No reset report; the log is
/// kept for the session only.
pub fn serve<L: Read + Write, D: BlockDevice, C: Wait + Clone, S: Sensor<C>, const E: usize>(
    link: &mut L,
    exec: &mut Executor<'_, D, C, S, E>,
    info: &BoardInfo<'_>,
) -> Result<(), ServeError<L::Error>> {
    serve_with(link, exec, info, &mut Diag::<8>::new(None))
}

/// [`serve`] with the board's diagnostics: if `diag` holds a reset report,
/// an unasked `hello` (id 0) carrying it is sent first, so a host that was
/// waiting for an answer when the board reset learns why at once; the
/// report is then given in the answer to the next `hello` request and
/// forgotten. Every request is logged in `diag` (`Logs` fetches it).
pub fn serve_with<L, D, C, S, const E: usize, const N: usize>(
    link: &mut L,
    exec: &mut Executor<'_, D, C, S, E>,
    info: &BoardInfo<'_>,
    diag: &mut Diag<N>,
) -> Result<(), ServeError<L::Error>>
where
    L: Read + Write,
    D: BlockDevice,
    C: Wait + Clone,
    S: Sensor<C>,
{
    let mut session = Session { link, exec, diag };
    if let Some(report) = session.diag.pending_reset().cloned() {
        session.log(format_args!("restarted: {report}"));
        let body = hello(session.exec, info, Some(report));
        // If dropped, the next asked hello still carries the report.
        session.answer(0, body)?;
    }
    let mut dec = FrameDecoder::<{ omv_proto::MAX_ENCODED_LEN }>::new();
    let mut rx = [0u8; 64];
    loop {
        let n = session.link.read(&mut rx).map_err(ServeError::Link)?;
        if n == 0 {
            return Ok(());
        }
        for &b in &rx[..n] {
            match dec.push::<Request>(b) {
                None => {}
                Some(Ok(req)) => session.handle(info, req)?,
                Some(Err(e)) => {
                    session.log(format_args!("bad frame from host: {e}"));
                    let body = ResponseBody::Error(ProtoError {
                        kind: ProtoErrorKind::BadFrame,
                        message: format_bounded(format_args!("{e}")),
                    });
                    session.answer(0, body)?;
                }
            }
        }
    }
}

/// What became of one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sent {
    /// Written and flushed.
    Delivered,
    /// The link timed out (the host is not reading): dropped, maybe cut
    /// short.
    Dropped,
}

/// Where requests are answered: the link, the executor and the log.
struct Session<'s, 'e, L, D, C, S, const E: usize, const N: usize>
where
    D: BlockDevice,
    C: Wait + Clone,
    S: Sensor<C>,
{
    link: &'s mut L,
    exec: &'s mut Executor<'e, D, C, S, E>,
    diag: &'s mut Diag<N>,
}

impl<L, D, C, S, const E: usize, const N: usize> Session<'_, '_, L, D, C, S, E, N>
where
    L: Write,
    D: BlockDevice,
    C: Wait + Clone,
    S: Sensor<C>,
{
    /// Log a line in `diag`, stamped with the executor's clock.
    fn log(&mut self, args: core::fmt::Arguments<'_>) {
        let now = self.exec.clock().now_us();
        self.diag.log(now, args);
    }

    /// [`send`], logging a dropped answer.
    fn reply(&mut self, resp: &Response) -> Result<Sent, ServeError<L::Error>> {
        let sent = send(self.link, resp)?;
        if sent == Sent::Dropped {
            let id = resp.id;
            self.log(format_args!(
                "host not reading: answer to request {id} dropped"
            ));
        }
        Ok(sent)
    }

    /// [`reply`](Self::reply) with `body` to request `id`, delivered or
    /// dropped. Inlined: a frame of its own would hold a second copy of
    /// the response on the firmware's stack.
    #[inline(always)]
    fn answer(&mut self, id: u32, body: ResponseBody) -> Result<(), ServeError<L::Error>> {
        self.reply(&Response { id, body }).map(|_| ())
    }

    /// Answer one request (and log it).
    fn handle(&mut self, info: &BoardInfo<'_>, req: Request) -> Result<(), ServeError<L::Error>> {
        let id = req.id;
        let exec = &mut *self.exec;
        let body = match req.body {
            RequestBody::Hello { protocol } => {
                self.log(format_args!("hello (host protocol {protocol})"));
                hello(self.exec, info, self.diag.take_reset())
            }
            RequestBody::Run { step, op } => {
                let t_start_us = exec.clock().now_us();
                let outcome = exec.run(step, &op);
                let t_end_us = exec.clock().now_us();
                let verdict = if outcome.is_ok() { "ok" } else { "error" };
                let ms = t_end_us.saturating_sub(t_start_us) / 1000;
                self.diag.log(
                    t_end_us,
                    format_args!("step {step} {verdict} in {ms} ms: {op:?}"),
                );
                ResponseBody::Done {
                    step,
                    outcome,
                    t_start_us,
                    t_end_us,
                }
            }
            RequestBody::Download {
                path,
                offset,
                max_len,
            } => return download::download(self, id, &path, offset, max_len),
            RequestBody::Upload { path, offset, data } => match exec.upload(&path, offset, &data) {
                Ok(()) => ResponseBody::Ack,
                Err(e) => file_error(&e),
            },
            RequestBody::Stat { path } => match exec.file_size(&path) {
                Ok(n) => ResponseBody::FileSize(n),
                Err(e) => file_error(&e),
            },
            RequestBody::Events { from } => ResponseBody::Events(exec.events().page(from)),
            RequestBody::ClearEvents => {
                exec.clear_events();
                ResponseBody::Ack
            }
            RequestBody::Reset => {
                exec.reset();
                ResponseBody::Ack
            }
            RequestBody::CardTiming { profile, seed } => {
                if exec.set_card_timing(&profile, seed) {
                    ResponseBody::Ack
                } else {
                    unsupported(format_args!(
                        "card timing profile {profile:?} is not available on this board"
                    ))
                }
            }
            RequestBody::Logs { from } => ResponseBody::Logs(self.diag.page(from)),
            RequestBody::CrashTest { kind } => match self.diag.crash_hook() {
                Some(crash) => {
                    self.log(format_args!("crashing on purpose: {kind:?}"));
                    crash(kind);
                    // A hook that returns did not crash.
                    unsupported(format_args!("crash test {kind:?} did not crash"))
                }
                None => unsupported(format_args!(
                    "crash tests need a firmware built with its test feature"
                )),
            },
        };
        self.answer(id, body)
    }
}

/// Encode and send one response. A write or flush that times out is
/// [`Sent::Dropped`]; any other link error is returned.
fn send<L: Write>(link: &mut L, resp: &Response) -> Result<Sent, ServeError<L::Error>> {
    let mut buf = [0u8; MAX_FRAME_LEN];
    let bytes = match frame::encode(resp, &mut buf) {
        Ok(b) => b,
        Err(e) => {
            // Every message is bounded to fit; report rather than panic.
            let fallback = Response {
                id: resp.id,
                body: ResponseBody::Error(ProtoError {
                    kind: ProtoErrorKind::Unsupported,
                    message: format_bounded(format_args!("response not encodable: {e}")),
                }),
            };
            let mut small = [0u8; 256];
            let Ok(b) = frame::encode(&fallback, &mut small) else {
                return Ok(Sent::Dropped);
            };
            let n = b.len();
            buf[..n].copy_from_slice(&small[..n]);
            &buf[..n]
        }
    };
    match link.write_all(bytes).and_then(|()| link.flush()) {
        Ok(()) => Ok(Sent::Delivered),
        Err(e) if e.kind() == ErrorKind::TimedOut => Ok(Sent::Dropped),
        Err(e) => Err(ServeError::Link(e)),
    }
}

fn file_error(e: &OpError) -> ResponseBody {
    ResponseBody::Error(ProtoError {
        kind: ProtoErrorKind::File,
        message: format_bounded(format_args!("{e}")),
    })
}

/// The handshake answer.
fn hello<D, C, S, const E: usize>(
    exec: &Executor<'_, D, C, S, E>,
    info: &BoardInfo<'_>,
    reset: Option<omv_proto::ResetReport>,
) -> ResponseBody
where
    D: BlockDevice,
    C: Wait + Clone,
    S: Sensor<C>,
{
    ResponseBody::Hello(Hello {
        protocol: PROTOCOL_VERSION,
        board: bounded(info.board),
        firmware: bounded(info.firmware),
        capabilities: exec.capabilities(),
        max_frame: MAX_FRAME_LEN as u32,
        frame_buffer: u32::try_from(exec.frame_buffer_len()).unwrap_or(u32::MAX),
        memory_buffer: u32::try_from(exec.memory_len()).unwrap_or(u32::MAX),
        event_capacity: u32::try_from(exec.events().capacity()).unwrap_or(u32::MAX),
        chunk: MAX_CHUNK as u32,
        reset,
    })
}

fn unsupported(why: core::fmt::Arguments<'_>) -> ResponseBody {
    ResponseBody::Error(ProtoError {
        kind: ProtoErrorKind::Unsupported,
        message: format_bounded(why),
    })
}
