//! The card image for one scenario: formatted for the scenario's full
//! capacity (so the FAT geometry — cluster size, FAT type, where files go —
//! is the simulator's), stored only as far as the card's half of the PSRAM
//! (8 MiB) reaches.
//!
//! A fresh FAT volume puts its MBR, FATs and root directory at the start
//! and leaves the rest zero, so the image is cut there; if
//! formatting writes anything beyond it, the card does not fit and the
//! board says so. Blocks the firmware writes past it go to the image file
//! on the host through semihosting (`card=<blocks>@card.img` on its
//! command line), so the whole capacity is usable.

use std::cell::RefCell;

use embedded_sdmmc::{Block, BlockCount, BlockDevice, BlockIdx};
use omv_fatstore::format::{format_device, FormatOptions};

/// A block device of `blocks` blocks of which only the first
/// `data.len() / 512` are stored; the rest read as zeros and must stay zero.
#[derive(Debug)]
struct PrefixCard {
    blocks: u32,
    data: RefCell<Vec<u8>>,
}

/// Formatting wrote past the stored prefix.
#[derive(Debug)]
struct BeyondPrefix {
    block: u32,
}

impl std::fmt::Display for BeyondPrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "formatting writes block {} beyond the card's PSRAM",
            self.block
        )
    }
}

impl std::error::Error for BeyondPrefix {}

impl BlockDevice for PrefixCard {
    type Error = BeyondPrefix;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), BeyondPrefix> {
        let data = self.data.borrow();
        for (i, block) in blocks.iter_mut().enumerate() {
            let at = (start.0 as usize + i) * Block::LEN;
            match data.get(at..at + Block::LEN) {
                Some(src) => block.contents.copy_from_slice(src),
                None => block.contents.fill(0),
            }
        }
        Ok(())
    }

    fn write(&self, blocks: &[Block], start: BlockIdx) -> Result<(), BeyondPrefix> {
        let mut data = self.data.borrow_mut();
        for (i, block) in blocks.iter().enumerate() {
            let index = start.0.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
            let at = index as usize * Block::LEN;
            match data.get_mut(at..at + Block::LEN) {
                Some(dst) => dst.copy_from_slice(&block.contents),
                None if block.contents.iter().all(|&b| b == 0) => {}
                None => return Err(BeyondPrefix { block: index }),
            }
        }
        Ok(())
    }

    fn num_blocks(&self) -> Result<BlockCount, BeyondPrefix> {
        Ok(BlockCount(self.blocks))
    }
}

/// The card image could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot make a {capacity_kib} KiB card image for the {max_kib} KiB of PSRAM: {reason}")]
pub struct CardImageError {
    /// The capacity asked for.
    pub capacity_kib: u64,
    /// The card's part of the PSRAM (KiB).
    pub max_kib: u64,
    /// Why.
    pub reason: String,
}

/// The first `min(capacity, max)` KiB of a card of `capacity_kib` KiB
/// formatted with the default options (as the simulator formats its card).
pub fn image(capacity_kib: u64, max_kib: u64) -> Result<Vec<u8>, CardImageError> {
    image_with_files(capacity_kib, max_kib, &[])
}

/// [`image`] with `files` (card path such as `/sdcard/replay.bin`, bytes)
/// already written, through the same FAT code as the agent: the fast way to
/// give the firmware data (the emulated UART carries ~10 KB/s towards it).
pub fn image_with_files(
    capacity_kib: u64,
    max_kib: u64,
    files: &[(String, Vec<u8>)],
) -> Result<Vec<u8>, CardImageError> {
    let err = |reason: String| CardImageError {
        capacity_kib,
        max_kib,
        reason,
    };
    let blocks = capacity_kib
        .checked_mul(2)
        .and_then(|b| u32::try_from(b).ok())
        .ok_or_else(|| err("more than 2^32 blocks".into()))?;
    let stored = capacity_kib.min(max_kib).saturating_mul(1024);
    let stored = usize::try_from(stored).map_err(|e| err(e.to_string()))?;
    let card = PrefixCard {
        blocks,
        data: RefCell::new(vec![0u8; stored]),
    };
    format_device(&card, &FormatOptions::default()).map_err(|e| err(e.to_string()))?;
    if files.is_empty() {
        return Ok(card.data.into_inner());
    }
    let store = omv_fatstore::FatStore::mount(card).map_err(|e| err(format!("{e:?}")))?;
    for (path, bytes) in files {
        let mut file = omv_fatstore::FatFile::open(&store, path, omv_fatstore::OpenMode::Write)
            .map_err(|e| err(format!("{path}: {e:?}")))?;
        embedded_io::Write::write_all(&mut file, bytes)
            .map_err(|e| err(format!("{path}: {e:?}")))?;
        file.close().map_err(|e| err(format!("{path}: {e:?}")))?;
    }
    let card = store.unmount().map_err(|e| err(format!("{e:?}")))?;
    Ok(card.data.into_inner())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_card_that_fits_is_the_simulators_card_byte_for_byte() {
        let full = omv_fatstore::format::format_card(8 << 20).unwrap();
        assert_eq!(image(8 * 1024, 8 * 1024).unwrap(), full);
    }

    #[test]
    fn a_larger_card_keeps_its_geometry_and_is_cut_at_the_psram() {
        let full = omv_fatstore::format::format_card(64 << 20).unwrap();
        let cut = image(64 * 1024, 8 * 1024).unwrap();
        assert_eq!(cut.len(), 8 << 20);
        assert_eq!(&full[..8 << 20], &cut[..]);
        assert!(full[8 << 20..].iter().all(|&b| b == 0));
        // And it mounts: the agent's FAT code sees the 64 MiB volume.
        let store = omv_fatstore::FatStore::mount(omv_fatstore::format::MemCard::new(cut));
        assert!(store.is_ok());
    }

    #[test]
    fn preloaded_files_are_on_the_card() {
        let data: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        let img = image_with_files(
            64 * 1024,
            8 * 1024,
            &[("/sdcard/in.bin".into(), data.clone())],
        )
        .unwrap();
        assert_eq!(img.len(), 8 << 20);
        let store = omv_fatstore::FatStore::mount(omv_fatstore::format::MemCard::new(img)).unwrap();
        let mut f =
            omv_fatstore::FatFile::open(&store, "/sdcard/in.bin", omv_fatstore::OpenMode::Read)
                .unwrap();
        let mut back = vec![0u8; data.len()];
        assert_eq!(f.read_at(0, &mut back).unwrap(), data.len());
        assert_eq!(back, data);
    }

    #[test]
    fn an_absurd_capacity_is_refused_with_the_sizes() {
        let err = image(u64::MAX / 4, 8 * 1024).unwrap_err().to_string();
        assert!(err.contains("8192 KiB of PSRAM"), "{err}");
    }
}
