//! Opening streams and files: file streams on the card, memory streams in
//! the platform's region, and whole-file access for downloads and uploads.

use embedded_sdmmc::BlockDevice;
use omv_imageio::Wait;

use super::*;
use crate::sensor::Sensor;

impl<'a, D, C, S, const E: usize> Executor<'a, D, C, S, E>
where
    D: BlockDevice,
    C: Wait + Clone,
    S: Sensor<C>,
{
    /// Open a file on the card for reading (downloads, stat). Any stream
    /// is dropped first, as by [`reset`](Self::reset) (a file stream is
    /// closed, flushing it), so that its file can be read: files are
    /// fetched at the end of a scenario, and every board then sees the same
    /// bytes.
    pub fn open_file(&mut self, path: &str) -> Result<CardFile<'a, D>, OpError> {
        release(&mut self.stream, &mut self.memory);
        self.sched = None;
        let card = self.card_ref()?;
        card.open(path, OpenMode::Read)
            .map_err(|e| err(ErrorName::OpenFailed, format_args!("{path}: {e}")))
    }

    /// The length of a file as its directory entry records it.
    pub fn file_size(&mut self, path: &str) -> Result<u64, OpError> {
        let f = self.open_file(path)?;
        f.len()
            .map(u64::from)
            .map_err(|e| err(ErrorName::Io, format_args!("{path}: {e}")))
    }

    /// Write `data` at `offset` of `path`: offset 0 creates or truncates
    /// the file, any other offset must be its current length (append).
    /// Any stream is dropped first, as for [`open_file`](Self::open_file).
    pub fn upload(&mut self, path: &str, offset: u64, data: &[u8]) -> Result<(), OpError> {
        use embedded_io::Write as _;
        release(&mut self.stream, &mut self.memory);
        self.sched = None;
        let card = self.card_ref()?;
        let mode = if offset == 0 {
            OpenMode::Write
        } else {
            OpenMode::Append
        };
        let mut f = card
            .open(path, mode)
            .map_err(|e| err(ErrorName::OpenFailed, format_args!("{path}: {e}")))?;
        let len = f
            .len()
            .map_err(|e| err(ErrorName::Io, format_args!("{path}: {e}")))?;
        if u64::from(len) != offset {
            return Err(err(
                ErrorName::BadStep,
                format_args!("upload at {offset} but {path} has {len} bytes"),
            ));
        }
        f.write_all(data)
            .map_err(|e| err(ErrorName::Io, format_args!("{path}: {e}")))?;
        f.close()
            .map_err(|e| err(ErrorName::Io, format_args!("{path}: {e}")))
    }

    pub(super) fn open_file_stream(
        &mut self,
        path: &str,
        mode: &str,
        write_version: Option<u8>,
    ) -> Result<(), OpError> {
        let parsed = Mode::parse(mode).map_err(io)?;
        let version = match write_version {
            None | Some(20) => Version::V2_0,
            Some(21) => Version::V2_1,
            Some(v) => {
                return Err(err(
                    ErrorName::BadStep,
                    format_args!("write version {v}: expected 20 or 21"),
                ))
            }
        };
        release(&mut self.stream, &mut self.memory);
        self.sched = None;
        let card = self.card_ref()?;
        let fmode = match parsed {
            Mode::Read => OpenMode::Read,
            Mode::Write => OpenMode::Write,
        };
        let file = card
            .open(path, fmode)
            .map_err(|e| err(ErrorName::OpenFailed, format_args!("{path}: {e}")))?;
        let opts = FileOptions {
            write_version: version,
            ..FileOptions::default()
        };
        let s = FileStream::open(file, mode, self.clock.clone(), opts).map_err(io)?;
        self.stream = Some(ImageIo::File(s));
        Ok(())
    }

    pub(super) fn open_memory(
        &mut self,
        width: u32,
        height: u32,
        pixformat: omv_imageio::PixFormat,
        count: u32,
    ) -> Result<(), OpError> {
        release(&mut self.stream, &mut self.memory);
        self.sched = None;
        let need = memory_stream_bytes(width, height, pixformat, count).map_err(io)?;
        let buf = self.memory.take().ok_or_else(|| {
            OpError::new(
                ErrorName::Storage,
                "the memory-stream region is unavailable",
            )
        })?;
        if buf.len() < need {
            let available = buf.len() as u64;
            self.memory = Some(buf);
            return Err(io(IoError::new(ErrorKind::BufferTooSmall {
                needed: need as u64,
                available,
            })));
        }
        // Checked above: the layout is valid and fits, so this cannot fail.
        let m = ImageIo::memory(buf, width, height, pixformat, count, self.clock.clone())
            .map_err(io)?;
        self.stream = Some(m);
        Ok(())
    }
}
