//! Chip lookup in probe-rs' built-in target registry, with suggestions for a
//! mistyped name, and the check that an image fits the chip's flash.

use std::ops::Range;

use probe_rs::config::{MemoryRegion, Registry, RegistryError, Target};

use crate::elf::ElfImage;

/// How many suggestions an unknown chip name gets.
const SUGGESTIONS: usize = 5;

/// The chip name is unknown, ambiguous, or the image does not fit it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// No probe-rs target has this name.
    #[error("probe-rs knows no chip `{name}`{}; `probe-rs chip list` lists them all", did_you_mean(.suggestions))]
    Unknown {
        /// The name asked for.
        name: String,
        /// The closest known names, best first.
        suggestions: Vec<String>,
    },
    /// The name is a prefix of several targets.
    #[error("chip `{name}` is ambiguous; name one of: {candidates}")]
    Ambiguous {
        /// The name asked for.
        name: String,
        /// probe-rs' list of candidates.
        candidates: String,
    },
    /// The registry failed for another reason.
    #[error("probe-rs target registry: {0}")]
    Registry(String),
    /// A segment of the image is outside the chip's flash.
    #[error("the image puts {size} bytes at {address:#010x}, outside the flash of {chip} ({}): was it built for another board?", ranges(.flash))]
    OutsideFlash {
        /// The chip.
        chip: String,
        /// Segment load address.
        address: u64,
        /// Segment size.
        size: u64,
        /// The chip's flash regions.
        flash: Vec<Range<u64>>,
    },
}

fn did_you_mean(s: &[String]) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", s.join(", "))
    }
}

fn ranges(r: &[Range<u64>]) -> String {
    r.iter()
        .map(|r| format!("{:#010x}..{:#010x}", r.start, r.end))
        .collect::<Vec<_>>()
        .join(", ")
}

/// All chip names of the built-in registry (with package variants).
pub fn chip_names(registry: &Registry) -> Vec<String> {
    registry
        .families()
        .iter()
        .flat_map(|f| f.variants.iter())
        .flat_map(|c| c.package_variants().cloned())
        .collect()
}

/// The `n` known names closest to `name` (case-insensitive edit distance counting a swap of neighbours as one edit).
pub fn suggest(registry: &Registry, name: &str, n: usize) -> Vec<String> {
    let wanted = name.to_ascii_lowercase();
    let mut scored: Vec<(usize, String)> = chip_names(registry)
        .into_iter()
        .map(|c| (strsim::osa_distance(&wanted, &c.to_ascii_lowercase()), c))
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    let limit = name.len().div_ceil(3).max(2);
    scored
        .into_iter()
        .filter(|(d, _)| *d <= limit)
        .take(n)
        .map(|(_, c)| c)
        .collect()
}

/// Find `name` in the built-in registry.
pub fn lookup(name: &str) -> Result<Target, TargetError> {
    lookup_in(&Registry::from_builtin_families(), name)
}

/// Find `name` in `registry`.
pub fn lookup_in(registry: &Registry, name: &str) -> Result<Target, TargetError> {
    registry.get_target_by_name(name).map_err(|e| match e {
        RegistryError::ChipNotFound(_) => TargetError::Unknown {
            name: name.to_owned(),
            suggestions: suggest(registry, name, SUGGESTIONS),
        },
        RegistryError::ChipNotUnique(_, candidates) => TargetError::Ambiguous {
            name: name.to_owned(),
            candidates,
        },
        other => TargetError::Registry(other.to_string()),
    })
}

/// The chip's own flash regions (on the STM32H743, one per bank) in the
/// order of probe-rs' memory map.
pub fn flash_banks(target: &Target) -> Vec<Range<u64>> {
    target
        .memory_map
        .iter()
        .filter_map(|r| match r {
            // Alias regions are external memories synthesized for some
            // evaluation boards' flash loaders, not the chip's own flash.
            MemoryRegion::Nvm(n) if !n.is_alias => Some(n.range.clone()),
            _ => None,
        })
        .collect()
}

