//! The agent's SD card: a FAT volume ([`omv_fatstore::FatStore`]) on any
//! `embedded_sdmmc::BlockDevice`, behind a fault layer ([`FaultDevice`]) so
//! the agent can cut the power or fill the card itself.
//!
//! Files opened for writing (`"w"` streams, uploads at offset 0) go
//! through `omv-fatstore`'s recording writer: whole blocks in one
//! multi-block write straight from the frame, the FAT and the directory
//! entry only at `sync()`/close, so a power cut leaves the last sync. The
//! fault layer passes multi-block writes through as one call.
//!
//! A [`FatCard`] lives outside the executor (a `static`, or a local of the
//! firmware's `main`/the host board) and is lent to it by reference: open
//! files borrow the mounted store through a `RefCell` guard, and a power
//! cut unmounts and remounts it once no file is open.

use core::cell::{Ref, RefCell};
use core::fmt;

use embedded_sdmmc::{Block, BlockCount, BlockDevice, BlockIdx};
use omv_fatstore::{FatFile, FatStore, OpenMode, StoreError};

/// Why the fault layer refused a block operation.
#[derive(Debug)]
pub enum FaultError<E> {
    /// The device under the fault layer failed.
    Device(E),
    /// The card has no power (during a power cut).
    PowerOff,
    /// The write budget set by `Fault::WriteLimit` is used up.
    WriteLimit,
}

impl<E: fmt::Display> fmt::Display for FaultError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultError::Device(e) => write!(f, "device: {e}"),
            FaultError::PowerOff => f.write_str("card has no power"),
            FaultError::WriteLimit => f.write_str("card write limit reached (injected fault)"),
        }
    }
}

impl<E: core::error::Error> core::error::Error for FaultError<E> {}

/// A block device that can lose power or stop accepting writes.
#[derive(Debug)]
pub struct FaultDevice<D> {
    inner: D,
    powered: core::cell::Cell<bool>,
    /// Block writes still accepted; `None` = unlimited.
    budget: core::cell::Cell<Option<u32>>,
}

impl<D> FaultDevice<D> {
    /// A powered device with no write limit.
    pub fn new(inner: D) -> Self {
        FaultDevice {
            inner,
            powered: core::cell::Cell::new(true),
            budget: core::cell::Cell::new(None),
        }
    }

    /// The device underneath.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// Give the device underneath back.
    pub fn into_inner(self) -> D {
        self.inner
    }

    /// Switch the power: while off every read and write fails.
    pub fn set_powered(&self, on: bool) {
        self.powered.set(on);
    }

    /// Accept only `blocks` more block writes (`None`: no limit).
    pub fn set_write_limit(&self, blocks: Option<u32>) {
        self.budget.set(blocks);
    }
}

impl<D: BlockDevice> BlockDevice for FaultDevice<D> {
    type Error = FaultError<D::Error>;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), Self::Error> {
        if !self.powered.get() {
            return Err(FaultError::PowerOff);
        }
        self.inner.read(blocks, start).map_err(FaultError::Device)
    }

    fn write(&self, blocks: &[Block], start: BlockIdx) -> Result<(), Self::Error> {
        if !self.powered.get() {
            return Err(FaultError::PowerOff);
        }
        if let Some(left) = self.budget.get() {
            let n = u32::try_from(blocks.len()).unwrap_or(u32::MAX);
            if n > left {
                // A multi-block write that runs into the limit: the blocks
                // before it reach the card, as on a card that fails part
                // way through a CMD25.
                self.budget.set(Some(0));
                let fit = blocks.get(..left as usize).unwrap_or(&[]);
                if !fit.is_empty() {
                    self.inner.write(fit, start).map_err(FaultError::Device)?;
                }
                return Err(FaultError::WriteLimit);
            }
            self.budget.set(Some(left - n));
        }
        self.inner.write(blocks, start).map_err(FaultError::Device)
    }

    fn num_blocks(&self) -> Result<BlockCount, Self::Error> {
        self.inner.num_blocks().map_err(FaultError::Device)
    }
}

/// The mounted store type of a card over `D`.
pub type Store<D> = FatStore<FaultDevice<D>>;
/// A file open on a card, as the executor's file streams use it.
pub type CardFile<'c, D> = FatFile<Ref<'c, Store<D>>>;
/// Errors of store operations on a card over `D`.
pub type FatCardError<D> = StoreError<FaultError<<D as BlockDevice>::Error>>;

