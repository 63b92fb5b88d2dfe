//! File streams: the OMV IMG STR container on any [`Storage`].

use embedded_io::{Read, Seek, SeekFrom};

use crate::container::{padding, ChunkHeader, Version, FILE_HEADER_LEN, MAX_CHUNK_HEADER_LEN};
use crate::error::{Error, ErrorKind, Field, IoOp, Result};
use crate::frame::{FrameInfo, Image, ReadOptions};
use crate::index::FrameIndex;
use crate::schedule::Schedule;
use crate::storage::Storage;
use crate::time::Wait;

/// How a file stream is opened: the seed's `"r"` and `"w"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `"r"`: parse an existing stream; read-only.
    Read,
    /// `"w"`: create or truncate, write the header; reading back and seeking work too.
    Write,
}

impl Mode {
    /// Parse a mode string. Only `"r"` and `"w"` are accepted: OpenMV's
    /// `'W'` (Q11) and anything after the first character (Q12) are rejected.
    pub fn parse(mode: &str) -> Result<Mode> {
        match mode {
            "r" => Ok(Mode::Read),
            "w" => Ok(Mode::Write),
            _ => Err(Error::new(ErrorKind::InvalidMode)),
        }
    }
}

/// Options of a file stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileOptions {
    /// Version written by [`Mode::Write`]: V2.0 (default) or V2.1 (µs; only
    /// the newest OpenMV IDE reads it, firmware does not).
    pub write_version: Version,
    /// The longest a `pause` waits for one frame (Q19). Longer recorded
    /// intervals are treated as this long. Default 1000 s, the newest IDE's
    /// sanity limit.
    pub max_wait_us: u64,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            write_version: Version::V2_0,
            max_wait_us: 1_000_000_000,
        }
    }
}

/// A file stream over storage `F`, paced by time source `T`, with an index
/// of `N` entries for seeking.
#[derive(Debug)]
pub struct FileStream<F, T, const N: usize = 256> {
    file: F,
    time: T,
    mode: Mode,
    version: Version,
    closed: bool,
    count: u32,
    offset: u32,
    /// Byte offset of the next chunk.
    pos: u64,
    /// File length in bytes.
    len: u64,
    schedule: Schedule,
    /// Writer's reference tick, in the version's elapsed unit.
    last_tick: u64,
    index: FrameIndex<N>,
    tail: Option<Error>,
}

impl<F: Storage, T: Wait, const N: usize> FileStream<F, T, N> {
    /// Open `file` with a mode string, `"r"` or `"w"`.
    pub fn open(file: F, mode: &str, time: T, opts: FileOptions) -> Result<Self> {
        match Mode::parse(mode)? {
            Mode::Read => Self::open_read(file, time, opts),
            Mode::Write => Self::create(file, time, opts),
        }
    }

    /// Parse the header of an existing stream (`"r"`).
    pub fn open_read(mut file: F, mut time: T, opts: FileOptions) -> Result<Self> {
        let len = file
            .seek(SeekFrom::End(0))
            .map_err(|e| Error::io(IoOp::Seek, e, 0))?;
        let mut magic = [0u8; 16];
        read_at(&mut file, 0, &mut magic, len, Field::Magic)?;
        let version = Version::parse_magic(&magic).map_err(|k| Error::at(k, 0))?;
        let now = time.now_us();
        Ok(FileStream {
            file,
            time,
            mode: Mode::Read,
            version,
            closed: false,
            count: 0,
            offset: 0,
            pos: FILE_HEADER_LEN,
            len,
            schedule: Schedule::new(now, opts.max_wait_us),
            last_tick: 0,
            index: FrameIndex::new(FILE_HEADER_LEN),
            tail: None,
        })
    }

    /// Create a stream (`"w"`): whatever `file` held is replaced by the header.
    pub fn create(mut file: F, mut time: T, opts: FileOptions) -> Result<Self> {
        let version = opts.write_version;
        if matches!(version, Version::V1_0 | Version::V1_1) {
            return Err(Error::new(ErrorKind::Unsupported(
                "writing V1.x streams (OpenMV firmware writes V2.0)",
            )));
        }
        file.seek(SeekFrom::Start(0))
            .map_err(|e| Error::io(IoOp::Seek, e, 0))?;
        file.write_all(&version.magic())
            .map_err(|e| Error::io(IoOp::Write, e, 0))?;
        file.truncate()
            .map_err(|e| Error::io(IoOp::Truncate, e, FILE_HEADER_LEN))?;
        let now = time.now_us();
        Ok(FileStream {
            file,
            time,
            mode: Mode::Write,
            version,
            closed: false,
            count: 0,
            offset: 0,
            pos: FILE_HEADER_LEN,
            len: FILE_HEADER_LEN,
            schedule: Schedule::new(now, opts.max_wait_us),
            last_tick: now / version.elapsed_unit_us(),
            index: FrameIndex::new(FILE_HEADER_LEN),
            tail: None,
        })
    }
}

impl<F: Storage, T: Wait, const N: usize> FileStream<F, T, N> {
    fn check_open(&self) -> Result<()> {
        if self.closed {
            return Err(Error::new(ErrorKind::Closed));
        }
        Ok(())
    }