/// The on-chip flash ranges of a target, sorted, with adjacent
/// regions (such as the two banks of an STM32H743) merged.
pub fn flash_ranges(target: &Target) -> Vec<Range<u64>> {
    let mut regions = flash_banks(target);
    regions.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<u64>> = Vec::with_capacity(regions.len());
    for r in regions {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// Check that every segment of `image` lies inside one flash region.
pub fn check_fits(target: &Target, image: &ElfImage) -> Result<(), TargetError> {
    let flash = flash_ranges(target);
    for seg in &image.segments {
        let end = seg.address.saturating_add(seg.size);
        let inside = flash.iter().any(|r| r.start <= seg.address && end <= r.end);
        if !inside {
            return Err(TargetError::OutsideFlash {
                chip: target.name.clone(),
                address: seg.address,
                size: seg.size,
                flash,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::elf::{test_elf, ElfImage};
    use std::path::Path;
    use std::sync::OnceLock;

    fn registry() -> &'static Registry {
        static R: OnceLock<Registry> = OnceLock::new();
        R.get_or_init(Registry::from_builtin_families)
    }

    #[test]
    fn the_h7_chip_is_found_with_its_2_mib_of_flash() {
        let t = lookup_in(registry(), "STM32H743VITx").unwrap();
        assert_eq!(t.name, "STM32H743VITx");
        let total: u64 = flash_ranges(&t).iter().map(|r| r.end - r.start).sum();
        assert!(
            flash_ranges(&t).iter().any(|r| r.start == 0x0800_0000),
            "{:?}",
            flash_ranges(&t)
        );
        assert_eq!(total, 2 * 1024 * 1024);
    }

    #[test]
    fn lookup_is_case_insensitive() {
        assert_eq!(
            lookup_in(registry(), "stm32h743vitx").unwrap().name,
            "STM32H743VITx"
        );
    }

    #[test]
    fn a_typo_gets_suggestions_with_the_right_chip_first() {
        let err = lookup_in(registry(), "STM32H734VITx").unwrap_err();
        match &err {
            TargetError::Unknown { suggestions, .. } => {
                assert_eq!(
                    suggestions.first().map(String::as_str),
                    Some("STM32H743VITx"),
                    "{suggestions:?}"
                );
                assert!(suggestions.len() <= SUGGESTIONS);
            }
            other => panic!("{other:?}"),
        }
        let msg = err.to_string();
        assert!(msg.contains("no chip `STM32H734VITx`"), "{msg}");
        assert!(msg.contains("did you mean STM32H743VITx"), "{msg}");
    }

    #[test]
    fn nonsense_gets_no_suggestions() {
        let err = lookup_in(registry(), "toaster-9000-deluxe").unwrap_err();
        assert_eq!(
            err,
            TargetError::Unknown {
                name: "toaster-9000-deluxe".into(),
                suggestions: vec![]
            }
        );
        assert!(!err.to_string().contains("did you mean"));
    }

    #[test]
    fn a_family_prefix_is_ambiguous_and_lists_candidates() {
        let err = lookup_in(registry(), "STM32H743").unwrap_err();
        match err {
            TargetError::Ambiguous { candidates, .. } => {
                assert!(candidates.contains("STM32H743VITx"), "{candidates}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_image_in_flash_fits_and_one_at_address_zero_does_not() {
        let t = lookup_in(registry(), "STM32H743VITx").unwrap();
        let h7 = ElfImage::parse(
            &test_elf(0x0800_0101, &[(0x0800_0000, &[0; 1024])]),
            Path::new("a"),
        )
        .unwrap();
        check_fits(&t, &h7).unwrap();
        // The qemu agent links at 0x0000_0000 (mps2-an500): flashing it onto an H7 is a mistake.
        let qemu = ElfImage::parse(&test_elf(0x101, &[(0, &[0; 1024])]), Path::new("q")).unwrap();
        let err = check_fits(&t, &qemu).unwrap_err();
        assert!(matches!(
            err,
            TargetError::OutsideFlash {
                address: 0,
                size: 1024,
                ..
            }
        ));
        assert!(err.to_string().contains("0x08000000..0x08200000"), "{err}");
        // Straddling the end of flash is outside too.
        let over =
            ElfImage::parse(&test_elf(0, &[(0x081F_FF00, &[0; 512])]), Path::new("o")).unwrap();
        assert!(check_fits(&t, &over).is_err());
    }
}
