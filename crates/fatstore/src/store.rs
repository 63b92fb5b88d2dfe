//! [`FatStore`]: a mounted FAT volume and the paths on it.

use core::cell::{Cell, RefCell};
use core::ops::ControlFlow;

use embedded_sdmmc::{
    BlockDevice, Error as SdError, Mode, RawDirectory, RawFile, RawVolume, TimeSource, Timestamp,
    VolumeIdx, VolumeManager,
};

use crate::error::StoreError;
use crate::file::FatFile;
use crate::layout::{self, Layout};
use crate::path::FatPath;
use crate::rec::{Others, Recorder};

/// Directories open at once (the root stays open, plus a path's walk).
pub(crate) const MAX_DIRS: usize = 6;
/// Files open at once (truncation borrows one for its scratch file).
pub(crate) const MAX_FILES: usize = 6;
/// Files open for writing at once (each writer holds two 512-byte blocks;
/// the firmware keeps the store in its 512 KiB of statics, where a second
/// writer does not fit). A file opened for reading uses the slot when it
/// is free.
pub const MAX_RECORDERS: usize = 1;

/// The volume manager a store uses.
pub(crate) type Vm<D, T> = VolumeManager<D, T, MAX_DIRS, MAX_FILES, 1>;

/// A fixed file timestamp, 2026-01-01 00:00:00, so card images are
/// reproducible byte for byte (the simulator has no calendar).
#[derive(Debug, Clone, Copy, Default)]
pub struct FixedTime;

impl TimeSource for FixedTime {
    fn get_timestamp(&self) -> Timestamp {
        Timestamp {
            year_since_1970: 56,
            zero_indexed_month: 0,
            zero_indexed_day: 0,
            hours: 0,
            minutes: 0,
            seconds: 0,
        }
    }
}

/// How a file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// `"r"`: an existing file, read-only.
    Read,
    /// `"w"`: create, or truncate an existing file; read and write.
    Write,
    /// `"a"`: create or open an existing file at its end; read and write.
    Append,
}

impl OpenMode {
    /// `"r"`, `"w"` or `"a"`.
    pub fn parse(mode: &str) -> Option<OpenMode> {
        match mode {
            "r" => Some(OpenMode::Read),
            "w" => Some(OpenMode::Write),
            "a" => Some(OpenMode::Append),
            _ => None,
        }
    }

    pub(crate) fn sdmmc(self) -> Mode {
        match self {
            OpenMode::Read => Mode::ReadOnly,
            OpenMode::Write => Mode::ReadWriteCreateOrTruncate,
            OpenMode::Append => Mode::ReadWriteCreateOrAppend,
        }
    }
}

/// A mounted FAT volume (volume 0 of the device's MBR) with its root
/// directory open. Every method takes `&self`: share it by reference or
/// `Rc`/`Arc` and open files with [`FatStore::open`] / [`FatFile::open`].
///
/// Up to [`MAX_RECORDERS`] files are open for writing (`"w"`) at once, or
/// one for appending and none for writing: the recording writers reserve
/// clusters that `embedded-sdmmc` sees as free, so it must not allocate
/// while they hold them. Opening a file for writing first syncs the other
/// writers and gives back their reservations (creating the file may make
/// `embedded-sdmmc` allocate a directory cluster). A file open for reading
/// through the slot holds it too. Past these limits `open` fails with
/// `TooManyOpenFiles`.
pub struct FatStore<D: BlockDevice, T: TimeSource = FixedTime> {
    pub(crate) vm: Vm<D, T>,
    volume: RawVolume,
    pub(crate) root: RawDirectory,
    /// The volume's geometry for the recording writer (`None`: not
    /// understood, files opened for writing use `embedded-sdmmc`).
    pub(crate) layout: Option<Layout>,
    /// The recording writers of the files open for writing.
    pub(crate) recs: RefCell<[Option<Recorder>; MAX_RECORDERS]>,
    /// A file is open for appending through `embedded-sdmmc`.
    pub(crate) appender: Cell<bool>,
    /// Where the recording writer looks for free clusters next.
    pub(crate) next_free: Cell<u32>,
}

impl<D: BlockDevice, T: TimeSource> core::fmt::Debug for FatStore<D, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FatStore")
            .field("volume", &self.volume)
            .finish_non_exhaustive()
    }
}

