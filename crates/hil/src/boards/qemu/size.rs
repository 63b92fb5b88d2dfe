//! Flash and RAM use of a firmware ELF, split into the stream crate
//! (`omv_imageio`) and the rest: a `size`-like report with no external tool.
//! Test-only (the qemu board's tests measure the built agent-qemu ELF and
//! print the table with `--nocapture`), so the library does not depend on
//! `object` and `gimli`.
//!
//! Flash = allocated sections with contents (vector table, code, read-only
//! data, the initial values of `.data`); RAM = `.data` + `.bss` +
//! `.uninit` (the stack is the rest of RAM and is not counted).
//!
//! The split: with LTO most of the stream crate is inlined into its
//! callers, so symbol names undercount it. Code is therefore attributed by
//! the DWARF line table (every instruction range belongs to the source file
//! it came from, inlined or not: files under the crate's source directory
//! count for it); data by symbol names (`omv_imageio` in the mangled path).
//! Without debug information code falls back to symbol names too. Bytes
//! nothing claims (padding, literal pools) count as "rest".

use std::path::Path;

use object::{Object, ObjectSection, ObjectSymbol, SectionFlags, SectionKind};

/// Sizes in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Split {
    /// Flash bytes.
    pub flash: u64,
    /// RAM bytes (static).
    pub ram: u64,
}

/// The report for one ELF.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ElfSize {
    /// Code (`.text`, `.vector_table`).
    pub text: u64,
    /// Read-only data.
    pub rodata: u64,
    /// Initialised data (in flash and in RAM).
    pub data: u64,
    /// Zeroed and uninitialised data (RAM only).
    pub bss: u64,
    /// All of it.
    pub total: Split,
    /// What the symbols of the stream crate take.
    pub stream_crate: Split,
    /// The name matched for the stream crate.
    pub crate_name: String,
    /// True when code was attributed from the DWARF line table (false:
    /// from symbol names, an undercount under LTO).
    pub from_line_table: bool,
}

impl ElfSize {
    /// Everything but the stream crate.
    pub fn rest(&self) -> Split {
        Split {
            flash: self.total.flash.saturating_sub(self.stream_crate.flash),
            ram: self.total.ram.saturating_sub(self.stream_crate.ram),
        }
    }

    /// A small table for people.
    pub fn table(&self) -> String {
        let rest = self.rest();
        format!(
            "text {} B, rodata {} B, data {} B, bss {} B\n\
             {:<14} {:>10} {:>10}\n\
             {:<14} {:>10} {:>10}\n\
             {:<14} {:>10} {:>10}\n\
             {:<14} {:>10} {:>10}\n\
             (stream crate code {})\n",
            self.text,
            self.rodata,
            self.data,
            self.bss,
            "",
            "flash B",
            "RAM B",
            self.crate_name,
            self.stream_crate.flash,
            self.stream_crate.ram,
            "rest",
            rest.flash,
            rest.ram,
            "total",
            self.total.flash,
            self.total.ram,
            if self.from_line_table {
                "from the DWARF line table, inlined code included"
            } else {
                "from symbol names: inlined code is counted as rest"
            }
        )
    }
}

/// The ELF could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SizeError {
    /// The file.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Region {
    Text,
    Rodata,
    Data,
    Bss,
}

fn region(section: &object::Section<'_, '_>) -> Option<Region> {
    let (alloc, write) = match section.flags() {
        SectionFlags::Elf { sh_flags } => (
            sh_flags & u64::from(object::elf::SHF_ALLOC) != 0,
            sh_flags & u64::from(object::elf::SHF_WRITE) != 0,
        ),
        _ => (true, false),
    };
    if !alloc || section.size() == 0 {
        return None;
    }
    Some(match section.kind() {
        SectionKind::UninitializedData | SectionKind::UninitializedTls => Region::Bss,
        SectionKind::Text => Region::Text,
        _ if write => Region::Data,
        SectionKind::Data | SectionKind::Tls => Region::Data,
        _ => Region::Rodata,
    })
}

fn split_of(region: Region, size: u64) -> Split {
    match region {
        Region::Text | Region::Rodata => Split {
            flash: size,
            ram: 0,
        },
        Region::Data => Split {
            flash: size,
            ram: size,
        },
        Region::Bss => Split {
            flash: 0,
            ram: size,
        },
    }
}

