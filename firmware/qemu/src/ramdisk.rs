//! The agent's SD card: a RAM disk in the first 8 MiB of the PSRAM at
//! 0x6000_0000 (the other 8 MiB hold memory streams).
//!
//! The host writes the card image (MBR + FAT, made by `omv-fatstore`) into
//! PSRAM before the CPU starts, with
//! `-device loader,file=card.img,addr=0x60000000`; the firmware sees it as an
//! `embedded_sdmmc::BlockDevice` of 512-byte blocks.

use core::cell::RefCell;
use embedded_sdmmc::{Block, BlockCount, BlockDevice, BlockIdx};

/// Where the card image lives (the start of the PSRAM).
pub const PSRAM_BASE: usize = 0x6000_0000;
/// PSRAM size on mps2-an500.
pub const PSRAM_LEN: usize = 16 * 1024 * 1024;
/// The card: the first half of the PSRAM (`[card] max_kib` on the host).
/// The second half (8 MiB, as on the `sim` board) holds memory streams.
pub const CARD_LEN: usize = 8 * 1024 * 1024;

/// A block access outside the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfRange {
    /// First block asked for.
    pub start: u32,
    /// Number of blocks asked for.
    pub count: usize,
    /// Blocks on the disk.
    pub capacity: u32,
}

impl core::fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "blocks {}+{} outside the RAM disk of {} blocks",
            self.start, self.count, self.capacity
        )
    }
}

impl core::error::Error for OutOfRange {}

/// A block device over a byte buffer (the PSRAM on the board).
#[derive(Debug)]
pub struct RamDisk {
    mem: RefCell<&'static mut [u8]>,
}

impl RamDisk {
    /// A RAM disk over `mem` (its length is rounded down to whole blocks).
    pub fn new(mem: &'static mut [u8]) -> Self {
        RamDisk {
            mem: RefCell::new(mem),
        }
    }

    fn range(&self, start: BlockIdx, count: usize) -> Result<core::ops::Range<usize>, OutOfRange> {
        let capacity = self.capacity();
        let err = OutOfRange {
            start: start.0,
            count,
            capacity,
        };
        let first = usize::try_from(start.0).map_err(|_| err)?;
        let end = first.checked_add(count).ok_or(err)?;
        if end > capacity as usize {
            return Err(err);
        }
        Ok(first * Block::LEN..end * Block::LEN)
    }

    fn capacity(&self) -> u32 {
        u32::try_from(self.mem.borrow().len() / Block::LEN).unwrap_or(u32::MAX)
    }
}

impl BlockDevice for RamDisk {
    type Error = OutOfRange;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), OutOfRange> {
        let range = self.range(start, blocks.len())?;
        let mem = self.mem.borrow();
        for (block, src) in blocks.iter_mut().zip(mem[range].chunks_exact(Block::LEN)) {
            block.contents.copy_from_slice(src);
        }
        Ok(())
    }

    fn write(&self, blocks: &[Block], start: BlockIdx) -> Result<(), OutOfRange> {
        let range = self.range(start, blocks.len())?;
        let mut mem = self.mem.borrow_mut();
        for (block, dst) in blocks.iter().zip(mem[range].chunks_exact_mut(Block::LEN)) {
            dst.copy_from_slice(&block.contents);
        }
        Ok(())
    }

    fn num_blocks(&self) -> Result<BlockCount, OutOfRange> {
        Ok(BlockCount(self.capacity()))
    }
}

/// The PSRAM as (card, memory-stream region). Call once: a second call
/// would alias.
pub fn psram() -> Option<(&'static mut [u8], &'static mut [u8])> {
    use core::sync::atomic::{AtomicBool, Ordering};
    static TAKEN: AtomicBool = AtomicBool::new(false);
    if TAKEN.swap(true, Ordering::AcqRel) {
        return None;
    }
    #[allow(unsafe_code)]
    // SAFETY: PSRAM is ordinary RAM at a fixed address on this board, not
    // used by the linker script (memory.x) and handed out only once (TAKEN).
    let mem = unsafe { core::slice::from_raw_parts_mut(PSRAM_BASE as *mut u8, PSRAM_LEN) };
    Some(mem.split_at_mut(CARD_LEN))
}
