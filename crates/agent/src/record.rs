//! [`ResetRecord`]: the bytes a firmware leaves in no-init RAM (NOLOAD,
//! not zeroed at boot) when it faults, panics or sees its watchdog expire,
//! so that the agent booted after the reset can report why. A magic word
//! and a CRC-32 tell a real record from the garbage RAM holds after power-on.

use core::fmt;

use omv_proto::{FaultReport, PanicReport, ResetReport, MAX_MESSAGE, MAX_PANIC_FILE};

/// First word of a valid record ("OMVR").
pub const RECORD_MAGIC: u32 = 0x4f4d_5652;

const KIND_FAULT: u32 = 1;
const KIND_PANIC: u32 = 2;
const KIND_WATCHDOG: u32 = 3;

/// Bit of `words[FLAGS]`: the exception frame was read (pc, lr, xpsr valid).
const FRAME_READ: u32 = 1;
/// Indices into `words`.
const PC: usize = 0;
const LR: usize = 1;
const XPSR: usize = 2;
const SP: usize = 3;
const CFSR: usize = 4;
const HFSR: usize = 5;
const MMFAR: usize = 6;
const BFAR: usize = 7;
const FLAGS: usize = 8;

/// A reset record, plain words and bytes (`repr(C)`, any bit pattern is a
/// value, so reading one from uninitialised RAM is harmless).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetRecord {
    magic: u32,
    kind: u32,
    words: [u32; 9],
    line: u32,
    text_len: u32,
    text: [u8; MAX_MESSAGE],
    file_len: u32,
    file: [u8; MAX_PANIC_FILE],
    crc: u32,
}

impl ResetRecord {
    /// An invalid (cleared) record.
    pub const EMPTY: ResetRecord = ResetRecord {
        magic: 0,
        kind: 0,
        words: [0; 9],
        line: 0,
        text_len: 0,
        text: [0; MAX_MESSAGE],
        file_len: 0,
        file: [0; MAX_PANIC_FILE],
        crc: 0,
    };

    fn sealed(mut self) -> Self {
        self.magic = RECORD_MAGIC;
        self.crc = self.checksum();
        self
    }

    /// A fault's registers (`frame`: stacked PC, LR, xPSR if they could be read).
    pub fn fault(r: &FaultReport) -> Self {
        let mut rec = ResetRecord::EMPTY;
        rec.kind = KIND_FAULT;
        if let (Some(pc), Some(lr), Some(xpsr)) = (r.pc, r.lr, r.xpsr) {
            rec.words[PC] = pc;
            rec.words[LR] = lr;
            rec.words[XPSR] = xpsr;
            rec.words[FLAGS] = FRAME_READ;
        }
        rec.words[SP] = r.sp;
        rec.words[CFSR] = r.cfsr;
        rec.words[HFSR] = r.hfsr;
        rec.words[MMFAR] = r.mmfar;
        rec.words[BFAR] = r.bfar;
        rec.sealed()
    }

    /// A panic: `message` formatted into the record (truncated at a
    /// character boundary), the file's tail if it is long.
    pub fn panic(message: &dyn fmt::Display, file: &str, line: u32) -> Self {
        let mut rec = ResetRecord::panic_str("", file, line);
        let mut w = ByteWriter {
            buf: &mut rec.text,
            len: 0,
        };
        let _ = fmt::write(&mut w, format_args!("{message}"));
        rec.text_len = w.len as u32;
        rec.sealed()
    }

    /// [`panic`](Self::panic) without formatting (no indirect calls, for a
    /// panic handler whose stack budget cannot afford `core::fmt`).
    pub fn panic_str(message: &str, file: &str, line: u32) -> Self {
        let mut rec = ResetRecord::EMPTY;
        rec.kind = KIND_PANIC;
        let mut w = ByteWriter {
            buf: &mut rec.text,
            len: 0,
        };
        let _ = fmt::Write::write_str(&mut w, message);
        rec.text_len = w.len as u32;
        let mut start = file.len().saturating_sub(MAX_PANIC_FILE);
        while !file.is_char_boundary(start) {
            start += 1;
        }
        // No indexing: the panic handler calls this, and must not panic.
        let tail = file.as_bytes().get(start..).unwrap_or_default();
        let mut n = 0;
        for (d, b) in rec.file.iter_mut().zip(tail) {
            *d = *b;
            n += 1;
        }
        rec.file_len = n;
        rec.line = line;
        rec.sealed()
    }