    /// True once [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Frames known so far: on write, `offset + 1` after each write; on read,
    /// the highest frame read or sought past (see the crate docs, Q3).
    pub fn count(&self) -> Result<u32> {
        self.check_open().map(|_| self.count)
    }

    /// Index of the next frame to read or write.
    pub fn offset(&self) -> Result<u32> {
        self.check_open().map(|_| self.offset)
    }

    /// The container version (10, 11, 20 or 21 via [`Version::number`]).
    pub fn version(&self) -> Result<Version> {
        self.check_open().map(|_| self.version)
    }

    /// File length in bytes.
    pub fn size(&self) -> Result<u64> {
        self.check_open().map(|_| self.len)
    }

    /// The mode the stream was opened with.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// If the file ends inside a chunk (Q7: power lost before `sync`), the
    /// error describing it, once a read or seek has reached that chunk. The
    /// frames before it read normally; the stream ends there.
    pub fn truncated_tail(&self) -> Option<Error> {
        self.tail
    }

    /// The time source (e.g. to advance a test clock between writes).
    pub fn time_mut(&mut self) -> &mut T {
        &mut self.time
    }

    /// Give back the storage, closing the stream.
    pub fn into_inner(mut self) -> F {
        let _ = self.close();
        self.file
    }

    /// Read the chunk header at `pos`. `Ok(None)` at the end of the file;
    /// `Err` with `Truncated` if the file ends inside the chunk.
    fn header_at(&mut self, pos: u64) -> Result<Option<ChunkHeader>> {
        if pos >= self.len {
            return Ok(None);
        }
        let hlen = self.version.chunk_header_len();
        let mut buf = [0u8; MAX_CHUNK_HEADER_LEN];
        let hbuf = &mut buf[..hlen as usize];
        read_at(&mut self.file, pos, hbuf, self.len, Field::ChunkHeader)?;
        let hdr = ChunkHeader::decode(self.version, hbuf).map_err(|k| Error::at(k, pos))?;
        let payload_at = pos + hlen;
        let have = self.len - payload_at;
        if u64::from(hdr.payload_len) > have {
            return Err(Error::at(
                ErrorKind::Truncated {
                    field: Field::Payload,
                    expected: u64::from(hdr.payload_len),
                    found: have,
                },
                payload_at,
            ));
        }
        // Missing padding at the very end of the file is tolerated.
        Ok(Some(hdr))
    }

    /// Like `header_at`, but a truncated last chunk counts as the end of the
    /// stream and is remembered in `tail`.
    fn next_header(&mut self, pos: u64) -> Result<Option<ChunkHeader>> {
        match self.header_at(pos) {
            Err(e) if matches!(e.kind, ErrorKind::Truncated { .. }) => {
                self.tail = Some(e);
                Ok(None)
            }
            other => other,
        }
    }

    /// Read the next frame into `fb` (the frame buffer: `copy_to_fb`).
    ///
    /// At the end: `None` with `loop_ = false`; with `loop_ = true` the stream
    /// rewinds to frame 0 (the schedule is not reset, as in OpenMV) and
    /// returns `None` only if there are no frames. With `pause`, waits until
    /// the frame's place in the schedule. On any error (including a cancelled
    /// wait or a too-small `fb`) the stream is left where it was.
    pub fn read(&mut self, fb: &mut [u8], opts: ReadOptions) -> Result<Option<FrameInfo>> {
        self.check_open()?;
        let (mut pos, mut offset) = (self.pos, self.offset);
        let hdr = match self.next_header(pos)? {
            Some(h) => h,
            None if !opts.loop_ => return Ok(None),
            None => {
                (pos, offset) = (FILE_HEADER_LEN, 0);
                match self.next_header(pos)? {
                    Some(h) => h,
                    None => {
                        (self.pos, self.offset) = (pos, offset);
                        return Ok(None);
                    }
                }
            }
        };
        let n = hdr.payload_len as usize;
        if fb.len() < n {
            return Err(Error::at(
                ErrorKind::BufferTooSmall {
                    needed: n as u64,
                    available: fb.len() as u64,
                },
                pos,
            ));
        }
        let elapsed_us = u64::from(hdr.elapsed) * self.version.elapsed_unit_us();
        let step = self.schedule.next(&mut self.time, elapsed_us, opts.pause)?;
        let payload_at = pos + self.version.chunk_header_len();
        read_at(
            &mut self.file,
            payload_at,
            &mut fb[..n],
            self.len,
            Field::Payload,
        )?;
        if self.version == Version::V1_0 && hdr.pixformat == crate::PixFormat::Rgb565 {
            for px in fb[..n].chunks_exact_mut(2) {
                px.swap(0, 1);
            }
        }
        self.schedule.commit(step);
        let next = pos + hdr.chunk_len(self.version);
        self.index.record(offset + 1, next);
        self.pos = next;
        self.offset = offset + 1;
        self.count = self.count.max(self.offset);
        Ok(Some(frame_info(
            &hdr,
            offset,
            pos,
            elapsed_us,
            step.clamped,
        )))
    }

