//! The microSD slot: SDMMC1 (4-bit, 25 MHz) as an `embedded_sdmmc::BlockDevice`,
//! so the agent mounts it with the same FAT code (`omv-fatstore` over
//! embedded-sdmmc) as the simulator.
//!
//! The HAL's transfers are async (interrupt + IDMA); the agent is blocking,
//! so each transfer is driven to completion with `block_on`, bounded by
//! [`BLOCK_TIMEOUT`] per block. Runs of blocks that IDMA can reach in place
//! (word-aligned, in AXI SRAM: a frame written by the recording writer)
//! go in one multi-block command (`write_blocks`/`read_blocks`); anything
//! else (a single block, a block on the DTCM stack, an unaligned buffer)
//! goes block by block through a word-aligned static bounce buffer.

mod powerup;

use core::cell::RefCell;
use core::future::Future;

use embassy_futures::block_on;
use embassy_stm32::gpio::{Input, Pull};
use embassy_stm32::peripherals::{PC10, PC11, PC12, PC8, PC9, PD0, PD2, SDMMC1};
use embassy_stm32::sdmmc::sd::{Card, CmdBlock, DataBlock, StorageDevice};
use embassy_stm32::sdmmc::{self, Sdmmc};
use embassy_stm32::time::Hertz;
use embassy_stm32::{bind_interrupts, Peri};
use embassy_time::{with_timeout, Duration};
use embedded_sdmmc::{Block, BlockCount, BlockDevice, BlockIdx};
use static_cell::{ConstStaticCell, StaticCell};

use crate::board::SD_CARD_HZ;

bind_interrupts!(struct SdIrqs {
    SDMMC1 => sdmmc::InterruptHandler<SDMMC1>;
});

/// Longest a single block read or write may take (SD cards may be busy for
/// up to 250 ms on a write, SD spec "Physical Layer" §4.6.2.2).
pub const BLOCK_TIMEOUT: Duration = Duration::from_millis(500);
/// Longest card initialisation may take, awaited parts included (the
/// blocking ACMD41 power-up loop inside it has its own deadline,
/// [`powerup::POWER_UP_TIMEOUT`]).
pub const INIT_TIMEOUT: Duration = Duration::from_secs(2);

/// What went wrong with the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdError {
    /// The card-detect switch (PD0) says the slot is empty.
    NoCard,
    /// The card did not finish in time.
    Timeout {
        /// The block being transferred (`u32::MAX` during initialisation).
        block: u32,
    },
    /// The controller reported an error.
    Bus {
        /// The block being transferred (`u32::MAX` during initialisation).
        block: u32,
        /// The HAL's error.
        error: sdmmc::Error,
    },
    /// A block index past the card's end, or an index overflow.
    OutOfRange {
        /// The block asked for.
        block: u32,
        /// Blocks on the card.
        blocks: u32,
    },
    /// The device was used re-entrantly (a bug in the caller).
    Busy,
    /// The card did not finish powering up (ACMD41) within the SD spec's
    /// 1 s (see `sdcard/powerup.rs`).
    PowerUpTimeout {
        /// The deadline, in milliseconds.
        ms: u64,
    },
}

impl core::fmt::Display for SdError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SdError::NoCard => f.write_str("no microSD card in the slot"),
            SdError::Timeout { block } => write!(f, "SD card timed out at block {block}"),
            SdError::Bus { block, error } => write!(f, "SD card error at block {block}: {error:?}"),
            SdError::OutOfRange { block, blocks } => {
                write!(f, "block {block} is past the card's {blocks} blocks")
            }
            SdError::Busy => f.write_str("SD card driver used re-entrantly"),
            SdError::PowerUpTimeout { ms } => {
                write!(f, "SD card did not finish powering up within {ms} ms")
            }
        }
    }
}

impl core::error::Error for SdError {}

/// The SDMMC1 pins and peripheral.
pub struct SdPins {
    /// The controller.
    pub sdmmc: Peri<'static, SDMMC1>,
    /// CK.
    pub clk: Peri<'static, PC12>,
    /// CMD.
    pub cmd: Peri<'static, PD2>,
    /// D0.
    pub d0: Peri<'static, PC8>,
    /// D1.
    pub d1: Peri<'static, PC9>,
    /// D2.
    pub d2: Peri<'static, PC10>,
    /// D3.
    pub d3: Peri<'static, PC11>,
    /// Card detect.
    pub detect: Peri<'static, PD0>,
}

