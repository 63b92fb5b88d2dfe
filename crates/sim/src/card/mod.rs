//! [`SimCard`]: a 512-byte block device with a timing model and faults.
//!
//! The card is an [`embedded_sdmmc::BlockDevice`], so `embedded-sdmmc`
//! (through `omv-fatstore`) runs a real FAT file system on it. Every
//! operation moves the shared [`SimClock`] by its cost (the
//! [`omv_sdtiming::CardModel`] of its [`CardProfile`], the same model the
//! qemu agent's RAM disk applies) and is counted in [`CardStats`].
//!
//! ```
//! use imageio_sim::{CardProfile, SimCard, SimClock};
//! use omv_fatstore::{FatStore, OpenMode};
//! use embedded_io::Write;
//!
//! let clock = SimClock::new();
//! let card = SimCard::formatted(CardProfile::ideal(2_000_000), 64 << 20, clock.clone(), 1).unwrap();
//! let store = FatStore::mount(card.clone()).unwrap();
//! let mut f = store.open("/sdcard/a.bin", OpenMode::Write).unwrap();
//! f.write_all(&[0u8; 4096]).unwrap();
//! f.close().unwrap();
//! // Every block costs 512 B / 2 MB/s = 256 µs on this card.
//! assert_eq!(clock.now() % 256, 0);
//! assert!(card.stats().blocks_written >= 8);
//! ```

mod backing;
mod blocks;
mod io;
pub mod profile;
pub mod stats;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use embedded_sdmmc::Block;
use omv_fatstore::format::{format_device, FormatOptions};
use omv_sdtiming::CardModel;

pub use profile::{CardProfile, Stall, SD_WRITE_TIMEOUT_US};
pub use stats::{CardStats, BUSY_BUCKETS_US};

use crate::clock::SimClock;
use crate::error::SimError;
use backing::Backing;

/// Bytes of a torn block that reach the card (the rest keeps its old data).
pub const TORN_BYTES: usize = 256;

/// Bytes of card data a [memory card](SimCard::new_memory) holds before it
/// moves its blocks to an unnamed sparse file in the temporary directory:
/// the simulator's memory stays bounded however much is recorded (a 4 GiB
/// card filled by a scenario needs 4 GiB of disk, not of memory).
pub const MEMORY_BUDGET_BYTES: u64 = 128 << 20;

/// A block that fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockFault {
    /// The block index.
    pub block: u32,
    /// Fail every time (`true`) or only the first time.
    pub persistent: bool,
}

impl BlockFault {
    /// Block `block` fails the first time only.
    pub const fn once(block: u32) -> Self {
        BlockFault {
            block,
            persistent: false,
        }
    }

    /// Block `block` fails every time.
    pub const fn always(block: u32) -> Self {
        BlockFault {
            block,
            persistent: true,
        }
    }
}

/// Faults to inject. Counters (`*_after_writes`, `write_limit`) count block
/// writes from the moment the faults are [armed](SimCard::arm).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// Cut the power when the clock reaches this time (µs): a write that
    /// would end after it stops there.
    pub power_cut_at_us: Option<u64>,
    /// Cut the power at the block write after this many block writes.
    pub power_cut_after_writes: Option<u64>,
    /// At the cut, the block being written is torn: its first
    /// [`TORN_BYTES`] bytes are new, the rest old.
    pub torn_block: bool,
    /// Writing this block fails.
    pub write_error: Option<BlockFault>,
    /// Reading this block fails.
    pub read_error: Option<BlockFault>,
    /// After this many more block writes every write fails (`CardFull`).
    pub write_limit: Option<u64>,
}

/// Errors of the card, as `embedded-sdmmc` sees them (`DeviceError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    /// The power was cut during this operation.
    #[error("power cut at {at_us} µs")]
    PowerCut {
        /// When (µs).
        at_us: u64,
    },
    /// The card has no power.
    #[error("card not powered")]
    PoweredOff,
    /// An injected write error.
    #[error("write error at block {block}")]
    WriteFault {
        /// The block.
        block: u32,
    },
    /// An injected read error.
    #[error("read error at block {block}")]
    ReadFault {
        /// The block.
        block: u32,
    },
    /// The injected write limit was reached.
    #[error("card full (write limit) at block {block}")]
    CardFull {
        /// The block that was not written.
        block: u32,
    },
    /// A block past the card's capacity.
    #[error("block {block} is past the end of the card")]
    OutOfRange {
        /// The block.
        block: u32,
    },
    /// The sparse file behind the card failed.
    #[error("host I/O error on the card image")]
    HostIo,
}