    /// A watchdog expiry, at `pc` if the board had an early warning.
    pub fn watchdog(pc: Option<u32>) -> Self {
        let mut rec = ResetRecord::EMPTY;
        rec.kind = KIND_WATCHDOG;
        if let Some(pc) = pc {
            rec.words[PC] = pc;
            rec.words[FLAGS] = FRAME_READ;
        }
        rec.sealed()
    }

    fn checksum(&self) -> u32 {
        let mut d = omv_proto::CRC32.digest();
        d.update(&self.magic.to_le_bytes());
        d.update(&self.kind.to_le_bytes());
        for w in &self.words {
            d.update(&w.to_le_bytes());
        }
        d.update(&self.line.to_le_bytes());
        d.update(&self.text_len.to_le_bytes());
        d.update(&self.text);
        d.update(&self.file_len.to_le_bytes());
        d.update(&self.file);
        d.finalize()
    }

    /// What the record says, if it is one (magic, CRC and lengths check
    /// out); `None` for garbage or a cleared record.
    pub fn report(&self) -> Option<ResetReport> {
        if self.magic != RECORD_MAGIC || self.crc != self.checksum() {
            return None;
        }
        let framed = self.words[FLAGS] & FRAME_READ != 0;
        let w = |i: usize| framed.then_some(self.words[i]);
        match self.kind {
            KIND_FAULT => Some(ResetReport::Fault(FaultReport {
                pc: w(PC),
                lr: w(LR),
                xpsr: w(XPSR),
                sp: self.words[SP],
                cfsr: self.words[CFSR],
                hfsr: self.words[HFSR],
                mmfar: self.words[MMFAR],
                bfar: self.words[BFAR],
            })),
            KIND_PANIC => {
                let text = self.text.get(..self.text_len as usize)?;
                let file = self.file.get(..self.file_len as usize)?;
                Some(ResetReport::Panic(PanicReport {
                    message: omv_proto::bounded(core::str::from_utf8(text).ok()?),
                    file: omv_proto::bounded(core::str::from_utf8(file).ok()?),
                    line: self.line,
                }))
            }
            KIND_WATCHDOG => Some(ResetReport::Watchdog { pc: w(PC) }),
            _ => None,
        }
    }
}

/// Formats into a fixed buffer, dropping what does not fit (whole characters).
struct ByteWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl fmt::Write for ByteWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            let mut tmp = [0u8; 4];
            let bytes = c.encode_utf8(&mut tmp).as_bytes();
            if self.buf.len() - self.len < bytes.len() {
                return Ok(());
            }
            // No indexing (see `panic`): the room was checked above.
            for (d, b) in self.buf.iter_mut().skip(self.len).zip(bytes) {
                *d = *b;
            }
            self.len += bytes.len();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_reads_back_and_garbage_does_not() {
        let fault = FaultReport {
            pc: Some(0x800),
            lr: Some(0x801),
            xpsr: Some(0x0100_0000),
            sp: 0x2000_1000,
            cfsr: 1 << 16,
            hfsr: 1 << 30,
            mmfar: 0,
            bfar: 0,
        };
        let rec = ResetRecord::fault(&fault);
        assert_eq!(rec.report(), Some(ResetReport::Fault(fault)));
        let overflow = FaultReport {
            sp: 0x1fff_ffe0,
            cfsr: 1 << 12,
            ..FaultReport::default()
        };
        assert_eq!(
            ResetRecord::fault(&overflow).report(),
            Some(ResetReport::Fault(overflow))
        );
        assert_eq!(
            ResetRecord::watchdog(Some(0x1234)).report(),
            Some(ResetReport::Watchdog { pc: Some(0x1234) })
        );
        assert_eq!(
            ResetRecord::watchdog(None).report(),
            Some(ResetReport::Watchdog { pc: None })
        );
        assert_eq!(ResetRecord::EMPTY.report(), None);
        // One flipped bit anywhere: not a record.
        let mut bad = rec;
        bad.words[CFSR] ^= 1 << 3;
        assert_eq!(bad.report(), None);
        let mut bad = rec;
        bad.magic ^= 1;
        assert_eq!(bad.report(), None);
    }

    #[test]
    fn a_panic_keeps_a_truncated_message_and_the_files_tail() {
        let long = "ä".repeat(100);
        let file = "a/very/long/path/that/does/not/fit/in/the/record/src/main.rs";
        let rec = ResetRecord::panic(&format_args!("{long}"), file, 77);
        let Some(ResetReport::Panic(p)) = rec.report() else {
            panic!("{:?}", rec.report())
        };
        assert_eq!(p.message.as_str(), "ä".repeat(MAX_MESSAGE / 2));
        assert!(p.file.ends_with("/src/main.rs") && p.file.len() <= MAX_PANIC_FILE);
        assert_eq!(p.line, 77);
    }
}
