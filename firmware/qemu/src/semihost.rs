//! Semihosting calls the firmware uses besides exit: the command line
//! (`-semihosting-config arg=...`), writes to QEMU's stdout/stderr and the
//! card image file on the host (the part of the card beyond the PSRAM).
//!
//! Writes to the semihosting console cost ~0.8 ms per call under QEMU 7.2,
//! whatever their size, so [`StdoutTx`] batches up to 16 KiB per call:
//! 1 MiB reaches the host in ~20 ms instead of ~5 s over the UART.
//!
//! Operation numbers and `fopen` mode indices are cortex-m-semihosting's
//! (`nr`); `:tt` opened with mode "w" is stdout, with "a" stderr.
#![allow(unsafe_code)]

use cortex_m_semihosting::nr::{self, open};

/// Copies the semihosting command line into `buf`; `None` if the host has
/// none or it does not fit.
pub fn cmdline(buf: &mut [u8]) -> Option<&str> {
    let mut args = [buf.as_mut_ptr() as usize, buf.len()];
    // SAFETY: SYS_GET_CMDLINE takes [buffer, length]; the host writes at
    // most `length` bytes into the buffer and the used length back.
    let rc = unsafe { cortex_m_semihosting::syscall1(nr::GET_CMDLINE, args.as_mut_ptr() as usize) };
    if rc != 0 {
        return None;
    }
    let len = args[1].min(buf.len());
    core::str::from_utf8(&buf[..len]).ok()
}

/// Opens `:tt` (the console) with `mode`; `None` on failure.
fn open_console(mode: usize) -> Option<usize> {
    let name = b":tt\0";
    let args = [name.as_ptr() as usize, mode, name.len() - 1];
    // SAFETY: SYS_OPEN takes [NUL-terminated path, mode, path length].
    let handle = unsafe { cortex_m_semihosting::syscall(nr::OPEN, &args) };
    (handle != usize::MAX).then_some(handle)
}

/// Writes `data` to an open semihosting handle; false if not all was written.
fn write_handle(handle: usize, data: &[u8]) -> bool {
    if data.is_empty() {
        return true;
    }
    let args = [handle, data.as_ptr() as usize, data.len()];
    // SAFETY: SYS_WRITE takes [handle, buffer, length] and only reads the buffer.
    let not_written = unsafe { cortex_m_semihosting::syscall(nr::WRITE, &args) };
    not_written == 0
}

/// A host file opened through semihosting (paths relative to QEMU's
/// working directory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostFile {
    handle: usize,
}

impl HostFile {
    /// Opens an existing file for reading and writing; `None` on failure.
    pub fn open_rw(path: &str) -> Option<Self> {
        let mut name = [0u8; 128];
        let bytes = path.as_bytes();
        if bytes.len() >= name.len() {
            return None;
        }
        name[..bytes.len()].copy_from_slice(bytes);
        let args = [name.as_ptr() as usize, open::RW_BINARY, bytes.len()];
        // SAFETY: SYS_OPEN takes [NUL-terminated path, mode, path length];
        // `name` is NUL-terminated (zeroed past the path).
        let handle = unsafe { cortex_m_semihosting::syscall(nr::OPEN, &args) };
        (handle != usize::MAX).then_some(HostFile { handle })
    }

    fn seek(&self, offset: u32) -> bool {
        let args = [self.handle, offset as usize];
        // SAFETY: SYS_SEEK takes [handle, absolute offset]; 0 on success.
        unsafe { cortex_m_semihosting::syscall(nr::SEEK, &args) == 0 }
    }

    /// Writes `data` at `offset`; false unless all of it was written.
    pub fn write_at(&self, offset: u32, data: &[u8]) -> bool {
        self.seek(offset) && write_handle(self.handle, data)
    }

    /// Reads into `buf` from `offset`; bytes past the end of the file read
    /// as zeros. False if the host failed.
    pub fn read_at(&self, offset: u32, buf: &mut [u8]) -> bool {
        if !self.seek(offset) {
            return false;
        }
        let args = [self.handle, buf.as_mut_ptr() as usize, buf.len()];
        // SAFETY: SYS_READ takes [handle, buffer, length], writes at most
        // `length` bytes into the buffer and returns how many it did not.
        let not_read = unsafe { cortex_m_semihosting::syscall(nr::READ, &args) };
        if not_read > buf.len() {
            return false;
        }
        let got = buf.len() - not_read;
        buf[got..].fill(0);
        true
    }
}

/// Writes a message to QEMU's stderr (for the panic handler).
pub fn write_stderr(data: &[u8]) {
    if let Some(h) = open_console(open::W_APPEND) {
        let _ = write_handle(h, data);
    }
}

/// Bytes batched per semihosting write.
pub const TX_BATCH: usize = 16 * 1024;

/// Buffered output to QEMU's stdout, the fast firmware-to-host path. The
/// batch buffer is a static (taken once), not part of the value: a
/// 16 KiB field would put 16 KiB on the stack wherever the value is made.
pub struct StdoutTx {
    handle: usize,
    buf: &'static mut [u8; TX_BATCH],
    len: usize,
}

impl core::fmt::Debug for StdoutTx {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StdoutTx")
            .field("pending", &self.len)
            .finish()
    }
}

/// QEMU refused to write (its stdout closed: the host side is gone). The
/// error of [`crate::link::UartLink`] too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StdoutClosed;

impl core::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("QEMU's stdout is closed")
    }
}

impl core::error::Error for StdoutClosed {}

impl embedded_io::Error for StdoutClosed {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::BrokenPipe
    }
}

impl StdoutTx {
    /// Opens QEMU's stdout; `None` without semihosting, or if it was
    /// already opened (the batch buffer is taken).
    pub fn open() -> Option<Self> {
        static BATCH: static_cell::ConstStaticCell<[u8; TX_BATCH]> =
            static_cell::ConstStaticCell::new([0; TX_BATCH]);
        let handle = open_console(open::W_TRUNC)?;
        Some(StdoutTx {
            handle,
            buf: BATCH.try_take()?,
            len: 0,
        })
    }

    /// Queues `data`, writing full batches.
    pub fn write(&mut self, mut data: &[u8]) -> Result<(), StdoutClosed> {
        while !data.is_empty() {
            let room = TX_BATCH - self.len;
            let n = room.min(data.len());
            self.buf[self.len..self.len + n].copy_from_slice(&data[..n]);
            self.len += n;
            data = &data[n..];
            if self.len == TX_BATCH {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Writes what is queued.
    pub fn flush(&mut self) -> Result<(), StdoutClosed> {
        let ok = write_handle(self.handle, &self.buf[..self.len]);
        self.len = 0;
        if ok {
            Ok(())
        } else {
            Err(StdoutClosed)
        }
    }

    /// True if bytes are queued.
    pub fn pending(&self) -> bool {
        self.len > 0
    }
}
