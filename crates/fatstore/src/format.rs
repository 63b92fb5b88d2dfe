//! Host tools (feature `std`): make a card image with an MBR and one FAT16
//! or FAT32 partition, and a simple in-memory card.
//!
//! `embedded-sdmmc` cannot format, so the volume is made by `fatfs` 0.3.6
//! (a bare volume) and the MBR is written here: one primary partition
//! starting at LBA 2048 (1 MiB, as partitioning tools align), type 0x0C
//! (FAT32, LBA) or 0x0E (FAT16, LBA). The result passes `fsck.fat -n` (on
//! the partition) and lists with `mdir -i card.img@@1M ::/`.

use std::cell::RefCell;
use std::io::{Read, Seek, SeekFrom, Write};

use embedded_sdmmc::{Block, BlockCount, BlockDevice, BlockIdx};

/// First block of the partition (1 MiB into the card).
pub const PARTITION_START_LBA: u32 = 2048;
/// Bytes per block.
pub const BLOCK_LEN: usize = 512;

/// Which FAT to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FatKind {
    /// FAT16 below 2 GiB with the largest cluster (up to 32 KiB) that
    /// leaves at least 4 200 clusters, FAT32 with 32 KiB clusters from 2 GiB
    /// (as SD cards are formatted: SDSC FAT16, SDHC FAT32 with 32 KiB
    /// clusters).
    Auto,
    /// FAT16 (4 085 to 65 524 clusters).
    Fat16,
    /// FAT32 (at least 65 525 clusters).
    Fat32,
}

/// How to format a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatOptions {
    /// FAT16 or FAT32.
    pub kind: FatKind,
    /// Cluster size in bytes (a power of two, 512 to 32 768), or `None` to
    /// let `fatfs` choose (32 KiB for [`FatKind::Auto`] FAT32).
    pub bytes_per_cluster: Option<u32>,
    /// Volume label, padded with spaces to 11 bytes.
    pub label: [u8; 11],
    /// Volume serial number (fixed, so images are reproducible).
    pub volume_id: u32,
}

impl FormatOptions {
    /// FAT16 with clusters of `bytes_per_cluster`, the label and serial at
    /// their defaults.
    pub fn fat16(bytes_per_cluster: u32) -> Self {
        FormatOptions {
            kind: FatKind::Fat16,
            bytes_per_cluster: Some(bytes_per_cluster),
            ..FormatOptions::default()
        }
    }
}

impl Default for FormatOptions {
    fn default() -> Self {
        FormatOptions {
            kind: FatKind::Auto,
            bytes_per_cluster: None,
            label: *b"OPENMV     ",
            volume_id: 0x4F4D_5631,
        }
    }
}

/// Why formatting failed.
#[derive(Debug)]
pub enum FormatError {
    /// The card is too small or too large for the FAT type and cluster size.
    Size(String),
    /// An option is invalid.
    Option(&'static str),
    /// The device or `fatfs` failed.
    Io(std::io::Error),
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::Size(s) => write!(f, "card size: {s}"),
            FormatError::Option(s) => write!(f, "format option: {s}"),
            FormatError::Io(e) => write!(f, "formatting failed: {e}"),
        }
    }
}

impl std::error::Error for FormatError {}

impl From<std::io::Error> for FormatError {
    fn from(e: std::io::Error) -> Self {
        FormatError::Io(e)
    }
}

/// A formatted card image of `size_bytes` (a multiple of 512, at least
/// 4 MiB) in memory, with [`FormatOptions::default`].
pub fn format_card(size_bytes: u64) -> Result<Vec<u8>, FormatError> {
    format_card_with(size_bytes, &FormatOptions::default())
}

/// A formatted card image in memory.
pub fn format_card_with(size_bytes: u64, opts: &FormatOptions) -> Result<Vec<u8>, FormatError> {
    let len = usize::try_from(size_bytes)
        .map_err(|_| FormatError::Size(format!("{size_bytes} bytes do not fit in memory")))?;
    let card = MemCard::new(vec![0u8; len]);
    format_device(&card, opts)?;
    Ok(card.into_inner())
}

