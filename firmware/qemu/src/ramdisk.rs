//! The agent's SD card: a RAM disk in the first 8 MiB of the PSRAM at
//! 0x6000_0000 (the other 8 MiB are unused: memory streams live in the
//! agent's RAM with agent-h7's region size, see `buffers`), continued in the card
//! image file on the host, and timed by the `omv-sdtiming` model the
//! simulator's card uses.
//!
//! The host writes the card image (MBR + FAT, made by `omv-fatstore`) into
//! PSRAM before the CPU starts, with
//! `-device loader,file=card.img,addr=0x60000000`. The semihosting command
//! line word `card=<blocks>@<file>` gives the card's full size and the image
//! file (in QEMU's working directory): blocks past the PSRAM are read from
//! and written to that file through semihosting, so a scenario's 256 MiB
//! card holds a 30 s recording as on the simulator. Without it the card
//! ends with the PSRAM.
//!
//! Once the host has set a profile (`RequestBody::CardTiming`, see
//! [`set_card_timing`]), every command is charged its modelled time on the
//! agent's clock ([`crate::clock::charge_ns`]): the firmware's write path
//! meets the same card as on the `sim` board.

use core::cell::RefCell;
use critical_section::Mutex;
use embedded_sdmmc::{Block, BlockCount, BlockDevice, BlockIdx};
use omv_sdtiming::{CardModel, CardProfile};

use crate::semihost::HostFile;

/// Where the card image lives (the start of the PSRAM).
pub const PSRAM_BASE: usize = 0x6000_0000;
/// PSRAM size on mps2-an500.
pub const PSRAM_LEN: usize = 16 * 1024 * 1024;
/// The card's part in PSRAM: the first half (`[card] max_kib` on the host).
pub const CARD_LEN: usize = 8 * 1024 * 1024;
/// The semihosting command line word naming the card's size and file.
pub const CARD_ARG: &str = "card=";

/// The card's timing model; `None` (untimed) until the host sets one.
static MODEL: Mutex<RefCell<Option<CardModel>>> = Mutex::new(RefCell::new(None));

/// Time the card by the `omv-sdtiming` profile `name` seeded with `seed`
/// (the executor's card-timing hook); false for an unknown profile.
pub fn set_card_timing(name: &str, seed: u64) -> bool {
    let Some(profile) = CardProfile::by_name(name) else {
        return false;
    };
    if profile.validate().is_err() {
        return false;
    }
    critical_section::with(|cs| {
        *MODEL.borrow_ref_mut(cs) = Some(CardModel::new(profile, seed));
    });
    true
}

/// Charge the modelled cost of a command (`f` gets the model) on the clock.
fn charge(f: impl FnOnce(&mut CardModel) -> u64) {
    let ns = critical_section::with(|cs| MODEL.borrow_ref_mut(cs).as_mut().map(f));
    if let Some(ns) = ns {
        crate::clock::charge_ns(ns);
    }
}

/// A block access outside the disk, or the host file failing.
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
            "blocks {}+{} outside the card of {} blocks (or its host file failed)",
            self.start, self.count, self.capacity
        )
    }
}

impl core::error::Error for OutOfRange {}

/// A block device over a byte buffer (the PSRAM on the board), continued
/// in a host file.
#[derive(Debug)]
pub struct RamDisk {
    mem: RefCell<&'static mut [u8]>,
    host: Option<HostFile>,
    blocks: u32,
}

/// `card=<blocks>@<file>` from the semihosting command line.
fn card_arg(line: &str) -> Option<(u32, &str)> {
    let word = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix(CARD_ARG))?;
    let (blocks, file) = word.split_once('@')?;
    Some((blocks.parse().ok()?, file))
}

impl RamDisk {
    /// A RAM disk over `mem` (its length is rounded down to whole blocks),
    /// continued in the host file the command line names, if any.
    pub fn new(mem: &'static mut [u8]) -> Self {
        let in_mem = u32::try_from(mem.len() / Block::LEN).unwrap_or(u32::MAX);
        let mut line = [0u8; 256];
        let host = crate::semihost::cmdline(&mut line)
            .and_then(card_arg)
            .and_then(|(blocks, file)| Some((blocks, HostFile::open_rw(file)?)));
        let (blocks, host) = match host {
            Some((blocks, file)) if blocks > in_mem => (blocks, Some(file)),
            _ => (in_mem, None),
        };
        RamDisk {
            mem: RefCell::new(mem),
            host,
            blocks,
        }
    }

    fn in_mem(&self) -> u32 {
        u32::try_from(self.mem.borrow().len() / Block::LEN).unwrap_or(u32::MAX)
    }

    fn check(&self, start: BlockIdx, count: usize) -> Result<(), OutOfRange> {
        let err = OutOfRange {
            start: start.0,
            count,
            capacity: self.blocks,
        };
        let end = u64::from(start.0) + count as u64;
        if end > u64::from(self.blocks) {
            return Err(err);
        }
        Ok(())
    }

    fn host_err(&self, start: u32, count: usize) -> OutOfRange {
        OutOfRange {
            start,
            count,
            capacity: self.blocks,
        }
    }

    /// Byte offset of block `idx` in the image file (fits: SDHC images
    /// below 4 GiB; larger offsets are refused).
    fn file_offset(&self, idx: u32) -> Result<u32, OutOfRange> {
        u32::try_from(u64::from(idx) * Block::LEN as u64).map_err(|_| self.host_err(idx, 1))
    }
}

impl BlockDevice for RamDisk {
    type Error = OutOfRange;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), OutOfRange> {
        self.check(start, blocks.len())?;
        let in_mem = self.in_mem();
        let mem = self.mem.borrow();
        for (i, block) in blocks.iter_mut().enumerate() {
            let idx = start.0 + i as u32;
            if idx < in_mem {
                let at = idx as usize * Block::LEN;
                block.contents.copy_from_slice(&mem[at..at + Block::LEN]);
            } else {
                let host = self.host.ok_or_else(|| self.host_err(idx, 1))?;
                if !host.read_at(self.file_offset(idx)?, &mut block.contents) {
                    return Err(self.host_err(idx, 1));
                }
            }
        }
        charge(|m| m.read(start.0, blocks.len() as u32));
        Ok(())
    }

    fn write(&self, blocks: &[Block], start: BlockIdx) -> Result<(), OutOfRange> {
        self.check(start, blocks.len())?;
        let in_mem = self.in_mem();
        let mut mem = self.mem.borrow_mut();
        for (i, block) in blocks.iter().enumerate() {
            let idx = start.0 + i as u32;
            if idx < in_mem {
                let at = idx as usize * Block::LEN;
                mem[at..at + Block::LEN].copy_from_slice(&block.contents);
            } else {
                let host = self.host.ok_or_else(|| self.host_err(idx, 1))?;
                if !host.write_at(self.file_offset(idx)?, &block.contents) {
                    return Err(self.host_err(idx, 1));
                }
            }
        }
        charge(|m| m.write(start.0, blocks.len() as u32).ns);
        Ok(())
    }

    fn num_blocks(&self) -> Result<BlockCount, OutOfRange> {
        Ok(BlockCount(self.blocks))
    }
}

/// The PSRAM as (card, the unused rest). Call once: a second call
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
