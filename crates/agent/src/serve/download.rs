//! The `Download` answer: a file streamed as `DownloadStart`, `Chunk`s and
//! `DownloadEnd`; it stops at the first frame the host did not take.

use embedded_sdmmc::BlockDevice;
use omv_imageio::Wait;
use omv_proto::{format_bounded, OpError, Response, ResponseBody, MAX_CHUNK};

use super::{file_error, reply, send, Sent, ServeError};
use crate::diag::Diag;
use crate::executor::Executor;
use crate::sensor::Sensor;
use embedded_io::Write;

/// Stream a file: `DownloadStart`, `Chunk`s, `DownloadEnd` (all with `id`).
/// A dropped frame ends the download there (the host retries from the
/// offset it has).
pub(super) fn download<L, D, C, S, const E: usize, const N: usize>(
    link: &mut L,
    exec: &mut Executor<'_, D, C, S, E>,
    diag: &mut Diag<N>,
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
        Err(e) => {
            let body = file_error(&e);
            return reply(link, exec, diag, &Response { id, body }).map(|_| ());
        }
    };
    let file_size = match file.len() {
        Ok(n) => u64::from(n),
        Err(e) => {
            let e = OpError {
                name: omv_proto::ErrorName::Io,
                offset: None,
                message: format_bounded(format_args!("{path}: {e}")),
            };
            return reply(
                link,
                exec,
                diag,
                &Response {
                    id,
                    body: file_error(&e),
                },
            )
            .map(|_| ());
        }
    };
    let start = offset.min(file_size);
    let len = (file_size - start).min(max_len.unwrap_or(u64::MAX));
    let body = ResponseBody::DownloadStart { file_size, len };
    if send(link, &Response { id, body })? == Sent::Dropped {
        dropped_download(exec, diag, id, path, start);
        return Ok(());
    }
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
                let body = file_error(&e);
                return reply(link, exec, diag, &Response { id, body }).map(|_| ());
            }
        };
        digest.update(&buf[..got]);
        let data = heapless::Vec::from_slice(&buf[..got]).unwrap_or_default();
        let body = ResponseBody::Chunk { offset: pos, data };
        if send(link, &Response { id, body })? == Sent::Dropped {
            dropped_download(exec, diag, id, path, pos);
            return Ok(());
        }
        pos += got as u64;
    }
    let _ = file.close();
    let body = ResponseBody::DownloadEnd {
        crc32: digest.finalize(),
    };
    if send(link, &Response { id, body })? == Sent::Dropped {
        dropped_download(exec, diag, id, path, pos);
    }
    Ok(())
}

/// Log a download stopped because the host is not reading.
fn dropped_download<D, C, S, const E: usize, const N: usize>(
    exec: &mut Executor<'_, D, C, S, E>,
    diag: &mut Diag<N>,
    id: u32,
    path: &str,
    at: u64,
) where
    D: BlockDevice,
    C: Wait + Clone,
    S: Sensor<C>,
{
    let now = exec.clock().now_us();
    diag.log(
        now,
        format_args!("host not reading: download {id} of {path} stopped at byte {at}"),
    );
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