/// Format any block device (its current contents are overwritten where
/// the MBR, the FATs and the root directory go; the rest is left as is, so
/// a sparse device stays sparse).
pub fn format_device<D: BlockDevice>(dev: &D, opts: &FormatOptions) -> Result<(), FormatError> {
    let blocks = dev
        .num_blocks()
        .map_err(|e| FormatError::Io(std::io::Error::other(format!("{e:?}"))))?
        .0;
    if blocks < PARTITION_START_LBA + 8192 {
        return Err(FormatError::Size(format!(
            "{} bytes is too small (at least {} needed)",
            u64::from(blocks) * 512,
            u64::from(PARTITION_START_LBA + 8192) * 512
        )));
    }
    let part_blocks = blocks - PARTITION_START_LBA;
    let part_bytes = u64::from(part_blocks) * 512;
    let (fat_type, cluster) = match opts.kind {
        FatKind::Fat16 => (fatfs::FatType::Fat16, opts.bytes_per_cluster),
        FatKind::Fat32 => (fatfs::FatType::Fat32, opts.bytes_per_cluster),
        FatKind::Auto if part_bytes < (2 << 30) => (
            fatfs::FatType::Fat16,
            opts.bytes_per_cluster.or_else(|| fat16_cluster(part_bytes)),
        ),
        FatKind::Auto => (
            fatfs::FatType::Fat32,
            Some(opts.bytes_per_cluster.unwrap_or(32 * 1024)),
        ),
    };
    let mut fopts = fatfs::FormatVolumeOptions::new()
        .fat_type(fat_type)
        .total_sectors(part_blocks)
        .volume_label(opts.label)
        .volume_id(opts.volume_id);
    if let Some(c) = cluster {
        if !c.is_power_of_two() || !(512..=32768).contains(&c) {
            return Err(FormatError::Option(
                "bytes_per_cluster must be a power of two from 512 to 32768",
            ));
        }
        fopts = fopts.bytes_per_cluster(c);
    }
    let mut vol = BlockIo::new(dev, PARTITION_START_LBA, part_blocks);
    fatfs::format_volume(&mut vol, fopts).map_err(|e| match e.kind() {
        std::io::ErrorKind::Other | std::io::ErrorKind::InvalidInput => FormatError::Size(format!(
            "{part_bytes} byte volume cannot hold {fat_type:?}{}: {e}",
            cluster
                .map(|c| format!(" with {c} byte clusters"))
                .unwrap_or_default()
        )),
        _ => FormatError::Io(e),
    })?;
    vol.flush()?;
    // The FAT type on disk follows the cluster count: make sure fatfs's
    // layout gives the type asked for (embedded-sdmmc has no FAT12).
    vol.seek(SeekFrom::Start(0))?;
    let made = fatfs::FileSystem::new(&mut vol, fatfs::FsOptions::new())?.fat_type();
    if made != fat_type {
        return Err(FormatError::Size(format!(
            "{part_bytes} byte volume{} gives {made:?}, not {fat_type:?}",
            cluster
                .map(|c| format!(" with {c} byte clusters"))
                .unwrap_or_default()
        )));
    }
    write_mbr(dev, fat_type, part_blocks)
}

/// The largest cluster (32 KiB down to 512 B) that still gives FAT16 a safe
/// cluster count (4 200 to 65 000), as SD card formatters prefer large
/// clusters: fewer FAT updates per byte written.
fn fat16_cluster(part_bytes: u64) -> Option<u32> {
    (9..=15)
        .rev()
        .map(|s| 1u32 << s)
        .find(|&c| (4200..=65_000).contains(&(part_bytes / u64::from(c))))
}

fn write_mbr<D: BlockDevice>(
    dev: &D,
    fat_type: fatfs::FatType,
    part_blocks: u32,
) -> Result<(), FormatError> {
    let mut mbr = Block::new();
    let e = &mut mbr.contents[446..462];
    e[0] = 0x00; // not bootable
    e[1..4].copy_from_slice(&[0xFE, 0xFF, 0xFF]); // CHS: use LBA
    e[4] = match fat_type {
        fatfs::FatType::Fat32 => 0x0C,
        _ => 0x0E,
    };
    e[5..8].copy_from_slice(&[0xFE, 0xFF, 0xFF]);
    e[8..12].copy_from_slice(&PARTITION_START_LBA.to_le_bytes());
    e[12..16].copy_from_slice(&part_blocks.to_le_bytes());
    mbr.contents[440..444].copy_from_slice(&0x4F4D_5631u32.to_le_bytes()); // disk id
    mbr.contents[510] = 0x55;
    mbr.contents[511] = 0xAA;
    dev.write(&[mbr], BlockIdx(0))
        .map_err(|e| FormatError::Io(std::io::Error::other(format!("{e:?}"))))
}

