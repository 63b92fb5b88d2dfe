//! Memory streams: frames in fixed slots of a caller-provided buffer, with
//! OpenMV's slot sizing (docs/api.md §2.2).
//!
//! Slot layout (ours; OpenMV's is internal too and never persisted): 32
//! header bytes — elapsed µs (u64), width, height, pixformat code, payload
//! length, a "written" marker — then `buffer_size` payload bytes.

use crate::error::{Error, ErrorKind, Result};
use crate::frame::{check_dimensions, Frame, FrameInfo, Image, ReadOptions};
use crate::pixformat::PixFormat;
use crate::schedule::Schedule;
use crate::time::Wait;

/// Bytes of a slot header (OpenMV's `IMAGE_T_SIZE_ALIGNED` on 32-bit MCUs).
pub const SLOT_HEADER_LEN: u64 = 32;
/// Slot alignment (OpenMV's `OMV_CACHE_LINE_SIZE`).
pub const SLOT_ALIGN: u64 = 32;
const WRITTEN: [u8; 4] = *b"SLOT";

/// Sizing of a memory stream for `(w, h, pixformat) × count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryLayout {
    /// OpenMV's estimate of one frame's payload: `image_size`, or for
    /// JPEG/PNG `((w+31)>>5)*4*2h` ("2 bits per pixel").
    pub estimate: u64,
    /// Payload bytes per slot: the estimate rounded up to 32 (`buffer_size()`).
    pub buffer_size: u64,
    /// Bytes per slot: header + `buffer_size`.
    pub slot: u64,
    /// Slots.
    pub count: u32,
    /// Bytes of the whole buffer: `count × slot` (`size()`).
    pub total: u64,
}

impl MemoryLayout {
    /// Compute the layout, rejecting what OpenMV would accept and then
    /// misbehave on (Q15): zero or oversized dimensions, a zero count.
    pub fn new(width: u32, height: u32, pixformat: PixFormat, count: u32) -> Result<Self> {
        if width == 0 || height == 0 {
            return Err(Error::new(ErrorKind::InvalidArgument(
                "memory stream width and height must be at least 1",
            )));
        }
        if count == 0 {
            return Err(Error::new(ErrorKind::InvalidArgument(
                "memory stream count must be at least 1",
            )));
        }
        check_dimensions(width, height)?;
        let estimate = match pixformat.raw_payload_len(width, height) {
            Some(n) => n,
            None => u64::from(width).div_ceil(32) * 4 * 2 * u64::from(height),
        };
        let buffer_size = estimate.div_ceil(SLOT_ALIGN) * SLOT_ALIGN;
        let slot = SLOT_HEADER_LEN + buffer_size;
        Ok(MemoryLayout {
            estimate,
            buffer_size,
            slot,
            count,
            total: slot * u64::from(count),
        })
    }
}

/// How many bytes a memory stream of `(w, h, pixformat) × count` needs.
pub fn memory_stream_bytes(
    width: u32,
    height: u32,
    pixformat: PixFormat,
    count: u32,
) -> Result<usize> {
    let total = MemoryLayout::new(width, height, pixformat, count)?.total;
    usize::try_from(total).map_err(|_| {
        Error::new(ErrorKind::BufferTooSmall {
            needed: total,
            available: usize::MAX as u64,
        })
    })
}

/// A memory stream over a caller-provided buffer.
#[derive(Debug)]
pub struct MemoryStream<'a, T> {
    buf: &'a mut [u8],
    time: T,
    layout: MemoryLayout,
    slot: usize,
    offset: u32,
    closed: bool,
    schedule: Schedule,
    last_write_us: u64,
}

