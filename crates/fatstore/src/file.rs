//! [`FatFile`]: an open file as `omv-imageio` storage.

use core::ops::Deref;

use embedded_io::{ErrorType, Read, Seek, SeekFrom, Write};
use embedded_sdmmc::{BlockDevice, Error as SdError, Mode, RawFile, TimeSource};

use crate::error::{FsError, StoreError};
use crate::path::FatPath;
use crate::store::{FatStore, OpenMode};

/// Name of the scratch file a mid-file truncation copies through.
pub const SCRATCH_NAME: &str = "OMVTRUNC.TMP";
const PATH_CAP: usize = 128;

/// Anything that gives shared access to a [`FatStore`]: `&FatStore`,
/// `Rc<FatStore>`, `Arc<FatStore>`, ... (blanket-implemented over `Deref`).
pub trait StoreRef {
    /// The block device.
    type Device: BlockDevice;
    /// The file time source.
    type Time: TimeSource;
    /// The store.
    fn store(&self) -> &FatStore<Self::Device, Self::Time>;
}

impl<S, D, T> StoreRef for S
where
    S: Deref<Target = FatStore<D, T>>,
    D: BlockDevice,
    T: TimeSource,
{
    type Device = D;
    type Time = T;
    fn store(&self) -> &FatStore<D, T> {
        self
    }
}

type DevError<R> = <<R as StoreRef>::Device as BlockDevice>::Error;

/// An open file on a [`FatStore`]: `embedded-io` `Read + Write + Seek` and
/// `omv_imageio::Truncate`, so it is an `omv_imageio::Storage`.
///
/// Dropping the file closes it (flushing its length, errors ignored); call
/// [`close`](Self::close) to see the error. After `close` every operation
/// fails with `BadHandle`.
pub struct FatFile<R: StoreRef> {
    store: R,
    /// `None` once closed.
    handle: Option<Handle>,
    /// This file is the store's one appender.
    appender: bool,
    path: [u8; PATH_CAP],
    path_len: usize,
}

/// How an open file is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handle {
    /// Through `embedded-sdmmc` (reading, appending).
    Sd(RawFile),
    /// Through the store's recording writer in `slot` (`"w"`); `lock` is
    /// a read-only handle that keeps the file from being opened twice.
    Rec { slot: usize, lock: RawFile },
}

impl<R: StoreRef> core::fmt::Debug for FatFile<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FatFile")
            .field("path", &self.path_str())
            .field("open", &self.handle.is_some())
            .finish()
    }
}

impl<R: StoreRef> FatFile<R> {
    /// Open `path` on the store behind `store`.
    pub fn open(store: R, path: &str, mode: OpenMode) -> Result<Self, StoreError<DevError<R>>> {
        let p = FatPath::parse(path)?;
        let bytes = path.as_bytes();
        let mut buf = [0u8; PATH_CAP];
        // FatPath::parse bounds the length by PATH_CAP.
        let dst = buf.get_mut(..bytes.len()).ok_or(StoreError::BadPath {
            reason: "longer than 128 bytes",
        })?;
        dst.copy_from_slice(bytes);
        let st = store.store();
        let writers = st.appender.get() || st.recs.borrow().iter().any(Option::is_some);
        let handle = match (mode, st.layout) {
            (OpenMode::Write, Some(lay)) => {
                let (slot, lock) = st.open_rec(&p, lay)?;
                Handle::Rec { slot, lock }
            }
            (OpenMode::Read, Some(lay)) => match st.open_reader(&p, lay)? {
                Some((slot, lock)) => Handle::Rec { slot, lock },
                None => Handle::Sd(st.open_raw(&p, mode.sdmmc())?),
            },
            (OpenMode::Read, None) => Handle::Sd(st.open_raw(&p, mode.sdmmc())?),
            _ if writers => return Err(StoreError::Fs(SdError::TooManyOpenFiles)),
            _ => Handle::Sd(st.open_raw(&p, mode.sdmmc())?),
        };
        let appender = matches!(handle, Handle::Sd(_)) && mode != OpenMode::Read;
        if appender {
            st.appender.set(true);
        }
        Ok(FatFile {
            store,
            handle: Some(handle),
            appender,
            path: buf,
            path_len: bytes.len(),
        })
    }