enum State<D: BlockDevice> {
    Mounted(Store<D>),
    /// Mounting failed (after a power cut): the device is lost.
    Gone,
}

/// An SD card: a FAT volume mounted from a block device, lent to the
/// executor by reference.
pub struct FatCard<D: BlockDevice> {
    state: RefCell<State<D>>,
}

impl<D: BlockDevice> fmt::Debug for FatCard<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mounted = matches!(
            self.state.try_borrow().as_deref(),
            Ok(State::Mounted(_)) | Err(_)
        );
        f.debug_struct("FatCard")
            .field("mounted", &mounted)
            .finish()
    }
}

impl<D: BlockDevice> FatCard<D> {
    /// Mount volume 0 of `device` (an MBR-partitioned FAT16/FAT32 card).
    pub fn mount(device: D) -> Result<Self, FatCardError<D>> {
        let store = FatStore::mount(FaultDevice::new(device))?;
        Ok(FatCard {
            state: RefCell::new(State::Mounted(store)),
        })
    }

    /// The mounted store, or `None` if a remount failed. Fails (`None`) only
    /// while a power cut is remounting, which cannot overlap a call.
    pub fn store(&self) -> Option<Ref<'_, Store<D>>> {
        let r = self.state.try_borrow().ok()?;
        Ref::filter_map(r, |s| match s {
            State::Mounted(store) => Some(store),
            State::Gone => None,
        })
        .ok()
    }

    /// Open `path` on the card; the file keeps the card borrowed.
    pub fn open(&self, path: &str, mode: OpenMode) -> Result<CardFile<'_, D>, CardOpenError<D>> {
        let store = self.store().ok_or(CardOpenError::NoCard)?;
        FatFile::open(store, path, mode).map_err(CardOpenError::Store)
    }

    /// Run `f` on the fault layer (power, write limit).
    pub fn with_faults<X>(&self, f: impl FnOnce(&FaultDevice<D>) -> X) -> Option<X> {
        let store = self.store()?;
        Some(store.device(|d| f(d)))
    }

    /// Power cut: the power goes off (nothing more reaches the card), `drop`
    /// runs (it must drop every open file: their closing writes fail, as on
    /// a real card), then the card is powered and mounted again. Only what
    /// was flushed before the cut is in the file system afterwards.
    pub fn power_cut(&self, drop_files: impl FnOnce()) -> Result<(), CardOpenError<D>> {
        let _ = self.with_faults(|d| d.set_powered(false));
        drop_files();
        let mut state = self.state.borrow_mut();
        let old = core::mem::replace(&mut *state, State::Gone);
        let State::Mounted(store) = old else {
            return Err(CardOpenError::NoCard);
        };
        let device = store.into_device();
        device.set_powered(true);
        *state = State::Mounted(FatStore::mount(device).map_err(CardOpenError::Store)?);
        Ok(())
    }

    /// Unmount (files must be closed) and give the block device back.
    pub fn into_device(self) -> Option<D> {
        match self.state.into_inner() {
            State::Mounted(store) => match store.unmount() {
                Ok(dev) => Some(dev.into_inner()),
                Err(_) => None,
            },
            State::Gone => None,
        }
    }
}

/// Why a file could not be opened on a card (or a power cut could not remount it).
#[derive(Debug)]
pub enum CardOpenError<D: BlockDevice> {
    /// No mounted card.
    NoCard,
    /// The file system refused.
    Store(FatCardError<D>),
}

impl<D: BlockDevice> fmt::Display for CardOpenError<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CardOpenError::NoCard => f.write_str("no card mounted"),
            CardOpenError::Store(e) => write!(f, "{e}"),
        }
    }
}

/// A block device with no blocks, for agents without a card (memory
/// streams only): `Executor<NoCard, ..>` with `card = None`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCard;

/// The error of [`NoCard`] (it has no blocks to read or write).
#[derive(Debug, Clone, Copy)]
pub struct NoCardError;

impl fmt::Display for NoCardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no card")
    }
}

impl core::error::Error for NoCardError {}

impl BlockDevice for NoCard {
    type Error = NoCardError;
    fn read(&self, _: &mut [Block], _: BlockIdx) -> Result<(), NoCardError> {
        Err(NoCardError)
    }
    fn write(&self, _: &[Block], _: BlockIdx) -> Result<(), NoCardError> {
        Err(NoCardError)
    }
    fn num_blocks(&self) -> Result<BlockCount, NoCardError> {
        Ok(BlockCount(0))
    }
}