struct Inner {
    device: StorageDevice<'static, 'static, Card>,
    /// Word-aligned, DMA-reachable block buffer (a static).
    bounce: &'static mut DataBlock,
}

/// An initialised card.
pub struct SdCard {
    inner: RefCell<Inner>,
    blocks: u32,
}

const INIT: u32 = u32::MAX;

impl SdCard {
    /// Check the slot, initialise the card (400 kHz identification, then
    /// 4-bit at [`SD_CARD_HZ`]). Call once.
    pub fn init(pins: SdPins) -> Result<SdCard, SdError> {
        static SDMMC: StaticCell<Sdmmc<'static>> = StaticCell::new();
        // Card registers (SCR, SD status) are read into it by DMA.
        static CMD: ConstStaticCell<CmdBlock> = ConstStaticCell::new(CmdBlock::new());
        static BOUNCE: ConstStaticCell<DataBlock> = ConstStaticCell::new(DataBlock::new());
        let detect = Input::new(pins.detect, Pull::Up);
        if detect.is_high() {
            return Err(SdError::NoCard);
        }
        let sdmmc = SDMMC
            .try_init(Sdmmc::new_4bit(
                pins.sdmmc,
                SdIrqs,
                pins.clk,
                pins.cmd,
                pins.d0,
                pins.d1,
                pins.d2,
                pins.d3,
                sdmmc::Config::default(),
            ))
            .ok_or(SdError::Busy)?;
        let (Some(cmd), Some(bounce)) = (CMD.try_take(), BOUNCE.try_take()) else {
            return Err(SdError::Busy);
        };
        let deadline = powerup::arm().map_err(|_| SdError::Busy)?;
        let result = block_on(with_timeout(
            INIT_TIMEOUT,
            StorageDevice::new_sd_card(sdmmc, cmd, Hertz(SD_CARD_HZ)),
        ));
        if !deadline.disarm() {
            return Err(SdError::PowerUpTimeout {
                ms: powerup::POWER_UP_TIMEOUT.as_millis(),
            });
        }
        let device = result
            .map_err(|_| SdError::Timeout { block: INIT })?
            .map_err(|error| SdError::Bus { block: INIT, error })?;
        let bytes = embassy_stm32::sdmmc::sd::Addressable::size(&device.card());
        let blocks = u32::try_from(bytes / 512).unwrap_or(u32::MAX);
        Ok(SdCard {
            inner: RefCell::new(Inner { device, bounce }),
            blocks,
        })
    }

    fn index(&self, start: BlockIdx, i: usize) -> Result<u32, SdError> {
        let out = SdError::OutOfRange {
            block: start.0,
            blocks: self.blocks,
        };
        let i = u32::try_from(i).map_err(|_| out)?;
        let block = start.0.checked_add(i).ok_or(out)?;
        if block >= self.blocks {
            return Err(SdError::OutOfRange {
                block,
                blocks: self.blocks,
            });
        }
        Ok(block)
    }

    /// The first block of a multi-block run of `n` blocks from `start`,
    /// with the whole run checked against the card's end; `None` for a
    /// single block (or none).
    fn run_start(&self, start: BlockIdx, n: usize) -> Result<Option<u32>, SdError> {
        if n <= 1 {
            return Ok(None);
        }
        let first = self.index(start, 0)?;
        self.index(start, n - 1)?;
        Ok(Some(first))
    }
}

/// Drives one block transfer (HAL operation) to completion within
/// `timeout`; `block`, the first block it transfers, names it in the
/// error. ([`SdCard::init`] maps its errors the same way in place: through
/// a generic form of this helper its frame grew from 776 to 968 bytes.)
#[inline(always)]
fn finish(
    block: u32,
    timeout: Duration,
    op: impl Future<Output = Result<(), sdmmc::Error>>,
) -> Result<(), SdError> {
    block_on(with_timeout(timeout, op))
        .map_err(|_| SdError::Timeout { block })?
        .map_err(|error| SdError::Bus { block, error })
}

/// AXI SRAM, the RAM SDMMC1's IDMA reaches (RM0433 §2.1, bus matrix: the
/// SDMMC1 master sits on the AXI matrix; DTCM is CPU-only).
const AXI_SRAM: core::ops::Range<usize> = 0x2400_0000..0x2408_0000;