/// `std::io` access to a range of blocks of a device (for `fatfs`), with
/// read-modify-write for partial blocks.
struct BlockIo<'d, D> {
    dev: &'d D,
    start: u32,
    blocks: u32,
    pos: u64,
}

impl<'d, D: BlockDevice> BlockIo<'d, D> {
    fn new(dev: &'d D, start: u32, blocks: u32) -> Self {
        BlockIo {
            dev,
            start,
            blocks,
            pos: 0,
        }
    }

    fn len(&self) -> u64 {
        u64::from(self.blocks) * 512
    }

    fn block_at(&self, pos: u64) -> std::io::Result<(BlockIdx, usize)> {
        let idx = u32::try_from(pos / 512)
            .ok()
            .and_then(|b| b.checked_add(self.start))
            .ok_or_else(|| std::io::Error::other("offset out of range"))?;
        Ok((BlockIdx(idx), (pos % 512) as usize))
    }

    fn io_err<E: std::fmt::Debug>(e: E) -> std::io::Error {
        std::io::Error::other(format!("block device: {e:?}"))
    }
}

impl<D: BlockDevice> Read for BlockIo<'_, D> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.len() || buf.is_empty() {
            return Ok(0);
        }
        let (idx, off) = self.block_at(self.pos)?;
        let mut b = [Block::new()];
        self.dev.read(&mut b, idx).map_err(Self::io_err)?;
        let n = (512 - off).min(buf.len());
        buf[..n].copy_from_slice(&b[0].contents[off..off + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl<D: BlockDevice> Write for BlockIo<'_, D> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.pos >= self.len() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::WriteZero,
                "write past the end of the volume",
            ));
        }
        let (idx, off) = self.block_at(self.pos)?;
        let n = (512 - off).min(buf.len());
        let mut b = [Block::new()];
        if n < 512 {
            self.dev.read(&mut b, idx).map_err(Self::io_err)?;
        }
        b[0].contents[off..off + n].copy_from_slice(&buf[..n]);
        self.dev.write(&b, idx).map_err(Self::io_err)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<D: BlockDevice> Seek for BlockIo<'_, D> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len().checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start")
        })?;
        Ok(self.pos)
    }
}

/// A card image in memory as a block device (no timing, no faults; the
/// simulator's card has both).
#[derive(Debug, Default)]
pub struct MemCard {
    data: RefCell<Vec<u8>>,
}

/// Errors of [`MemCard`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfRange {
    /// The first block asked for.
    pub block: u32,
}

impl std::fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "block {} is past the end of the card", self.block)
    }
}

impl std::error::Error for OutOfRange {}

impl MemCard {
    /// A card holding `image` (its length is cut to whole blocks).
    pub fn new(mut image: Vec<u8>) -> Self {
        image.truncate(image.len() / 512 * 512);
        MemCard {
            data: RefCell::new(image),
        }
    }

    /// The image.
    pub fn into_inner(self) -> Vec<u8> {
        self.data.into_inner()
    }

    /// A copy of the image.
    pub fn image(&self) -> Vec<u8> {
        self.data.borrow().clone()
    }

    fn range(&self, start: BlockIdx, n: usize) -> Result<std::ops::Range<usize>, OutOfRange> {
        let err = OutOfRange { block: start.0 };
        let a = usize::try_from(start.0)
            .map_err(|_| err)?
            .checked_mul(512)
            .ok_or(err)?;
        let b = a.checked_add(n.checked_mul(512).ok_or(err)?).ok_or(err)?;
        if b > self.data.borrow().len() {
            return Err(err);
        }
        Ok(a..b)
    }
}

impl BlockDevice for MemCard {
    type Error = OutOfRange;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), OutOfRange> {
        let r = self.range(start, blocks.len())?;
        let data = self.data.borrow();
        for (b, src) in blocks.iter_mut().zip(data[r].chunks_exact(512)) {
            b.contents.copy_from_slice(src);
        }
        Ok(())
    }

    fn write(&self, blocks: &[Block], start: BlockIdx) -> Result<(), OutOfRange> {
        let r = self.range(start, blocks.len())?;
        let mut data = self.data.borrow_mut();
        for (b, dst) in blocks.iter().zip(data[r].chunks_exact_mut(512)) {
            dst.copy_from_slice(&b.contents);
        }
        Ok(())
    }

    fn num_blocks(&self) -> Result<BlockCount, OutOfRange> {
        let n = self.data.borrow().len() / 512;
        Ok(BlockCount(u32::try_from(n).unwrap_or(u32::MAX)))
    }
}
