//! What an ELF file would put into the chip: its loadable segments at their
//! load (physical) addresses, the way probe-rs' `ElfLoader` reads them.

use std::path::{Path, PathBuf};

use object::elf::{FileHeader32, EM_ARM, PT_LOAD};
use object::read::elf::{FileHeader, ProgramHeader};
use object::Endianness;

/// One `PT_LOAD` segment with bytes in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadSegment {
    /// Load address (`p_paddr`): where the bytes go in flash.
    pub address: u64,
    /// Bytes in the file (`p_filesz`).
    pub size: u64,
    /// Where those bytes are in the file (`p_offset`).
    pub offset: u64,
}

/// A parsed firmware image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfImage {
    /// Where it was read from.
    pub path: PathBuf,
    /// Size of the file on disk (symbols and debug info included).
    pub file_size: u64,
    /// Entry point (`e_entry`).
    pub entry: u64,
    /// Loadable segments, in file order.
    pub segments: Vec<LoadSegment>,
}

/// The file is not a firmware image that can be flashed.
#[derive(Debug, thiserror::Error)]
pub enum ElfError {
    /// The file could not be read.
    #[error("cannot read firmware {}: {source} (build the agent first: cargo build --manifest-path crates/agent/Cargo.toml --no-default-features --features h7 --release)", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not a 32-bit little-endian ELF, or a malformed one.
    #[error("{} is not a 32-bit ELF file: {reason}", path.display())]
    NotElf {
        /// The file.
        path: PathBuf,
        /// What the parser found wrong.
        reason: String,
    },
    /// An ELF for another architecture.
    #[error("{} is an ELF for machine {machine} (expected ARM, 40): was it built for thumbv7em-none-eabihf?", path.display())]
    NotArm {
        /// The file.
        path: PathBuf,
        /// Its `e_machine`.
        machine: u16,
    },
    /// A segment's bytes lie past the end of the file.
    #[error("{}: segment {index} claims bytes {start}..{end} but the file has {file_size} (truncated file?)", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Program header index.
        index: usize,
        /// First byte.
        start: u64,
        /// One past the last byte.
        end: u64,
        /// File size.
        file_size: u64,
    },
    /// Nothing to flash.
    #[error("{} has no loadable segments with data (bad linker script, or an object file rather than a linked binary?)", path.display())]
    NoLoadableSegments {
        /// The file.
        path: PathBuf,
    },
}

impl ElfImage {
    /// Read and parse `path`.
    pub fn load(path: &Path) -> Result<Self, ElfError> {
        let bytes = std::fs::read(path).map_err(|source| ElfError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&bytes, path)
    }

    /// Parse ELF bytes; `path` is for messages.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self, ElfError> {
        let not_elf = |reason: &str| ElfError::NotElf {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        let header =
            FileHeader32::<Endianness>::parse(bytes).map_err(|e| not_elf(&e.to_string()))?;
        let endian = header.endian().map_err(|e| not_elf(&e.to_string()))?;
        let machine = header.e_machine(endian);
        if machine != EM_ARM {
            return Err(ElfError::NotArm {
                path: path.to_owned(),
                machine,
            });
        }
        let file_size = bytes.len() as u64;
        let mut segments = Vec::new();
        let headers = header
            .program_headers(endian, bytes)
            .map_err(|e| not_elf(&e.to_string()))?;
        for (index, ph) in headers.iter().enumerate() {
            if ph.p_type(endian) != PT_LOAD || ph.p_filesz(endian) == 0 {
                continue;
            }
            let start = u64::from(ph.p_offset(endian));
            let size = u64::from(ph.p_filesz(endian));
            let end = start.saturating_add(size);
            if end > file_size {
                return Err(ElfError::Truncated {
                    path: path.to_owned(),
                    index,
                    start,
                    end,
                    file_size,
                });
            }
            segments.push(LoadSegment {
                address: u64::from(ph.p_paddr(endian)),
                size,
                offset: start,
            });
        }
        if segments.is_empty() {
            return Err(ElfError::NoLoadableSegments {
                path: path.to_owned(),
            });
        }
        Ok(ElfImage {
            path: path.to_owned(),
            file_size,
            entry: u64::from(header.e_entry(endian)),
            segments,
        })
    }

    /// Bytes that will be written to the chip.
    pub fn load_bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.size).sum()
    }

    /// The lowest load address.
    pub fn lowest_address(&self) -> u64 {
        self.segments.iter().map(|s| s.address).min().unwrap_or(0)
    }

    /// One past the highest loaded byte.
    pub fn end_address(&self) -> u64 {
        self.segments
            .iter()
            .map(|s| s.address.saturating_add(s.size))
            .max()
            .unwrap_or(0)
    }
}