impl<D: BlockDevice> FatStore<D, FixedTime> {
    /// Mount volume 0 of `device`, stamping files with [`FixedTime`].
    pub fn mount(device: D) -> Result<Self, StoreError<D::Error>> {
        Self::mount_with(device, FixedTime)
    }
}

impl<D: BlockDevice, T: TimeSource> FatStore<D, T> {
    /// Mount volume 0 of `device` with a time source for file timestamps.
    ///
    /// On FAT32 the FSInfo free-cluster count is set to "unknown" (written
    /// once, if it was known): the recording writer allocates behind
    /// `embedded-sdmmc`'s back, which would otherwise write back a stale
    /// count. fatgen103 allows an unknown count; `fsck.fat` accepts it and
    /// systems recount on mount.
    pub fn mount_with(device: D, time: T) -> Result<Self, StoreError<D::Error>> {
        let mut buf = embedded_sdmmc::Block::new();
        let layout = Layout::read(&device, &mut buf).ok();
        let mut next_free = 2;
        if let Some(info) = layout.and_then(|l| l.fsinfo) {
            layout::read_block(&device, info, &mut buf)?;
            next_free = layout::u32_at(&buf.contents, layout::FSINFO_NEXT);
            if layout::u32_at(&buf.contents, layout::FSINFO_FREE) != layout::UNKNOWN {
                layout::put_u32(&mut buf.contents, layout::FSINFO_FREE, layout::UNKNOWN);
                layout::write_block(&device, info, &buf)?;
            }
        }
        let vm = VolumeManager::new_with_limits(device, time, 5000);
        let volume = vm.open_raw_volume(VolumeIdx(0))?;
        let root = match vm.open_root_dir(volume) {
            Ok(r) => r,
            Err(e) => {
                let _ = vm.close_volume(volume);
                return Err(e.into());
            }
        };
        Ok(FatStore {
            vm,
            volume,
            root,
            layout,
            recs: RefCell::new([const { None }; MAX_RECORDERS]),
            appender: Cell::new(false),
            next_free: Cell::new(next_free),
        })
    }

    /// Open `path` (see [`FatPath`]); with [`OpenMode::Write`] missing
    /// directories are created. The file borrows the store.
    pub fn open(&self, path: &str, mode: OpenMode) -> Result<FatFile<&Self>, StoreError<D::Error>> {
        FatFile::open(self, path, mode)
    }

    /// Open a file by path; `RawFile` must be closed by the caller.
    pub(crate) fn open_raw(
        &self,
        path: &FatPath<'_>,
        mode: Mode,
    ) -> Result<RawFile, StoreError<D::Error>> {
        let create = mode != Mode::ReadOnly;
        let name = path.file_name();
        self.with_dir(path, create, |dir| {
            Ok(self.vm.open_file_in_dir(dir, name, mode)?)
        })
    }

    /// Create (or empty) `path` and give it a recording writer: the slot
    /// and a read-only `embedded-sdmmc` handle that keeps the file from
    /// being opened twice (it never writes).
    pub(crate) fn open_rec(
        &self,
        path: &FatPath<'_>,
        lay: Layout,
    ) -> Result<(usize, RawFile), StoreError<D::Error>> {
        if self.appender.get() {
            return Err(SdError::TooManyOpenFiles.into());
        }
        let slot = {
            let recs = self.recs.try_borrow().map_err(|_| SdError::LockError)?;
            recs.iter()
                .position(Option::is_none)
                .ok_or(SdError::TooManyOpenFiles)?
        };
        self.park()?;
        let raw = self.open_raw(path, Mode::ReadWriteCreateOrTruncate)?;
        self.vm.close_file(raw)?;
        let entry = self.with_dir(path, false, |dir| {
            Ok(self.vm.find_directory_entry(dir, path.file_name())?)
        })?;
        let off = usize::try_from(entry.entry_offset).unwrap_or(usize::MAX);
        match self.start_slot(slot, lay, entry.entry_block.0, off, |r, d| {
            r.start_write(d).map(|()| true)
        }) {
            Ok(true) => {}
            Ok(false) => return Err(SdError::BadHandle.into()),
            Err(e) => return Err(e.into()),
        }
        match self.open_raw(path, Mode::ReadOnly) {
            Ok(lock) => Ok((slot, lock)),
            Err(e) => {
                if let Ok(mut recs) = self.recs.try_borrow_mut() {
                    recs[slot] = None;
                }
                Err(e)
            }
        }
    }