/// Code bytes whose line-table rows name a file whose path contains
/// `source_dir`; `None` without a usable line table.
fn code_from_lines(file: &object::File<'_>, source_dir: &str) -> Option<u64> {
    use gimli::{EndianSlice, RunTimeEndian};
    let endian = if file.is_little_endian() {
        RunTimeEndian::Little
    } else {
        RunTimeEndian::Big
    };
    let load = |id: gimli::SectionId| -> Result<EndianSlice<'_, RunTimeEndian>, gimli::Error> {
        let data = file
            .section_by_name(id.name())
            .and_then(|s| s.data().ok())
            .unwrap_or(&[]);
        Ok(EndianSlice::new(data, endian))
    };
    let dwarf = gimli::Dwarf::load(load).ok()?;
    let mut units = dwarf.units();
    let mut total = 0u64;
    let mut rows_seen = false;
    while let Ok(Some(header)) = units.next() {
        let Ok(unit) = dwarf.unit(header) else {
            continue;
        };
        let Some(program) = unit.line_program.clone() else {
            continue;
        };
        let mut rows = program.rows();
        // (address, counts for the crate) of the previous row of the sequence.
        let mut prev: Option<(u64, bool)> = None;
        while let Ok(Some((header, row))) = rows.next_row() {
            rows_seen = true;
            if let Some((addr, ours)) = prev {
                if ours && row.address() > addr {
                    total = total.saturating_add(row.address() - addr);
                }
            }
            if row.end_sequence() {
                prev = None;
                continue;
            }
            let ours = row.file(header).is_some_and(|f| {
                let name = dwarf.attr_string(&unit, f.path_name()).ok();
                let dir = f
                    .directory(header)
                    .and_then(|d| dwarf.attr_string(&unit, d).ok());
                let joined = format!(
                    "{}/{}",
                    dir.map(|d| d.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    name.map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                );
                joined.contains(source_dir)
            });
            prev = Some((row.address(), ours));
        }
    }
    rows_seen.then_some(total)
}

/// Measures the ELF bytes `elf`: the stream crate is the code from files
/// under `source_dir` (e.g. `crates/imageio/`) and the symbols whose
/// mangled name contains `crate_name` (e.g. `omv_imageio`).
pub fn measure(
    elf: &[u8],
    crate_name: &str,
    source_dir: &str,
    path: &str,
) -> Result<ElfSize, SizeError> {
    let file = object::File::parse(elf).map_err(|e| SizeError {
        path: path.to_owned(),
        message: format!("not an ELF file: {e}"),
    })?;
    let mut out = ElfSize {
        crate_name: crate_name.to_owned(),
        ..ElfSize::default()
    };
    for section in file.sections() {
        let Some(r) = region(&section) else { continue };
        let size = section.size();
        match r {
            Region::Text => out.text += size,
            Region::Rodata => out.rodata += size,
            Region::Data => out.data += size,
            Region::Bss => out.bss += size,
        }
        let s = split_of(r, size);
        out.total.flash += s.flash;
        out.total.ram += s.ram;
    }
    let line_code = code_from_lines(&file, source_dir);
    out.from_line_table = line_code.is_some();
    for symbol in file.symbols() {
        if symbol.size() == 0 || !symbol.name().is_ok_and(|n| n.contains(crate_name)) {
            continue;
        }
        let Some(index) = symbol.section_index() else {
            continue;
        };
        let Ok(section) = file.section_by_index(index) else {
            continue;
        };
        let Some(r) = region(&section) else { continue };
        if r == Region::Text && line_code.is_some() {
            continue;
        }
        let s = split_of(r, symbol.size());
        out.stream_crate.flash += s.flash;
        out.stream_crate.ram += s.ram;
    }
    out.stream_crate.flash += line_code.unwrap_or(0);
    if out.total.flash == 0 {
        return Err(SizeError {
            path: path.to_owned(),
            message: "no allocated sections".into(),
        });
    }
    Ok(out)
}

/// Measures the ELF file at `path` (see [`measure`]).
pub fn measure_file(path: &Path, crate_name: &str, source_dir: &str) -> Result<ElfSize, SizeError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| SizeError {
        path: shown.clone(),
        message: format!("cannot read: {e}"),
    })?;
    measure(&bytes, crate_name, source_dir, &shown)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn garbage_is_not_an_elf() {
        let err = measure(b"not an elf", "omv_imageio", "crates/imageio/", "x.elf").unwrap_err();
        assert!(err.to_string().contains("not an ELF"), "{err}");
    }

    #[test]
    fn rest_never_underflows() {
        let s = ElfSize {
            total: Split { flash: 10, ram: 5 },
            stream_crate: Split { flash: 4, ram: 9 },
            ..ElfSize::default()
        };
        assert_eq!(s.rest(), Split { flash: 6, ram: 0 });
        assert!(s.table().contains("total"));
    }
}
