//! [`serve`]: the agent's command loop over a serial byte link;
//! [`serve_with`] also reports the board's [`Diag`] (reset report, log).

use embedded_io::{Read, Write};
use embedded_sdmmc::BlockDevice;
use omv_imageio::Wait;
use omv_proto::{
    bounded, format_bounded, frame, FrameDecoder, Hello, OpError, ProtoError, ProtoErrorKind,
    Request, RequestBody, Response, ResponseBody, MAX_CHUNK, MAX_FRAME_LEN, PROTOCOL_VERSION,
};

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
/// error (id 0) and decoding resumes at the next delimiter. Returns
/// `Ok(())` when the link reports end of input (a read of 0 bytes), or the
/// link's error. No reset report; the log is kept for the session only.
pub fn serve<L, D, C, S, const E: usize>(
    link: &mut L,
    exec: &mut Executor<'_, D, C, S, E>,
    info: &BoardInfo<'_>,
) -> Result<(), ServeError<L::Error>>
where
    L: Read + Write,
    D: BlockDevice,
    C: Wait + Clone,
    S: Sensor<C>,
{
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
    if let Some(report) = diag.pending_reset().cloned() {
        let now = exec.clock().now_us();
        diag.log(now, format_args!("restarted: {report}"));
        let hello = hello(exec, info, Some(report));
        send(link, &Response { id: 0, body: hello })?;
    }
    let mut dec = FrameDecoder::<{ omv_proto::MAX_ENCODED_LEN }>::new();
    let mut rx = [0u8; 64];
    loop {
        let n = link.read(&mut rx).map_err(ServeError::Link)?;
        if n == 0 {
            return Ok(());
        }
        for &b in &rx[..n] {
            match dec.push::<Request>(b) {
                None => {}
                Some(Ok(req)) => handle(link, exec, info, diag, req)?,
                Some(Err(e)) => {
                    let now = exec.clock().now_us();
                    diag.log(now, format_args!("bad frame from host: {e}"));
                    send(
                        link,
                        &Response {
                            id: 0,
                            body: ResponseBody::Error(ProtoError {
                                kind: ProtoErrorKind::BadFrame,
                                message: format_bounded(format_args!("{e}")),
                            }),
                        },
                    )?
                }
            }
        }
    }
}

/// Encode and send one response.
fn send<L: Write>(link: &mut L, resp: &Response) -> Result<(), ServeError<L::Error>> {
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
                return Ok(());
            };
            let n = b.len();
            buf[..n].copy_from_slice(&small[..n]);
            &buf[..n]
        }
    };
    link.write_all(bytes).map_err(ServeError::Link)?;
    link.flush().map_err(ServeError::Link)
}