impl<'a, T: Wait> MemoryStream<'a, T> {
    /// OpenMV's `ImageIO((w, h, pixformat), count)` over `buf`, which must
    /// hold at least [`memory_stream_bytes`]. Slot headers are cleared, so a
    /// slot never written reads as an error, not garbage (Q9 fixed).
    pub fn new(
        buf: &'a mut [u8],
        width: u32,
        height: u32,
        pixformat: PixFormat,
        count: u32,
        mut time: T,
        max_wait_us: u64,
    ) -> Result<Self> {
        let layout = MemoryLayout::new(width, height, pixformat, count)?;
        let total = layout.total;
        if (buf.len() as u64) < total {
            return Err(Error::new(ErrorKind::BufferTooSmall {
                needed: total,
                available: buf.len() as u64,
            }));
        }
        // total fits in buf.len(), so these fit in usize.
        let slot = layout.slot as usize;
        // The stream keeps the whole buffer (see `into_buffer`); it uses `..total`.
        for s in buf[..total as usize].chunks_exact_mut(slot) {
            s[..SLOT_HEADER_LEN as usize].fill(0);
        }
        let now = time.now_us();
        Ok(MemoryStream {
            buf,
            time,
            layout,
            slot,
            offset: 0,
            closed: false,
            schedule: Schedule::new(now, max_wait_us),
            last_write_us: now,
        })
    }

    fn check_open(&self) -> Result<()> {
        crate::error::ensure_open(self.closed)
    }

    /// The slot capacity (OpenMV: `count` is the capacity for memory streams).
    pub fn count(&self) -> Result<u32> {
        self.check_open().map(|_| self.layout.count)
    }

    /// Index of the next slot to read or write.
    pub fn offset(&self) -> Result<u32> {
        self.check_open().map(|_| self.offset)
    }

    /// Payload bytes per slot (`buffer_size()`), excluding the slot header.
    pub fn buffer_size(&self) -> Result<u64> {
        self.check_open().map(|_| self.layout.buffer_size)
    }

    /// Bytes of the whole buffer, slot headers included (`size()`, Q18).
    pub fn size(&self) -> Result<u64> {
        self.check_open().map(|_| self.layout.total)
    }

    /// The sizing of this stream.
    pub fn layout(&self) -> MemoryLayout {
        self.layout
    }

    /// The time source.
    pub fn time_mut(&mut self) -> &mut T {
        &mut self.time
    }

