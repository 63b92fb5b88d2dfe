//! File streams: the OMV IMG STR container on any [`Storage`].

use crate::container::{padding, ChunkHeader, Version, FILE_HEADER_LEN, MAX_CHUNK_HEADER_LEN};
use crate::error::{Error, ErrorKind, Field, Result};
use crate::frame::{FrameInfo, Image, ReadOptions};
use crate::index::FrameIndex;
use crate::schedule::Schedule;
use crate::storage::Storage;
use crate::time::Wait;
use crate::tracked::{Tracked, WriteFailure};

/// How a file stream is opened: OpenMV's `"r"` and `"w"` (docs/api.md §2.1).
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
    file: Tracked<F>,
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
    pub fn open_read(file: F, mut time: T, opts: FileOptions) -> Result<Self> {
        let mut file = Tracked::new(file);
        let len = file.seek_end()?;
        let mut magic = [0u8; 16];
        file.read_at(0, &mut magic, len, Field::Magic)?;
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

    /// Create a stream (`"w"`): whatever `file` held is replaced by the
    /// header. An empty file is not truncated (one seek to learn its length).
    pub fn create(file: F, mut time: T, opts: FileOptions) -> Result<Self> {
        let version = opts.write_version;
        if matches!(version, Version::V1_0 | Version::V1_1) {
            return Err(Error::new(ErrorKind::Unsupported(
                "writing V1.x streams (OpenMV firmware writes V2.0)",
            )));
        }
        let mut file = Tracked::new(file);
        if file.seek_end()? > 0 {
            file.truncate_at(0)?;
        }
        file.write_at(0, &[&version.magic()]).map_err(|f| f.error)?;
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
        crate::error::ensure_open(self.closed)
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
        self.file.into_inner()
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
        self.file.read_at(pos, hbuf, self.len, Field::ChunkHeader)?;
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
        self.file
            .read_at(payload_at, &mut fb[..n], self.len, Field::Payload)?;
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

    /// Append `img` at the current frame (`write`, docs/api.md §3). Writing before
    /// the end discards every later frame (the file is cut at the current
    /// frame, then the new chunk is appended) and `count` becomes
    /// `offset + 1`. The elapsed field is the time since the previous
    /// successful write, or since the stream was created; a failed write does
    /// not move that reference (Q8 fixed).
    ///
    /// After a failed write, `count()`, the index, `size()` and the file
    /// agree (issue 10): if the cut failed nothing changed; if the append
    /// failed, the frames from `offset` on are gone (the error's
    /// [`discarded`](Error::discarded) names them), `count() == offset()`,
    /// and whatever part of the new chunk reached the storage is a truncated
    /// tail, as a reopened reader sees it (Q7). One exception: if the
    /// storage failed in the padding and the whole chunk cannot be cut off
    /// either, the frame is readable and so counted, and the error is still
    /// returned.
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
        let (pos, offset) = (self.pos, self.offset);
        let end = pos + hdr.chunk_len(self.version);
        // Frames (or a partial chunk) after `pos` are cut first: a write that
        // then fails cannot leave old chunks behind a partly written new one.
        let lost_end = self.count;
        if self.len > pos {
            self.file.truncate_at(pos)?;
            self.len = pos;
            self.tail = None;
            self.index.truncate_after(offset);
            self.count = offset;
        }
        let pad = [0u8; 16];
        let header = hdr.encode_v2();
        let pad_len = padding(u64::from(payload_len)) as usize;
        let parts: [&[u8]; 3] = [&header, img.data, &pad[..pad_len]];
        match self.file.write_at(pos, &parts) {
            Ok(()) => {
                self.len = end;
                self.commit_write(end, tick);
                Ok(())
            }
            Err(WriteFailure { written, error }) => {
                let error = error.discarding(offset, lost_end);
                let whole = self.version.chunk_header_len() + u64::from(payload_len);
                self.write_failed(pos + written, written >= whole, end, tick);
                Err(error)
            }
        }
    }

    /// The chunk ending at `end` is in the file: it is the current frame.
    fn commit_write(&mut self, end: u64, tick: u64) {
        self.index.record(self.offset + 1, end);
        self.last_tick = tick;
        self.pos = end;
        self.offset += 1;
        self.count = self.offset;
    }

    /// The write of the chunk at `self.pos` failed with the file now `len`
    /// bytes long. A part of a chunk is a truncated tail (Q7), found and
    /// reported when a read gets there, as a reopened reader would. But if
    /// only padding is missing (`readable`), a reader takes the chunk as a
    /// whole last frame: it is cut off, or, if the cut fails too, counted.
    fn write_failed(&mut self, len: u64, readable: bool, end: u64, tick: u64) {
        self.len = len;
        if readable {
            if self.file.truncate_at(self.pos).is_ok() {
                self.len = self.pos;
            } else {
                self.commit_write(end, tick);
            }
        }
    }

    /// Flush buffered data to the storage (`sync`, docs/api.md §3). A stream
    /// opened with `"r"` has written nothing: nothing is flushed.
    pub fn sync(&mut self) -> Result<()> {
        self.check_open()?;
        self.flush()
    }

    /// Flush and close. Closing again does nothing (idempotent, as OpenMV ≥ 4.8).
    pub fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        self.flush()
    }

    fn flush(&mut self) -> Result<()> {
        match self.mode {
            Mode::Read => Ok(()),
            Mode::Write => self.file.flush(self.pos),
        }
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