fn file_error(id: u32, e: &OpError) -> Response {
    Response {
        id,
        body: ResponseBody::Error(ProtoError {
            kind: ProtoErrorKind::File,
            message: format_bounded(format_args!("{e}")),
        }),
    }
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

/// Answer one request (and log it in `diag`).
pub fn handle<L, D, C, S, const E: usize, const N: usize>(
    link: &mut L,
    exec: &mut Executor<'_, D, C, S, E>,
    info: &BoardInfo<'_>,
    diag: &mut Diag<N>,
    req: Request,
) -> Result<(), ServeError<L::Error>>
where
    L: Write,
    D: BlockDevice,
    C: Wait + Clone,
    S: Sensor<C>,
{
    let id = req.id;
    let body = match req.body {
        RequestBody::Hello { protocol } => {
            let now = exec.clock().now_us();
            diag.log(now, format_args!("hello (host protocol {protocol})"));
            hello(exec, info, diag.take_reset())
        }
        RequestBody::Run { step, op } => {
            let t_start_us = exec.clock().now_us();
            let outcome = exec.run(step, &op);
            let t_end_us = exec.clock().now_us();
            let verdict = if outcome.is_ok() { "ok" } else { "error" };
            let ms = t_end_us.saturating_sub(t_start_us) / 1000;
            diag.log(
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
        } => return download(link, exec, id, &path, offset, max_len),
        RequestBody::Upload { path, offset, data } => match exec.upload(&path, offset, &data) {
            Ok(()) => ResponseBody::Ack,
            Err(e) => return send(link, &file_error(id, &e)),
        },
        RequestBody::Stat { path } => match exec.file_size(&path) {
            Ok(n) => ResponseBody::FileSize(n),
            Err(e) => return send(link, &file_error(id, &e)),
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
                ResponseBody::Error(ProtoError {
                    kind: ProtoErrorKind::Unsupported,
                    message: format_bounded(format_args!(
                        "card timing profile {profile:?} is not available on this board"
                    )),
                })
            }
        }
        RequestBody::Logs { from } => ResponseBody::Logs(diag.page(from)),
        RequestBody::CrashTest { kind } => match diag.crash_hook() {
            Some(crash) => {
                let now = exec.clock().now_us();
                diag.log(now, format_args!("crashing on purpose: {kind:?}"));
                crash(kind);
                // A hook that returns did not crash.
                unsupported(format_args!("crash test {kind:?} did not crash"))
            }
            None => unsupported(format_args!(
                "crash tests need a firmware built with its test feature"
            )),
        },
    };
    send(link, &Response { id, body })
}

fn unsupported(why: core::fmt::Arguments<'_>) -> ResponseBody {
    ResponseBody::Error(ProtoError {
        kind: ProtoErrorKind::Unsupported,
        message: format_bounded(why),
    })
}

/// Stream a file: `DownloadStart`, `Chunk`s, `DownloadEnd` (all with `id`).
fn download<L, D, C, S, const E: usize>(
    link: &mut L,
    exec: &mut Executor<'_, D, C, S, E>,
    id: u32,
    path: &str,
    offset: u64,
    max_len: Option<u64>,
) -> Result<(), ServeError<L::Error>>
where
    L: Write,
    D: BlockDevice,
    C: Wait + Clone,
    S: Sensor<C>,
{
    let mut file = match exec.open_file(path) {
        Ok(f) => f,
        Err(e) => return send(link, &file_error(id, &e)),
    };
    let file_size = match file.len() {
        Ok(n) => u64::from(n),
        Err(e) => {
            let e = OpError {
                name: omv_proto::ErrorName::Io,
                offset: None,
                message: format_bounded(format_args!("{path}: {e}")),
            };
            return send(link, &file_error(id, &e));
        }
    };
    let start = offset.min(file_size);
    let len = (file_size - start).min(max_len.unwrap_or(u64::MAX));
    send(
        link,
        &Response {
            id,
            body: ResponseBody::DownloadStart { file_size, len },
        },
    )?;
    let mut digest = omv_proto::CRC32.digest();
    let mut pos = start;
    let end = start + len;
    let mut buf = [0u8; MAX_CHUNK];
    while pos < end {
        // A clock read feeds the firmware's watchdog: a download of a
        // 30 s recording (130+ MiB) streams for longer than its 4 s.
        let _ = exec.clock().now_us();
        let want = usize::try_from(end - pos)
            .unwrap_or(MAX_CHUNK)
            .min(MAX_CHUNK);
        let got = match read_full(&mut file, pos, &mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                let e = OpError {
                    name: omv_proto::ErrorName::Io,
                    offset: Some(pos),
                    message: format_bounded(format_args!("{path}: {e}")),
                };
                return send(link, &file_error(id, &e));
            }
        };
        digest.update(&buf[..got]);
        let data = heapless::Vec::from_slice(&buf[..got]).unwrap_or_default();
        send(
            link,
            &Response {
                id,
                body: ResponseBody::Chunk { offset: pos, data },
            },
        )?;
        pos += got as u64;
    }
    let _ = file.close();
    send(
        link,
        &Response {
            id,
            body: ResponseBody::DownloadEnd {
                crc32: digest.finalize(),
            },
        },
    )
}

/// Read up to `buf.len()` bytes at `pos`, sequentially from where the file
/// is (one seek only when the position differs: FAT seeks walk the
/// cluster chain).
fn read_full<F: embedded_io::Read + embedded_io::Seek>(
    file: &mut F,
    pos: u64,
    buf: &mut [u8],
) -> Result<usize, F::Error> {
    if file.stream_position()? != pos {
        file.seek(embedded_io::SeekFrom::Start(pos))?;
    }
    let mut done = 0;
    while done < buf.len() {
        match file.read(&mut buf[done..])? {
            0 => break,
            n => done += n,
        }
    }
    Ok(done)
}