    /// Open the existing `path` for reading through a free writer slot
    /// (multi-block reads of its contiguous runs); `None` if no slot is
    /// free or the chain is too fragmented (read through `embedded-sdmmc`).
    pub(crate) fn open_reader(
        &self,
        path: &FatPath<'_>,
        lay: Layout,
    ) -> Result<Option<(usize, RawFile)>, StoreError<D::Error>> {
        let slot = {
            let recs = self.recs.try_borrow().map_err(|_| SdError::LockError)?;
            match recs.iter().position(Option::is_none) {
                Some(s) => s,
                None => return Ok(None),
            }
        };
        let lock = self.open_raw(path, Mode::ReadOnly)?;
        let started = self
            .with_dir(path, false, |dir| {
                Ok(self.vm.find_directory_entry(dir, path.file_name())?)
            })
            .and_then(|entry| {
                let off = usize::try_from(entry.entry_offset).unwrap_or(usize::MAX);
                Ok(self.start_slot(slot, lay, entry.entry_block.0, off, |r, d| r.start_read(d))?)
            });
        match started {
            Ok(true) => Ok(Some((slot, lock))),
            Ok(false) => {
                let _ = self.vm.close_file(lock);
                Ok(None)
            }
            Err(e) => {
                let _ = self.vm.close_file(lock);
                Err(e)
            }
        }
    }

    /// Build a recorder in place in `slot` and start it with `start`; the
    /// slot is emptied again if it does not start.
    fn start_slot(
        &self,
        slot: usize,
        lay: Layout,
        entry_block: u32,
        entry_off: usize,
        start: impl FnOnce(&mut Recorder, &D) -> Result<bool, SdError<D::Error>>,
    ) -> Result<bool, SdError<D::Error>> {
        let mut recs = self.recs.try_borrow_mut().map_err(|_| SdError::LockError)?;
        let cell = recs.get_mut(slot).ok_or(SdError::BadHandle)?;
        *cell = Some(Recorder::blank(lay, entry_block, entry_off));
        let out = match cell.as_mut() {
            Some(r) => self.vm.device(|d| start(r, d)),
            None => Ok(false),
        };
        if !matches!(out, Ok(true)) {
            *cell = None;
        }
        out
    }

    /// Sync every recording writer and give back its reservation, so that
    /// `embedded-sdmmc` may allocate.
    fn park(&self) -> Result<(), SdError<D::Error>> {
        let mut recs = self.recs.try_borrow_mut().map_err(|_| SdError::LockError)?;
        for r in recs.iter_mut().flatten() {
            self.vm.device(|d| r.sync(d))?;
            r.trim();
        }
        Ok(())
    }