    /// True if the file goes through a writer slot: the recording writer
    /// (opened with [`OpenMode::Write`]) or its multi-block reader
    /// ([`OpenMode::Read`] when the slot is free).
    pub fn is_recording(&self) -> bool {
        matches!(self.handle, Some(Handle::Rec { .. }))
    }

    /// The recording writer's slot, if this file has one.
    fn rec_slot(&self) -> Result<Option<usize>, FsError<DevError<R>>> {
        match self.handle()? {
            Handle::Rec { slot, .. } => Ok(Some(slot)),
            Handle::Sd(_) => Ok(None),
        }
    }

    fn handle(&self) -> Result<Handle, FsError<DevError<R>>> {
        self.handle.ok_or(FsError(SdError::BadHandle))
    }

    /// The path the file was opened with.
    pub fn path_str(&self) -> &str {
        core::str::from_utf8(&self.path[..self.path_len]).unwrap_or("")
    }

    /// The `embedded-sdmmc` file (`BadHandle` if closed or recording).
    fn raw(&self) -> Result<RawFile, FsError<DevError<R>>> {
        match self.handle()? {
            Handle::Sd(raw) => Ok(raw),
            Handle::Rec { .. } => Err(FsError(SdError::BadHandle)),
        }
    }

    /// The store this file is on.
    pub fn store(&self) -> &FatStore<R::Device, R::Time> {
        self.store.store()
    }

    /// Current length in bytes (including writes not yet flushed).
    pub fn len(&self) -> Result<u32, FsError<DevError<R>>> {
        match self.handle()? {
            Handle::Sd(raw) => Ok(self.store().vm.file_length(raw)?),
            Handle::Rec { slot, .. } => {
                Ok(self.store().with_rec(slot, |r, _, _, _| Ok(r.len()))?)
            }
        }
    }

    /// True if the file is empty.
    pub fn is_empty(&self) -> Result<bool, FsError<DevError<R>>> {
        Ok(self.len()? == 0)
    }

    /// Current position.
    pub fn position(&self) -> Result<u32, FsError<DevError<R>>> {
        match self.handle()? {
            Handle::Sd(raw) => Ok(self.store().vm.file_offset(raw)?),
            Handle::Rec { slot, .. } => {
                Ok(self.store().with_rec(slot, |r, _, _, _| Ok(r.pos()))?)
            }
        }
    }

    /// Read up to `buf.len()` bytes from byte `offset`; 0 at or past the end.
    pub fn read_at(&mut self, offset: u32, buf: &mut [u8]) -> Result<usize, FsError<DevError<R>>> {
        if let Some(slot) = self.rec_slot()? {
            return Ok(self.store().with_rec(slot, |r, d, _, _| {
                if offset >= r.len() {
                    return Ok(0);
                }
                r.seek(offset)?;
                r.read(d, buf)
            })?);
        }
        let raw = self.raw()?;
        let vm = &self.store.store().vm;
        if offset >= vm.file_length(raw)? {
            return Ok(0);
        }
        vm.file_seek_from_start(raw, offset)?;
        let mut done = 0;
        while done < buf.len() {
            let n = vm.read(raw, &mut buf[done..])?;
            if n == 0 {
                break;
            }
            done += n;
        }
        Ok(done)
    }