    /// Give back the whole buffer passed to [`new`](Self::new), so a
    /// long-lived owner (an agent with one RAM region for memory streams)
    /// can open another stream in it after this one is done.
    pub fn into_buffer(self) -> &'a mut [u8] {
        self.buf
    }

    fn slot_range(&self, i: u32) -> core::ops::Range<usize> {
        let start = i as usize * self.slot;
        start..start + self.slot
    }

    /// Store `img` in the slot at `offset` and move to the next slot.
    /// Full: `EndOfStream`. Payload larger than `buffer_size`:
    /// `InvalidFrameSize` (Q4 fixed: OpenMV compares with the slot size and
    /// overflows). Frames may differ in size and format from the constructor's.
    pub fn write(&mut self, img: &Image<'_>) -> Result<()> {
        self.check_open()?;
        let len = img.validate()?;
        if self.offset >= self.layout.count {
            return Err(Error::new(ErrorKind::EndOfStream));
        }
        if u64::from(len) > self.layout.buffer_size {
            return Err(Error::new(ErrorKind::InvalidFrameSize {
                size: u64::from(len),
                allowed: self.layout.buffer_size,
            }));
        }
        let now = self.time.now_us();
        let elapsed_us = now.saturating_sub(self.last_write_us);
        let range = self.slot_range(self.offset);
        let s = &mut self.buf[range];
        s[0..8].copy_from_slice(&elapsed_us.to_le_bytes());
        for (i, v) in [img.width, img.height, img.pixformat.code(), len]
            .into_iter()
            .enumerate()
        {
            s[8 + 4 * i..12 + 4 * i].copy_from_slice(&v.to_le_bytes());
        }
        s[24..28].copy_from_slice(&WRITTEN);
        let h = SLOT_HEADER_LEN as usize;
        s[h..h + len as usize].copy_from_slice(img.data);
        self.last_write_us = now;
        // OpenMV: the replay schedule of a memory stream starts at the last write.
        self.schedule.restart_at(now);
        self.offset += 1;
        Ok(())
    }

    /// Decode the header of slot `i`.
    fn slot_info(&self, i: u32) -> Result<FrameInfo> {
        let range = self.slot_range(i);
        let at = range.start as u64;
        let s = &self.buf[range];
        let word = |k: usize| {
            let mut w = [0u8; 4];
            w.copy_from_slice(&s[8 + 4 * k..12 + 4 * k]);
            u32::from_le_bytes(w)
        };
        if s[24..28] != WRITTEN {
            return Err(Error::at(ErrorKind::EmptySlot(i), at));
        }
        let mut e = [0u8; 8];
        e.copy_from_slice(&s[0..8]);
        let elapsed_us = u64::from_le_bytes(e);
        let code = word(2);
        // The buffer is the caller's: never trust a length found in it.
        if u64::from(word(3)) > self.layout.buffer_size {
            return Err(Error::at(
                ErrorKind::InvalidFrameSize {
                    size: u64::from(word(3)),
                    allowed: self.layout.buffer_size,
                },
                at,
            ));
        }
        let pixformat =
            PixFormat::from_code(code).ok_or(Error::at(ErrorKind::InvalidPixformat(code), at))?;
        Ok(FrameInfo {
            index: i,
            offset: at,
            elapsed: u32::try_from(elapsed_us / 1000).unwrap_or(u32::MAX),
            elapsed_us,
            width: word(0),
            height: word(1),
            pixformat,
            payload_len: word(3),
            size_field: if pixformat.is_compressed() {
                word(3)
            } else {
                0
            },
            wait_clamped: false,
        })
    }

    /// Pace and consume the frame at `offset`; returns its info.
    fn next_frame(&mut self, opts: ReadOptions) -> Result<FrameInfo> {
        self.check_open()?;
        // OpenMV ignores `loop` for memory streams: the end is an error.
        if self.offset >= self.layout.count {
            return Err(Error::new(ErrorKind::EndOfStream));
        }
        let mut info = self.slot_info(self.offset)?;
        let step = self
            .schedule
            .next(&mut self.time, info.elapsed_us, opts.pause)?;
        self.schedule.commit(step);
        info.wait_clamped = step.clamped;
        self.offset += 1;
        Ok(info)
    }

    /// Read the next frame into `fb` (`copy_to_fb = true`). At the end:
    /// `EndOfStream`, whatever `loop_` says (as OpenMV). A slot never
    /// written: `EmptySlot`.
    pub fn read(&mut self, fb: &mut [u8], opts: ReadOptions) -> Result<FrameInfo> {
        self.check_open()?;
        if self.offset < self.layout.count {
            let info = self.slot_info(self.offset)?;
            if fb.len() < info.payload_len as usize {
                return Err(Error::at(
                    ErrorKind::BufferTooSmall {
                        needed: u64::from(info.payload_len),
                        available: fb.len() as u64,
                    },
                    info.offset,
                ));
            }
        }
        let info = self.next_frame(opts)?;
        let start = info.offset as usize + SLOT_HEADER_LEN as usize;
        let n = info.payload_len as usize;
        fb[..n].copy_from_slice(&self.buf[start..start + n]);
        Ok(info)
    }

    /// Read the next frame as a view into the stream's buffer, without
    /// copying (`copy_to_fb = false`).
    pub fn read_view(&mut self, opts: ReadOptions) -> Result<Frame<'_>> {
        let info = self.next_frame(opts)?;
        let start = info.offset as usize + SLOT_HEADER_LEN as usize;
        Ok(Frame {
            info,
            data: &self.buf[start..start + info.payload_len as usize],
        })
    }

    /// Move to slot `target` (< count, else `InvalidOffset`). The replay
    /// schedule restarts from now (as file streams).
    pub fn seek(&mut self, target: u32) -> Result<()> {
        self.check_open()?;
        if target >= self.layout.count {
            return Err(Error::new(ErrorKind::InvalidOffset {
                offset: target,
                count: self.layout.count,
            }));
        }
        self.offset = target;
        self.schedule.restart(&mut self.time);
        Ok(())
    }

    /// Nothing to flush (a no-op for memory streams in OpenMV too).
    pub fn sync(&mut self) -> Result<()> {
        self.check_open()
    }

    /// Close; idempotent. The buffer belongs to the caller and is only
    /// released when this stream is dropped (no Q20 cross-stream frees).
    pub fn close(&mut self) -> Result<()> {
        self.closed = true;
        Ok(())
    }

    /// True once closed.
    pub fn is_closed(&self) -> bool {
        self.closed
    }
}