    /// Run `f` on recording writer `slot`, the device, the free-cluster
    /// hint and the other writers.
    pub(crate) fn with_rec<X>(
        &self,
        slot: usize,
        f: impl FnOnce(&mut Recorder, &D, &mut u32, &Others<'_>) -> Result<X, SdError<D::Error>>,
    ) -> Result<X, SdError<D::Error>> {
        let mut recs = self.recs.try_borrow_mut().map_err(|_| SdError::LockError)?;
        let (before, rest) = recs.split_at_mut(slot.min(MAX_RECORDERS));
        let (me, after) = rest.split_first_mut().ok_or(SdError::BadHandle)?;
        let rec = me.as_mut().ok_or(SdError::BadHandle)?;
        let others = Others(before, after);
        let mut hint = self.next_free.get();
        let out = self.vm.device(|d| f(rec, d, &mut hint, &others));
        self.next_free.set(hint);
        out
    }

    /// Close recording writer `slot` (sync, forget the reservation) and
    /// its read-only handle; the slot is freed even if the sync fails.
    pub(crate) fn close_rec(&self, slot: usize, lock: RawFile) -> Result<(), SdError<D::Error>> {
        let out = self.with_rec(slot, |r, d, _, _| r.close(d));
        if let Ok(mut recs) = self.recs.try_borrow_mut() {
            if let Some(s) = recs.get_mut(slot) {
                *s = None;
            }
        }
        let closed = self.vm.close_file(lock);
        out.and(closed)
    }

    /// Open the scratch file next to `path`.
    pub(crate) fn open_sibling(
        &self,
        path: &FatPath<'_>,
        name: &str,
        mode: Mode,
    ) -> Result<RawFile, StoreError<D::Error>> {
        self.with_dir(path, true, |dir| {
            Ok(self.vm.open_file_in_dir(dir, name, mode)?)
        })
    }

    /// Run `f` on the directory holding `path`'s file, opening (and with
    /// `create`, making) the directories on the way and closing them after.
    fn with_dir<X>(
        &self,
        path: &FatPath<'_>,
        create: bool,
        f: impl FnOnce(RawDirectory) -> Result<X, StoreError<D::Error>>,
    ) -> Result<X, StoreError<D::Error>> {
        let mut cur = self.root;
        for name in path.dirs() {
            let next = match self.vm.open_dir(cur, name) {
                Err(SdError::NotFound) if create => self
                    .vm
                    .make_dir_in_dir(cur, name)
                    .and_then(|()| self.vm.open_dir(cur, name)),
                other => other,
            };
            if cur != self.root {
                let _ = self.vm.close_dir(cur);
            }
            cur = next?;
        }
        let out = f(cur);
        if cur != self.root {
            let _ = self.vm.close_dir(cur);
        }
        out
    }

    /// The length of a closed file as its directory entry records it (an
    /// open file's length is only recorded by a flush).
    pub fn file_len(&self, path: &str) -> Result<u32, StoreError<D::Error>> {
        let p = FatPath::parse(path)?;
        self.with_dir(&p, false, |dir| {
            Ok(self.vm.find_directory_entry(dir, p.file_name())?.size)
        })
    }

    /// True if `path` names an existing file or directory.
    pub fn exists(&self, path: &str) -> Result<bool, StoreError<D::Error>> {
        match self.file_len(path) {
            Ok(_) => Ok(true),
            Err(StoreError::Fs(SdError::NotFound)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Read up to `buf.len()` bytes of a closed file from byte `offset`
    /// (chunked download); returns the bytes read, 0 at or past the end.
    pub fn read_range(
        &self,
        path: &str,
        offset: u32,
        buf: &mut [u8],
    ) -> Result<usize, StoreError<D::Error>> {
        let mut f = self.open(path, OpenMode::Read)?;
        let n = f.read_at(offset, buf);
        let closed = f.close();
        let n = n?;
        closed?;
        Ok(n)
    }

    /// Call `f(name, size)` for each file in the root directory (8.3 names
    /// as `NAME.EXT`; directories and volume labels are skipped).
    pub fn list_root(&self, mut f: impl FnMut(&str, u32)) -> Result<(), StoreError<D::Error>> {
        self.vm.iterate_dir(self.root, |e| {
            if !e.attributes.is_directory() && !e.attributes.is_volume() {
                let mut buf = [0u8; 12];
                let name = short_name(&e.name, &mut buf);
                f(name, e.size);
            }
            ControlFlow::Continue(())
        })?;
        Ok(())
    }

    /// Run `f` on the block device (e.g. to read statistics).
    pub fn device<X>(&self, f: impl FnOnce(&mut D) -> X) -> X {
        self.vm.device(f)
    }

    /// Close the root directory and the volume and give the device back.
    /// Fails with `VolumeStillInUse` while files are open (close them first:
    /// an unflushed file would lose its length).
    pub fn unmount(self) -> Result<D, StoreError<D::Error>> {
        if self.recs.borrow().iter().any(Option::is_some) {
            return Err(SdError::VolumeStillInUse.into());
        }
        self.vm.close_dir(self.root)?;
        self.vm.close_volume(self.volume)?;
        Ok(self.vm.free().0)
    }

    /// Give the device back at once, as if the card were pulled: open files
    /// are not flushed (their directory entries keep their last flushed
    /// length).
    pub fn into_device(self) -> D {
        self.vm.free().0
    }
}

/// `NAME.EXT` of a short file name, in `buf`.
fn short_name<'b>(n: &embedded_sdmmc::ShortFileName, buf: &'b mut [u8; 12]) -> &'b str {
    let base = n.base_name();
    let ext = n.extension();
    let mut len = 0;
    for &b in base
        .iter()
        .chain(if ext.is_empty() { &[][..] } else { b"." })
        .chain(ext)
    {
        if len < buf.len() {
            buf[len] = b;
            len += 1;
        }
    }
    core::str::from_utf8(&buf[..len]).unwrap_or("?")
}