    /// Move to frame `target`. Frames are found through the index, reading
    /// at most `stride - 1` chunk headers past the nearest indexed frame.
    /// `seek(count)` positions at the end. Past the end: `EndOfStream`, and
    /// nothing changes. The replay schedule restarts from now (Q5).
    pub fn seek(&mut self, target: u32) -> Result<()> {
        self.check_open()?;
        let (mut frame, mut pos) = self.index.nearest(target);
        while frame < target {
            let hdr = self
                .next_header(pos)?
                .ok_or(Error::at(ErrorKind::EndOfStream, pos))?;
            pos += hdr.chunk_len(self.version);
            frame += 1;
            self.index.record(frame, pos);
        }
        // Q3 fixed: count grows to the frames proven to exist, never shrinks.
        // A frame exists at the target if a complete, valid chunk starts there.
        let exists = matches!(self.header_at(pos), Ok(Some(_)));
        self.count = self.count.max(target + u32::from(exists));
        self.pos = pos;
        self.offset = target;
        self.schedule.restart(&mut self.time);
        Ok(())
    }

    /// Append `img` at the current frame (the seed's `write`). Writing before
    /// the end discards every later frame (the file is truncated after the
    /// new chunk) and `count` becomes `offset + 1`. The elapsed field is the
    /// time since the previous successful write, or since the stream was
    /// created; a failed write does not move that reference (Q8 fixed).
    pub fn write(&mut self, img: &Image<'_>) -> Result<()> {
        self.check_open()?;
        if self.mode == Mode::Read {
            return Err(Error::new(ErrorKind::ReadOnly));
        }
        let payload_len = img.validate()?;
        let tick = self.time.now_us() / self.version.elapsed_unit_us();
        let elapsed = u32::try_from(tick.saturating_sub(self.last_tick)).unwrap_or(u32::MAX);
        let hdr = ChunkHeader {
            elapsed,
            width: img.width,
            height: img.height,
            pixformat: img.pixformat,
            size_field: 0,
            payload_len,
        };
        let pos = self.pos;
        let end = pos + hdr.chunk_len(self.version);
        self.file
            .seek(SeekFrom::Start(pos))
            .map_err(|e| Error::io(IoOp::Seek, e, pos))?;
        let pad = [0u8; 16];
        let header = hdr.encode_v2();
        let pad_len = padding(u64::from(payload_len)) as usize;
        for part in [&header[..], img.data, &pad[..pad_len]] {
            self.file
                .write_all(part)
                .map_err(|e| Error::io(IoOp::Write, e, pos))?;
        }
        if end < self.len {
            self.file
                .truncate()
                .map_err(|e| Error::io(IoOp::Truncate, e, end))?;
        }
        // Nothing after the new chunk remains, including a truncated tail.
        self.len = end;
        self.tail = None;
        self.index.truncate_after(self.offset);
        self.index.record(self.offset + 1, end);
        self.last_tick = tick;
        self.pos = end;
        self.offset += 1;
        self.count = self.offset;
        Ok(())
    }

    /// Flush buffered data to the storage (the seed's `sync`).
    pub fn sync(&mut self) -> Result<()> {
        self.check_open()?;
        let pos = self.pos;
        self.file
            .flush()
            .map_err(|e| Error::io(IoOp::Flush, e, pos))
    }

    /// Flush and close. Closing again does nothing (idempotent, as OpenMV ≥ 4.8).
    pub fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        let pos = self.pos;
        self.file
            .flush()
            .map_err(|e| Error::io(IoOp::Flush, e, pos))
    }
}

fn frame_info(
    hdr: &ChunkHeader,
    index: u32,
    pos: u64,
    elapsed_us: u64,
    clamped: bool,
) -> FrameInfo {
    FrameInfo {
        index,
        offset: pos,
        elapsed: hdr.elapsed,
        elapsed_us,
        width: hdr.width,
        height: hdr.height,
        pixformat: hdr.pixformat,
        payload_len: hdr.payload_len,
        size_field: hdr.size_field,
        wait_clamped: clamped,
    }
}

/// Read exactly `buf.len()` bytes at `pos` of a file of `len` bytes.
fn read_at<F: Read + Seek>(
    file: &mut F,
    pos: u64,
    buf: &mut [u8],
    len: u64,
    field: Field,
) -> Result<()> {
    let have = len.saturating_sub(pos);
    if (buf.len() as u64) > have {
        return Err(Error::at(
            ErrorKind::Truncated {
                field,
                expected: buf.len() as u64,
                found: have,
            },
            pos,
        ));
    }
    file.seek(SeekFrom::Start(pos))
        .map_err(|e| Error::io(IoOp::Seek, e, pos))?;
    let mut done = 0;
    while done < buf.len() {
        match file.read(&mut buf[done..]) {
            Ok(0) => {
                return Err(Error::at(
                    ErrorKind::Truncated {
                        field,
                        expected: buf.len() as u64,
                        found: done as u64,
                    },
                    pos,
                ))
            }
            Ok(k) => done += k,
            Err(e) => return Err(Error::io(IoOp::Read, e, pos + done as u64)),
        }
    }
    Ok(())
}