    /// Commit what was written: with the recording writer, data, FAT1,
    /// FAT2 and the directory entry (see the `rec` module); otherwise
    /// `embedded-sdmmc`'s flush (directory entry and FAT info sector).
    pub fn flush(&mut self) -> Result<(), FsError<DevError<R>>> {
        match self.handle()? {
            Handle::Sd(raw) => Ok(self.store().vm.flush_file(raw)?),
            Handle::Rec { slot, .. } => Ok(self.store().with_rec(slot, |r, d, _, _| r.sync(d))?),
        }
    }

    /// Flush and close. Closing again does nothing. The file is closed
    /// (its writer slot freed) even if the final flush fails.
    pub fn close(&mut self) -> Result<(), FsError<DevError<R>>> {
        let Some(handle) = self.handle.take() else {
            return Ok(());
        };
        let st = self.store.store();
        let out = match handle {
            Handle::Sd(raw) => st.vm.close_file(raw),
            Handle::Rec { slot, lock } => st.close_rec(slot, lock),
        };
        if self.appender {
            st.appender.set(false);
            self.appender = false;
        }
        Ok(out?)
    }

    /// Cut the file at `pos` (see the crate docs on truncation).
    fn truncate_at(&mut self, pos: u32) -> Result<(), FsError<DevError<R>>> {
        if let Some(slot) = self.rec_slot()? {
            return Ok(self.store().with_rec(slot, |r, _, _, _| {
                r.seek(pos)?;
                r.truncate();
                Ok(())
            })?);
        }
        let raw = self.raw()?;
        let len = self.len()?;
        if pos >= len {
            return Ok(());
        }
        let mut path_buf = [0u8; PATH_CAP];
        path_buf[..self.path_len].copy_from_slice(&self.path[..self.path_len]);
        let path_str = core::str::from_utf8(&path_buf[..self.path_len])
            .map_err(|_| FsError(SdError::BadHandle))?;
        let path = FatPath::parse(path_str).map_err(|_| FsError(SdError::BadHandle))?;
        let store = self.store.store();
        let vm = &store.vm;
        if pos == 0 {
            self.handle = None;
            vm.close_file(raw)?;
            self.handle = Some(Handle::Sd(reopen(store, &path, Mode::ReadWriteTruncate)?));
            return Ok(());
        }
        // 1. Copy the kept prefix to the scratch file.
        let scratch = open_scratch(store, &path, Mode::ReadWriteCreateOrTruncate)?;
        let result = (|| -> Result<(), FsError<DevError<R>>> {
            vm.file_seek_from_start(raw, 0)?;
            copy(vm, raw, scratch, pos)?;
            // 2. Empty the file and copy the prefix back.
            self.handle = None;
            vm.close_file(raw)?;
            let new = reopen(store, &path, Mode::ReadWriteTruncate)?;
            self.handle = Some(Handle::Sd(new));
            vm.file_seek_from_start(scratch, 0)?;
            copy(vm, scratch, new, pos)?;
            Ok(vm.flush_file(new)?)
        })();
        // 3. Leave the scratch file one byte long (see the crate docs).
        let _ = vm.close_file(scratch);
        let cleanup = open_scratch(store, &path, Mode::ReadWriteTruncate).and_then(|s| {
            let w = vm.write(s, &[0]);
            let c = vm.close_file(s);
            w.and(c).map_err(FsError)
        });
        result?;
        cleanup
    }
}

fn reopen<D: BlockDevice, T: TimeSource>(
    store: &FatStore<D, T>,
    path: &FatPath<'_>,
    mode: Mode,
) -> Result<RawFile, FsError<D::Error>> {
    store.open_raw(path, mode).map_err(|e| match e {
        StoreError::Fs(e) => FsError(e),
        StoreError::BadPath { .. } => FsError(SdError::BadHandle),
    })
}

fn open_scratch<D: BlockDevice, T: TimeSource>(
    store: &FatStore<D, T>,
    path: &FatPath<'_>,
    mode: Mode,
) -> Result<RawFile, FsError<D::Error>> {
    store
        .open_sibling(path, SCRATCH_NAME, mode)
        .map_err(|e| match e {
            StoreError::Fs(e) => FsError(e),
            StoreError::BadPath { .. } => FsError(SdError::BadHandle),
        })
}