#[derive(Debug)]
struct State {
    model: CardModel,
    blocks: u32,
    backing: Backing,
    clock: SimClock,
    stats: CardStats,
    faults: Faults,
    writes_since_armed: u64,
    powered: bool,
    last_read: Option<u32>,
    timed: bool,
    carry_ns: u64,
}

/// A simulated SD card. Clones are handles on the same card; see the
/// [module docs](self).
#[derive(Debug, Clone)]
pub struct SimCard {
    shared: Arc<Mutex<State>>,
}

impl SimCard {
    fn with_backing(
        profile: CardProfile,
        backing: Backing,
        blocks: u32,
        clock: SimClock,
        seed: u64,
    ) -> Result<Self, SimError> {
        profile.validate().map_err(|e| SimError::Config(e.into()))?;
        let state = State {
            model: CardModel::new(profile, seed),
            blocks,
            backing,
            clock,
            stats: CardStats::default(),
            faults: Faults::default(),
            writes_since_armed: 0,
            powered: true,
            last_read: None,
            timed: true,
            carry_ns: 0,
        };
        Ok(SimCard {
            shared: Arc::new(Mutex::new(state)),
        })
    }

    /// A blank card of `capacity_bytes` on the backing `backing` makes
    /// for its number of blocks.
    fn blank(
        profile: CardProfile,
        capacity_bytes: u64,
        clock: SimClock,
        seed: u64,
        backing: impl FnOnce(u32) -> std::io::Result<Backing>,
    ) -> Result<Self, SimError> {
        let blocks = u32::try_from(capacity_bytes / 512)
            .ok()
            .filter(|&b| b > 0)
            .ok_or_else(|| SimError::Config("capacity must be 512 B to 2 TiB".into()))?;
        Self::with_backing(profile, backing(blocks)?, blocks, clock, seed)
    }

    /// A blank (unformatted) card of `capacity_bytes` in memory: only the
    /// blocks written, each distinct content once, up to
    /// [`MEMORY_BUDGET_BYTES`], then in an unnamed sparse file.
    pub fn new_memory(
        profile: CardProfile,
        capacity_bytes: u64,
        clock: SimClock,
        seed: u64,
    ) -> Result<Self, SimError> {
        let memory = |blocks| Ok(Backing::memory(blocks, MEMORY_BUDGET_BYTES));
        Self::blank(profile, capacity_bytes, clock, seed, memory)
    }

    /// A blank card kept in a sparse file at `path` (created or truncated).
    pub fn new_file(
        path: &Path,
        profile: CardProfile,
        capacity_bytes: u64,
        clock: SimClock,
        seed: u64,
    ) -> Result<Self, SimError> {
        let file = |blocks| Backing::file(path, blocks);
        Self::blank(profile, capacity_bytes, clock, seed, file)
    }

    /// A card over an existing image file (used in place, not copied).
    pub fn open_image(
        path: &Path,
        profile: CardProfile,
        clock: SimClock,
        seed: u64,
    ) -> Result<Self, SimError> {
        let (backing, blocks) = Backing::open_file(path)?;
        Self::with_backing(profile, backing, blocks, clock, seed)
    }