/// Build a minimal ARM ELF executable by hand, for tests (here and in the
/// harness): one `PT_LOAD` segment per `(address, bytes)`.
#[doc(hidden)]
pub fn test_elf(entry: u32, segments: &[(u32, &[u8])]) -> Vec<u8> {
    const EHDR: usize = 52;
    const PHDR: usize = 32;
    let phnum = segments.len();
    let mut data_offset = EHDR + PHDR * phnum;
    let mut out = Vec::new();
    let u16le = |v: u16| v.to_le_bytes();
    let u32le = |v: u32| v.to_le_bytes();
    // e_ident: magic, ELFCLASS32, ELFDATA2LSB, EV_CURRENT, SYSV ABI.
    out.extend_from_slice(&[0x7f, b'E', b'L', b'F', 1, 1, 1, 0]);
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&u16le(2)); // ET_EXEC
    out.extend_from_slice(&u16le(EM_ARM));
    out.extend_from_slice(&u32le(1)); // e_version
    out.extend_from_slice(&u32le(entry));
    out.extend_from_slice(&u32le(EHDR as u32)); // e_phoff
    out.extend_from_slice(&u32le(0)); // e_shoff
    out.extend_from_slice(&u32le(0x0500_0400)); // EABI5, hard float
    out.extend_from_slice(&u16le(EHDR as u16));
    out.extend_from_slice(&u16le(PHDR as u16));
    out.extend_from_slice(&u16le(phnum as u16));
    out.extend_from_slice(&u16le(40)); // e_shentsize
    out.extend_from_slice(&u16le(0)); // e_shnum
    out.extend_from_slice(&u16le(0)); // e_shstrndx
    for (address, bytes) in segments {
        out.extend_from_slice(&u32le(PT_LOAD));
        out.extend_from_slice(&u32le(data_offset as u32));
        out.extend_from_slice(&u32le(*address)); // p_vaddr
        out.extend_from_slice(&u32le(*address)); // p_paddr
        out.extend_from_slice(&u32le(bytes.len() as u32));
        out.extend_from_slice(&u32le(bytes.len() as u32));
        out.extend_from_slice(&u32le(5)); // R+X
        out.extend_from_slice(&u32le(4));
        data_offset += bytes.len();
    }
    for (_, bytes) in segments {
        out.extend_from_slice(bytes);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn p() -> &'static Path {
        Path::new("fw.elf")
    }

    #[test]
    fn reads_load_segments_at_their_physical_addresses() {
        let bytes = test_elf(
            0x0800_0199,
            &[(0x0800_0000, &[1; 400]), (0x0800_0190, &[2; 24])],
        );
        let img = ElfImage::parse(&bytes, p()).unwrap();
        assert_eq!(img.entry, 0x0800_0199);
        assert_eq!(
            img.segments,
            vec![
                LoadSegment {
                    address: 0x0800_0000,
                    size: 400,
                    offset: 52 + 2 * 32,
                },
                LoadSegment {
                    address: 0x0800_0190,
                    size: 24,
                    offset: 52 + 2 * 32 + 400,
                }
            ]
        );
        assert_eq!(img.load_bytes(), 424);
        assert_eq!(img.file_size, bytes.len() as u64);
    }

    #[test]
    fn segments_without_file_bytes_are_skipped() {
        let mut bytes = test_elf(0, &[(0x0800_0000, &[1; 8]), (0x2400_0000, &[])]);
        // Give the .bss-like segment a memsz so it is a real NOBITS segment.
        let ph1 = 52 + 32;
        bytes[ph1 + 20..ph1 + 24].copy_from_slice(&64u32.to_le_bytes());
        let img = ElfImage::parse(&bytes, p()).unwrap();
        assert_eq!(img.segments.len(), 1);
    }

    #[test]
    fn loads_from_disk_and_names_a_missing_file_with_the_build_command() {
        let dir = tempfile::tempdir().unwrap();
        let path =
            crate::testing::write_test_elf(dir.path(), "agent", 8, &[(0x0800_0000, &[0; 16])]);
        assert_eq!(ElfImage::load(&path).unwrap().load_bytes(), 16);
        let err = ElfImage::load(&dir.path().join("missing")).unwrap_err();
        assert!(matches!(err, ElfError::Io { .. }));
        assert!(err.to_string().contains("--features h7 --release"), "{err}");
    }

    #[test]
    fn not_an_elf() {
        let err = ElfImage::parse(
            b"#!/bin/sh\necho hi\n and some more bytes to fill a header....",
            p(),
        )
        .unwrap_err();
        assert!(matches!(err, ElfError::NotElf { .. }), "{err:?}");
        let err = ElfImage::parse(&[0x7f, b'E'], p()).unwrap_err();
        assert!(matches!(err, ElfError::NotElf { .. }), "{err:?}");
    }

    #[test]
    fn another_architecture_is_named() {
        let mut bytes = test_elf(0, &[(0, &[0; 4])]);
        bytes[18..20].copy_from_slice(&62u16.to_le_bytes()); // EM_X86_64
        let err = ElfImage::parse(&bytes, p()).unwrap_err();
        assert!(
            matches!(err, ElfError::NotArm { machine: 62, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("thumbv7em-none-eabihf"));
    }

    #[test]
    fn a_truncated_file_is_reported_with_the_segment() {
        let bytes = test_elf(0, &[(0x0800_0000, &[7; 100])]);
        let err = ElfImage::parse(&bytes[..bytes.len() - 10], p()).unwrap_err();
        match err {
            ElfError::Truncated {
                index,
                end,
                file_size,
                ..
            } => {
                assert_eq!(index, 0);
                assert_eq!(end, file_size + 10);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn no_loadable_segment() {
        let bytes = test_elf(0, &[]);
        let err = ElfImage::parse(&bytes, p()).unwrap_err();
        assert!(
            matches!(err, ElfError::NoLoadableSegments { .. }),
            "{err:?}"
        );
    }
}