/// Copy `n` bytes from `from`'s position to `to`'s position.
fn copy<D: BlockDevice, T: TimeSource>(
    vm: &crate::store::Vm<D, T>,
    from: RawFile,
    to: RawFile,
    n: u32,
) -> Result<(), SdError<D::Error>> {
    let mut buf = [0u8; 512];
    let mut left = n as usize;
    while left > 0 {
        let want = left.min(buf.len());
        let got = vm.read(from, &mut buf[..want])?;
        if got == 0 {
            return Err(SdError::EndOfFile);
        }
        vm.write(to, &buf[..got])?;
        left -= got;
    }
    Ok(())
}

impl<R: StoreRef> Drop for FatFile<R> {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

impl<R: StoreRef> ErrorType for FatFile<R> {
    type Error = FsError<DevError<R>>;
}

impl<R: StoreRef> Read for FatFile<R> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        match self.handle()? {
            Handle::Sd(raw) => Ok(self.store().vm.read(raw, buf)?),
            Handle::Rec { slot, .. } => {
                Ok(self.store().with_rec(slot, |r, d, _, _| r.read(d, buf))?)
            }
        }
    }
}

impl<R: StoreRef> Write for FatFile<R> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(slot) = self.rec_slot()? {
            return Ok(self
                .store()
                .with_rec(slot, |r, d, hint, others| r.write(d, others, buf, hint))?);
        }
        let raw = self.raw()?;
        let vm = &self.store.store().vm;
        let before = vm.file_offset(raw)?;
        match vm.write(raw, buf) {
            Ok(()) => Ok(buf.len()),
            Err(SdError::DiskFull) => {
                // embedded-sdmmc 0.10 links the card's last free cluster into
                // the chain and *then* reports DiskFull (its search for the
                // next free cluster fails). Report the bytes written so far;
                // a retry fills that linked cluster, so the file's length and
                // its chain agree (fsck-clean). Only a write that moved
                // nothing is an error.
                let done = vm.file_offset(raw)?.saturating_sub(before);
                if done > 0 {
                    return Ok(done as usize);
                }
                match vm.write(raw, buf) {
                    Ok(()) => Ok(buf.len()),
                    Err(e) => {
                        let done = vm.file_offset(raw)?.saturating_sub(before);
                        if done > 0 {
                            Ok(done as usize)
                        } else {
                            Err(FsError(e))
                        }
                    }
                }
            }
            Err(e) => Err(FsError(e)),
        }
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        FatFile::flush(self)
    }
}

impl<R: StoreRef> Seek for FatFile<R> {
    fn seek(&mut self, pos: SeekFrom) -> Result<u64, Self::Error> {
        let base = match pos {
            SeekFrom::Start(_) => 0,
            SeekFrom::End(_) => i64::from(self.len()?),
            SeekFrom::Current(_) => i64::from(self.position()?),
        };
        let delta = match pos {
            SeekFrom::Start(n) => i64::try_from(n).unwrap_or(i64::MAX),
            SeekFrom::End(d) | SeekFrom::Current(d) => d,
        };
        let target = base
            .checked_add(delta)
            .and_then(|t| u32::try_from(t).ok())
            .ok_or(FsError(SdError::InvalidOffset))?;
        match self.handle()? {
            Handle::Sd(raw) => self.store().vm.file_seek_from_start(raw, target)?,
            Handle::Rec { slot, .. } => self.store().with_rec(slot, |r, _, _, _| r.seek(target))?,
        }
        Ok(u64::from(target))
    }
}

impl<R: StoreRef> omv_imageio::Truncate for FatFile<R> {
    fn truncate(&mut self) -> Result<(), Self::Error> {
        let pos = self.position()?;
        self.truncate_at(pos)
    }
}