/// Longest a multi-block transfer of `n` blocks may take: [`BLOCK_TIMEOUT`]
/// per block (the spec's busy limit applies to every block).
fn transfer_timeout(n: usize) -> Duration {
    BLOCK_TIMEOUT * u32::try_from(n).unwrap_or(u32::MAX).max(1)
}

/// IDMA can transfer `blocks` in place: word-aligned and in AXI SRAM
/// (frames and statics are; a block on the DTCM stack is not).
fn dma_reachable(blocks: &[Block]) -> bool {
    let addr = blocks.as_ptr() as usize;
    let end = addr.checked_add(core::mem::size_of_val(blocks));
    addr % 4 == 0 && AXI_SRAM.contains(&addr) && end.is_some_and(|e| e <= AXI_SRAM.end)
}

/// `blocks` as the HAL's word-aligned blocks, if IDMA can transfer them in
/// place ([`dma_reachable`]).
fn dma_view(blocks: &[Block]) -> Option<&[DataBlock]> {
    if !dma_reachable(blocks) {
        return None;
    }
    #[allow(unsafe_code)]
    // SAFETY: `DataBlock` is `[u32; 128]` (512 bytes, 4-aligned) and
    // `Block` is `[u8; 512]`; the pointer is 4-aligned (checked), the length
    // is the same number of 512-byte blocks, every bit pattern is a valid
    // u32, and the borrow is kept for the returned slice's lifetime.
    let view =
        unsafe { core::slice::from_raw_parts(blocks.as_ptr().cast::<DataBlock>(), blocks.len()) };
    Some(view)
}

/// As [`dma_view`], mutable.
fn dma_view_mut(blocks: &mut [Block]) -> Option<&mut [DataBlock]> {
    if !dma_reachable(blocks) {
        return None;
    }
    let n = blocks.len();
    #[allow(unsafe_code)]
    // SAFETY: as in `dma_view`; the borrow is unique.
    let view =
        unsafe { core::slice::from_raw_parts_mut(blocks.as_mut_ptr().cast::<DataBlock>(), n) };
    Some(view)
}

impl BlockDevice for SdCard {
    type Error = SdError;

    /// One multi-block read (CMD18) straight into `blocks` when IDMA can
    /// reach them, else block by block through the bounce buffer.
    fn read(&self, blocks: &mut [Block], start_block_idx: BlockIdx) -> Result<(), SdError> {
        let mut inner = self.inner.try_borrow_mut().map_err(|_| SdError::Busy)?;
        let Inner { device, bounce } = &mut *inner;
        let n = blocks.len();
        if let Some(first) = self.run_start(start_block_idx, n)? {
            if let Some(view) = dma_view_mut(blocks) {
                return finish(first, transfer_timeout(n), device.read_blocks(first, view));
            }
        }
        for (i, block) in blocks.iter_mut().enumerate() {
            let idx = self.index(start_block_idx, i)?;
            finish(idx, BLOCK_TIMEOUT, device.read_block(idx, bounce))?;
            block.contents.copy_from_slice(&bounce[..]);
        }
        Ok(())
    }

    /// One multi-block write (CMD25) straight from `blocks` when IDMA can
    /// reach them (a frame in AXI SRAM), else block by block (CMD24)
    /// through the bounce buffer.
    fn write(&self, blocks: &[Block], start_block_idx: BlockIdx) -> Result<(), SdError> {
        let mut inner = self.inner.try_borrow_mut().map_err(|_| SdError::Busy)?;
        let Inner { device, bounce } = &mut *inner;
        let n = blocks.len();
        if let Some(first) = self.run_start(start_block_idx, n)? {
            if let Some(view) = dma_view(blocks) {
                return finish(first, transfer_timeout(n), device.write_blocks(first, view));
            }
        }
        for (i, block) in blocks.iter().enumerate() {
            let idx = self.index(start_block_idx, i)?;
            bounce.copy_from_slice(&block.contents);
            finish(idx, BLOCK_TIMEOUT, device.write_block(idx, bounce))?;
        }
        Ok(())
    }

    fn num_blocks(&self) -> Result<BlockCount, SdError> {
        Ok(BlockCount(self.blocks))
    }
}
