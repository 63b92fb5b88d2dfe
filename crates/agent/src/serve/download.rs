//! The `Download` answer: a file streamed as `DownloadStart`, `Chunk`s and
//! `DownloadEnd`; it stops at the first frame the host did not take.

use embedded_sdmmc::BlockDevice;
use omv_imageio::Wait;
use omv_proto::{format_bounded, OpError, Response, ResponseBody, MAX_CHUNK};

use super::{file_error, send, Sent, ServeError, Session};
use crate::sensor::Sensor;
use embedded_io::Write;

/// Stream a file: `DownloadStart`, `Chunk`s, `DownloadEnd` (all with `id`).
/// A dropped frame ends the download there (the host retries from the
/// offset it has).
pub(super) fn download<L, D, C, S, const E: usize, const N: usize>(
    s: &mut Session<'_, '_, L, D, C, S, E, N>,
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
    let io_error = |at: Option<u64>, e: &dyn core::fmt::Display| OpError {
        name: omv_proto::ErrorName::Io,
        offset: at,
        message: format_bounded(format_args!("{path}: {e}")),
    };
    let mut file = match s.exec.open_file(path) {
        Ok(f) => f,
        Err(e) => return s.answer(id, file_error(&e)),
    };
    let file_size = match file.len() {
        Ok(n) => u64::from(n),
        Err(e) => return s.answer(id, file_error(&io_error(None, &e))),
    };
    let start = offset.min(file_size);
    let len = (file_size - start).min(max_len.unwrap_or(u64::MAX));
    let mut pos = start;
    let body = ResponseBody::DownloadStart { file_size, len };
    if send(s.link, &Response { id, body })? == Sent::Dropped {
        stopped(s, id, path, pos);
        return Ok(());
    }
    let mut digest = omv_proto::CRC32.digest();
    let end = start + len;
    let mut buf = [0u8; MAX_CHUNK];
    while pos < end {
        // A clock read feeds the firmware's watchdog: a download of a
        // 30 s recording (130+ MiB) streams for longer than its 4 s.
        let _ = s.exec.clock().now_us();
        let want = usize::try_from(end - pos)
            .unwrap_or(MAX_CHUNK)
            .min(MAX_CHUNK);
        let got = match read_full(&mut file, pos, &mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => return s.answer(id, file_error(&io_error(Some(pos), &e))),
        };
        digest.update(&buf[..got]);
        let data = heapless::Vec::from_slice(&buf[..got]).unwrap_or_default();
        let body = ResponseBody::Chunk { offset: pos, data };
        if send(s.link, &Response { id, body })? == Sent::Dropped {
            stopped(s, id, path, pos);
            return Ok(());
        }
        pos += got as u64;
    }
    let _ = file.close();
    let body = ResponseBody::DownloadEnd {
        crc32: digest.finalize(),
    };
    if send(s.link, &Response { id, body })? == Sent::Dropped {
        stopped(s, id, path, pos);
    }
    Ok(())
}

/// Log a download stopped at byte `at` because the host is not reading.
fn stopped<L, D, C, S, const E: usize, const N: usize>(
    s: &mut Session<'_, '_, L, D, C, S, E, N>,
    id: u32,
    path: &str,
    at: u64,
) where
    L: Write,
    D: BlockDevice,
    C: Wait + Clone,
    S: Sensor<C>,
{
    s.log(format_args!(
        "host not reading: download {id} of {path} stopped at byte {at}"
    ));
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