    /// A card in memory, formatted (MBR + FAT, see
    /// [`omv_fatstore::format`]) with the default options: FAT16 below
    /// 2 GiB, FAT32 with 32 KiB clusters above, as SD cards ship.
    pub fn formatted(
        profile: CardProfile,
        capacity_bytes: u64,
        clock: SimClock,
        seed: u64,
    ) -> Result<Self, SimError> {
        let card = Self::new_memory(profile, capacity_bytes, clock, seed)?;
        card.format(&FormatOptions::default())?;
        Ok(card)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (every
        // update is a single assignment), so a poisoned lock is usable.
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Format the card "at the factory": takes no virtual time and leaves
    /// the statistics at zero.
    pub fn format(&self, opts: &FormatOptions) -> Result<(), SimError> {
        self.lock().timed = false;
        let r = format_device(self, opts);
        let mut st = self.lock();
        st.timed = true;
        st.stats.reset();
        st.model.forget_position();
        r.map_err(|e| SimError::Card(e.to_string()))
    }

    /// Capacity in blocks.
    pub fn capacity_blocks(&self) -> u32 {
        self.lock().blocks
    }

    /// The timing profile.
    pub fn profile(&self) -> CardProfile {
        *self.lock().model.profile()
    }

    /// Change the timing profile (e.g. to age a card mid-run).
    pub fn set_profile(&self, profile: CardProfile) -> Result<(), SimError> {
        profile.validate().map_err(|e| SimError::Config(e.into()))?;
        self.lock().model.set_profile(profile);
        Ok(())
    }

    /// Statistics so far.
    pub fn stats(&self) -> CardStats {
        self.lock().stats
    }

    /// Zero the statistics.
    pub fn reset_stats(&self) {
        self.lock().stats.reset();
    }

    /// Arm faults (replacing any armed before); counters start now.
    pub fn arm(&self, faults: Faults) {
        let mut st = self.lock();
        st.faults = faults;
        st.writes_since_armed = 0;
    }

    /// The armed faults.
    pub fn faults(&self) -> Faults {
        self.lock().faults
    }

    /// Cut the power now: every operation fails with
    /// [`CardError::PoweredOff`] until [`power_on`](Self::power_on).
    pub fn power_cut(&self) {
        cut(&mut self.lock());
    }

    /// True while the card has power.
    pub fn is_powered(&self) -> bool {
        self.lock().powered
    }

    /// Restore power (power-cut faults are disarmed, others stay); then
    /// mount the card again. Drop every file of the old mount *before*
    /// this: a file closed afterwards would write its stale directory entry
    /// to the powered card (while the power is off, those writes fail, as
    /// they would on a device that lost power).
    pub fn power_on(&self) {
        let mut st = self.lock();
        st.powered = true;
        st.faults.power_cut_at_us = None;
        st.faults.power_cut_after_writes = None;
        st.model.forget_position();
    }

    /// The last block written, if any (to aim a fault at the next ones).
    pub fn last_written_block(&self) -> Option<u32> {
        self.lock()
            .model
            .last_write_end()
            .map(|e| e.saturating_sub(1))
    }

    /// The last block read, if any.
    pub fn last_read_block(&self) -> Option<u32> {
        self.lock().last_read
    }

    /// Bytes of card data held in memory: distinct block contents and an
    /// 8 KiB block table per MiB written into (0 for a file-backed card).
    pub fn resident_bytes(&self) -> u64 {
        self.lock().backing.resident_bytes()
    }

    /// Change how much a memory card may hold before it moves to a file
    /// (default [`MEMORY_BUDGET_BYTES`]); moves it at once if it holds
    /// more. No effect on a file-backed card.
    pub fn set_memory_budget(&self, bytes: u64) -> Result<(), SimError> {
        Ok(self.lock().backing.set_budget(bytes)?)
    }

    /// True when the card's blocks are in a file (made so, or moved there
    /// past the memory budget).
    pub fn is_file_backed(&self) -> bool {
        self.lock().backing.is_file()
    }

    /// Save the whole card image to `path` (a sparse file): `fsck.fat` can
    /// check its partition and `mdir -i path@@1M` list it.
    pub fn save_image(&self, path: &Path) -> Result<(), SimError> {
        let st = self.lock();
        Ok(st.backing.save(path, st.blocks)?)
    }

    /// The whole image in memory (for small cards and tests); untimed.
    pub fn image_bytes(&self) -> Result<Vec<u8>, SimError> {
        let mut st = self.lock();
        let blocks = st.blocks;
        let mut out = Vec::with_capacity(blocks as usize * Block::LEN);
        let mut buf = vec![Block::new(); backing::CHUNK_BLOCKS as usize];
        let mut at = 0;
        while at < blocks {
            let n = (blocks - at).min(backing::CHUNK_BLOCKS);
            st.backing.read(at, &mut buf[..n as usize])?;
            for b in &buf[..n as usize] {
                out.extend_from_slice(&b.contents);
            }
            at += n;
        }
        Ok(out)
    }

    fn check_live(&self, st: &State) -> Result<(), CardError> {
        if !st.powered {
            return Err(CardError::PoweredOff);
        }
        Ok(())
    }
}

/// The power goes: every operation fails until `power_on`.
fn cut(st: &mut State) {
    st.powered = false;
}
