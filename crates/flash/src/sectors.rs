//! Which flash sectors an image erases, and the area that must be kept.
//!
//! The sector geometry is probe-rs' own (the chip's default flash
//! algorithm, which is what erases them) and the bank boundaries are its
//! memory map's flash regions: for the STM32H743VI, 128 KiB sectors, bank 1
//! from 0x0800_0000 and bank 2 from 0x0810_0000, sectors numbered 0–7 in
//! each bank (RM0433, "Flash memory organization"). Flash is erased by whole
//! sectors, so a segment that touches a sector costs that entire sector.

use std::fmt;
use std::ops::Range;

use probe_rs::config::Target;

use crate::elf::ElfImage;

/// One erasable sector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sector {
    /// Bank, from 1.
    pub bank: usize,
    /// Sector number within its bank, from 0.
    pub index: u64,
    /// Its addresses.
    pub range: Range<u64>,
}

impl fmt::Display for Sector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bank {} sector {} ({:#010x}..{:#010x})",
            self.bank, self.index, self.range.start, self.range.end
        )
    }
}

/// An address range that flashing must leave alone (board file
/// `flash.keep`), e.g. the OpenMV bootloader.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeepArea {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// What lives there, for messages.
    pub name: String,
}

impl KeepArea {
    /// Its addresses.
    pub fn range(&self) -> Range<u64> {
        self.start..self.end
    }
}

/// Flashing would erase part of the area to keep.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the image would erase {sector}, which holds {} ({:#010x}..{:#010x}): its lowest segment loads at {lowest:#010x}. The agent belongs at {:#010x} and up (firmware/h7/memory.x); pass --erase-bootloader only if you mean to destroy it (the camera can then be recovered only with an SWD probe or the STM32 ROM bootloader, BOOT0)", keep.name, keep.start, keep.end, keep.end)]
pub struct KeepError {
    /// The first sector that would be erased inside the area.
    pub sector: Sector,
    /// The area.
    pub keep: KeepArea,
    /// The image's lowest load address.
    pub lowest: u64,
}

/// All sectors of the chip's flash, in address order, from probe-rs'
/// default flash algorithm (sector sizes) and memory map (banks).
pub fn chip_sectors(target: &Target) -> Vec<Sector> {
    let banks = crate::target::flash_banks(target);
    let algo = target
        .flash_algorithms
        .iter()
        .find(|a| a.default)
        .or_else(|| target.flash_algorithms.first());
    let Some(algo) = algo else {
        return Vec::new();
    };
    let props = &algo.flash_properties;
    let base = props.address_range.start;
    let mut out = Vec::new();
    for (i, desc) in props.sectors.iter().enumerate() {
        let group_end = props
            .sectors
            .get(i + 1)
            .map_or(props.address_range.end, |next| base + next.address);
        let mut at = base + desc.address;
        while desc.size > 0 && at < group_end {
            let range = at..(at + desc.size).min(group_end);
            let bank = banks.iter().position(|b| b.contains(&at));
            let bank_start = bank.map_or(base, |b| banks[b].start);
            out.push(Sector {
                bank: bank.map_or(1, |b| b + 1),
                index: (at - bank_start) / desc.size,
                range,
            });
            at += desc.size;
        }
    }
    out
}

/// The sectors that programming `image` erases, in address order.
pub fn touched(sectors: &[Sector], image: &ElfImage) -> Vec<Sector> {
    sectors
        .iter()
        .filter(|s| {
            image.segments.iter().any(|seg| {
                let end = seg.address.saturating_add(seg.size);
                seg.address < s.range.end && s.range.start < end
            })
        })
        .cloned()
        .collect()
}

/// Refuse erasing any sector that overlaps `keep`, unless `allowed`.
pub fn check_keep(
    erased: &[Sector],
    keep: Option<&KeepArea>,
    image: &ElfImage,
    allowed: bool,
) -> Result<(), KeepError> {
    let Some(keep) = keep else { return Ok(()) };
    if allowed {
        return Ok(());
    }
    match erased
        .iter()
        .find(|s| s.range.start < keep.end && keep.start < s.range.end)
    {
        Some(sector) => Err(KeepError {
            sector: sector.clone(),
            keep: keep.clone(),
            lowest: image.segments.iter().map(|s| s.address).min().unwrap_or(0),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::elf::LoadSegment;
    use std::path::PathBuf;

    fn h743() -> Vec<Sector> {
        chip_sectors(&crate::target::lookup("STM32H743VITx").unwrap())
    }

    fn image(segments: &[(u64, u64)]) -> ElfImage {
        ElfImage {
            path: PathBuf::from("x"),
            file_size: 0,
            entry: 0,
            segments: segments
                .iter()
                .map(|&(address, size)| LoadSegment {
                    address,
                    size,
                    offset: 0,
                })
                .collect(),
        }
    }

    fn bootloader() -> KeepArea {
        KeepArea {
            start: 0x0800_0000,
            end: 0x0804_0000,
            name: "the OpenMV bootloader".into(),
        }
    }

    #[test]
    fn the_h743_has_two_banks_of_eight_128k_sectors() {
        let s = h743();
        assert_eq!(s.len(), 16);
        assert!(s.iter().all(|s| s.range.end - s.range.start == 0x2_0000));
        assert_eq!(s[0].to_string(), "bank 1 sector 0 (0x08000000..0x08020000)");
        assert_eq!(s[2].range.start, 0x0804_0000);
        assert_eq!(
            (s[8].bank, s[8].index, s[8].range.start),
            (2, 0, 0x0810_0000)
        );
        assert_eq!((s[15].bank, s[15].index), (2, 7));
    }

    #[test]
    fn an_image_erases_every_sector_it_touches() {
        let s = h743();
        // 0x0804_0000 + 0x2_0001 spills one byte into sector 3; a second
        // segment crosses into bank 2.
        let img = image(&[(0x0804_0000, 0x2_0001), (0x080F_FFF0, 0x20)]);
        let t: Vec<String> = touched(&s, &img).iter().map(|s| s.to_string()).collect();
        assert_eq!(
            t,
            [
                "bank 1 sector 2 (0x08040000..0x08060000)",
                "bank 1 sector 3 (0x08060000..0x08080000)",
                "bank 1 sector 7 (0x080e0000..0x08100000)",
                "bank 2 sector 0 (0x08100000..0x08120000)",
            ]
        );
    }

    #[test]
    fn the_bootloader_area_is_refused_unless_allowed() {
        let s = h743();
        let keep = bootloader();
        let ok = image(&[(0x0804_0000, 0x1000)]);
        check_keep(&touched(&s, &ok), Some(&keep), &ok, false).unwrap();

        // Ends one sector too low: the last 16 bytes land in sector 1.
        let low = image(&[(0x0803_FFF0, 0x100)]);
        let err = check_keep(&touched(&s, &low), Some(&keep), &low, false).unwrap_err();
        assert_eq!(err.sector.index, 1);
        let msg = err.to_string();
        crate::testing::assert_contains_all(&msg, &["bank 1 sector 1", "--erase-bootloader"]);
        assert!(msg.contains("loads at 0x0803fff0"), "{msg}");

        let at_zero = image(&[(0x0800_0000, 0x100)]);
        let err = check_keep(&touched(&s, &at_zero), Some(&keep), &at_zero, false).unwrap_err();
        assert_eq!(err.sector.index, 0);
        check_keep(&touched(&s, &at_zero), Some(&keep), &at_zero, true).unwrap();
        check_keep(&touched(&s, &at_zero), None, &at_zero, false).unwrap();
    }
}
