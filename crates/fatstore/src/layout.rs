//! Where things are on a FAT16/FAT32 volume, read from the MBR and the boot
//! sector (the recording writer addresses the FATs, the data area and the
//! FSInfo sector itself; `embedded-sdmmc` does not expose its own copy).
//!
//! Field offsets follow Microsoft's "FAT: General Overview of On-Disk
//! Format" (fatgen103): BPB at the start of the boot sector, FAT type by
//! cluster count (FAT16 below 65 525 clusters), FAT32 entries are 28 bits
//! (the top 4 bits are reserved and kept on update).

use embedded_sdmmc::{Block, BlockDevice, BlockIdx, Error as SdError};

/// FAT16 or FAT32 (`embedded-sdmmc` has no FAT12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Fat16,
    Fat32,
}

/// The geometry of volume 0, all block numbers absolute (on the device).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    pub kind: Kind,
    /// Blocks per cluster (1 to 128).
    pub spc: u32,
    /// First block of FAT1.
    pub fat1: u32,
    /// First block of FAT2 (`None` with a single FAT).
    pub fat2: Option<u32>,
    /// Block of cluster 2.
    pub data: u32,
    /// Highest valid cluster number (clusters are `2..=max_cluster`).
    pub max_cluster: u32,
    /// The FSInfo block (FAT32 only).
    pub fsinfo: Option<u32>,
}

/// FSInfo: free cluster count (offset 488) and next-free hint (492);
/// `0xFFFF_FFFF` means unknown (fatgen103, "FAT32 FSInfo Sector Structure").
pub(crate) const FSINFO_FREE: usize = 488;
pub(crate) const FSINFO_NEXT: usize = 492;
pub(crate) const UNKNOWN: u32 = 0xFFFF_FFFF;

fn u16_at(b: &[u8; 512], at: usize) -> u32 {
    u32::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

pub(crate) fn u32_at(b: &[u8; 512], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

pub(crate) fn put_u32(b: &mut [u8; 512], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn bad<E: core::error::Error>(what: &'static str) -> SdError<E> {
    SdError::FormatError(what)
}

impl Layout {
    /// Read the MBR's first partition and its boot sector, using `buf`.
    pub fn read<D: BlockDevice>(dev: &D, buf: &mut Block) -> Result<Layout, SdError<D::Error>> {
        read_block(dev, 0, buf)?;
        let mbr = &buf.contents;
        if mbr[510] != 0x55 || mbr[511] != 0xAA {
            return Err(bad("no MBR signature"));
        }
        let start = u32_at(mbr, 446 + 8);
        read_block(dev, start, buf)?;
        let b = &buf.contents;
        if u16_at(b, 11) != 512 {
            return Err(bad("sector size is not 512"));
        }
        let spc = u32::from(b[13]);
        if spc == 0 || !spc.is_power_of_two() {
            return Err(bad("sectors per cluster is not a power of two"));
        }
        let reserved = u16_at(b, 14);
        let fats = u32::from(b[16]);
        let root_entries = u16_at(b, 17);
        let total = match u16_at(b, 19) {
            0 => u32_at(b, 32),
            n => n,
        };
        let fat_size = match u16_at(b, 22) {
            0 => u32_at(b, 36),
            n => n,
        };
        if fats == 0 || fat_size == 0 || reserved == 0 {
            return Err(bad("no FAT"));
        }
        let root_blocks = (root_entries * 32).div_ceil(512);
        let meta = reserved + fats * fat_size + root_blocks;
        let clusters = total.checked_sub(meta).ok_or(bad("volume too small"))? / spc;
        let kind = if clusters < 4085 {
            return Err(bad("FAT12 is not supported"));
        } else if clusters < 65525 {
            Kind::Fat16
        } else {
            Kind::Fat32
        };
        let fat1 = start + reserved;
        Ok(Layout {
            kind,
            spc,
            fat1,
            fat2: (fats >= 2).then_some(fat1 + fat_size),
            data: start + meta,
            max_cluster: clusters + 1,
            fsinfo: match kind {
                Kind::Fat32 => Some(start + u16_at(b, 48)),
                Kind::Fat16 => None,
            },
        })
    }

    /// Bytes per FAT entry.
    fn entry_len(&self) -> u32 {
        match self.kind {
            Kind::Fat16 => 2,
            Kind::Fat32 => 4,
        }
    }

    /// The FAT block (relative to the FAT's start) and byte offset of
    /// `cluster`'s entry.
    pub fn entry_pos(&self, cluster: u32) -> (u32, usize) {
        let byte = cluster * self.entry_len();
        (byte / 512, (byte % 512) as usize)
    }

    /// The entry at `off` of a FAT block, as a cluster value (`0` free).
    pub fn get(&self, b: &[u8; 512], off: usize) -> u32 {
        match self.kind {
            Kind::Fat16 => u16_at(b, off),
            Kind::Fat32 => u32_at(b, off) & 0x0FFF_FFFF,
        }
    }

    /// Set the entry at `off` to `value` ([`Layout::eoc`] ends a chain).
    pub fn set(&self, b: &mut [u8; 512], off: usize, value: u32) {
        match self.kind {
            Kind::Fat16 => b[off..off + 2].copy_from_slice(&(value as u16).to_le_bytes()),
            Kind::Fat32 => {
                let keep = u32_at(b, off) & 0xF000_0000;
                put_u32(b, off, keep | (value & 0x0FFF_FFFF));
            }
        }
    }

    /// The end-of-chain mark.
    pub fn eoc(&self) -> u32 {
        match self.kind {
            Kind::Fat16 => 0xFFFF,
            Kind::Fat32 => 0x0FFF_FFFF,
        }
    }

    /// First block of `cluster`.
    pub fn cluster_block(&self, cluster: u32) -> u32 {
        self.data + (cluster - 2) * self.spc
    }

    /// Bytes per cluster.
    pub fn cluster_bytes(&self) -> u32 {
        self.spc * 512
    }
}

/// Read one block.
pub(crate) fn read_block<D: BlockDevice>(
    dev: &D,
    idx: u32,
    buf: &mut Block,
) -> Result<(), SdError<D::Error>> {
    dev.read(core::slice::from_mut(buf), BlockIdx(idx))
        .map_err(SdError::DeviceError)
}

/// Write one block.
pub(crate) fn write_block<D: BlockDevice>(
    dev: &D,
    idx: u32,
    buf: &Block,
) -> Result<(), SdError<D::Error>> {
    dev.write(core::slice::from_ref(buf), BlockIdx(idx))
        .map_err(SdError::DeviceError)
}
