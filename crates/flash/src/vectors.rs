//! Checks on a firmware ELF's vector table, read from the built artefact:
//! it sits where the bootloader jumps (the OpenMV bootloader reads the
//! reset vector at its firmware slot, 0x0804_0000 + 4), and its HardFault
//! entry is the project's own handler, not cortex-m-rt's default
//! (`HardFault_`, an endless loop that leaves the camera hung with USB
//! dead) nor `DefaultHandler_`.

use std::path::{Path, PathBuf};

use object::read::elf::ElfFile32;
use object::{Endianness, Object, ObjectSection, ObjectSymbol};

/// cortex-m-rt's default handlers: a vector pointing at one of these has
/// no handler of the project's own.
pub const DEFAULT_HANDLERS: &[&str] = &["HardFault_", "DefaultHandler_", "DefaultHandler"];

/// What the vector table says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorReport {
    /// Where `.vector_table` is.
    pub address: u64,
    /// Initial stack pointer (entry 0).
    pub initial_sp: u32,
    /// Reset handler address (entry 1, Thumb bit cleared).
    pub reset: u32,
    /// HardFault handler address (entry 3, Thumb bit cleared).
    pub hard_fault: u32,
    /// The symbols at the HardFault handler's address.
    pub hard_fault_symbols: Vec<String>,
}

/// The vector table is missing, misplaced, or HardFault is the default.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VectorError {
    /// Not a parseable ELF, or no `.vector_table` section / symbols.
    #[error("{}: {reason}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// The table is not where the bootloader reads it.
    #[error("{}: the vector table is at {found:#010x}, but the bootloader reads it at {expected:#010x} (check firmware/h7/memory.x)", path.display())]
    Misplaced {
        /// The file.
        path: PathBuf,
        /// Where it is.
        found: u64,
        /// Where it must be.
        expected: u64,
    },
    /// HardFault is cortex-m-rt's default loop.
    #[error("{}: the HardFault vector points at {handler:#010x} ({}), cortex-m-rt's default endless loop: a fault would hang the camera silently. Define the project's own #[exception] HardFault", path.display(), .symbols.join(", "))]
    DefaultHardFault {
        /// The file.
        path: PathBuf,
        /// Handler address.
        handler: u32,
        /// Symbols there.
        symbols: Vec<String>,
    },
}

/// Check `bytes` (the ELF at `path`): `.vector_table` at `expected`, and
/// a HardFault handler of the firmware's own. A vector pointing at
/// cortex-m-rt's `HardFaultTrampoline` is followed to the `HardFault` it
/// calls.
pub fn check(bytes: &[u8], path: &Path, expected: u64) -> Result<VectorReport, VectorError> {
    let unreadable = |reason: String| VectorError::Unreadable {
        path: path.to_owned(),
        reason,
    };
    let file = ElfFile32::<Endianness>::parse(bytes).map_err(|e| unreadable(e.to_string()))?;
    let section = file.section_by_name(".vector_table").ok_or_else(|| {
        unreadable("no .vector_table section (not a cortex-m-rt firmware?)".into())
    })?;
    let data = section.data().map_err(|e| unreadable(e.to_string()))?;
    let word = |i: usize| -> Result<u32, VectorError> {
        data.get(i * 4..i * 4 + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| unreadable(format!(".vector_table has no entry {i}")))
    };
    let (initial_sp, reset, hard_fault) = (word(0)?, word(1)? & !1, word(3)? & !1);
    if section.address() != expected {
        return Err(VectorError::Misplaced {
            path: path.to_owned(),
            found: section.address(),
            expected,
        });
    }
    let symbols: Vec<(u64, String)> = file
        .symbols()
        .filter_map(|s| Some((s.address() & !1, s.name().ok()?.to_owned())))
        // `$t`/`$d`/`$a` are ARM mapping symbols, not names.
        .filter(|(_, n)| !n.is_empty() && !n.starts_with('$'))
        .collect();
    if symbols.is_empty() {
        return Err(unreadable("no symbol table (stripped?)".into()));
    }
    let at = |addr: u64| -> Vec<String> {
        let mut v: Vec<String> = symbols
            .iter()
            .filter(|(a, _)| *a == addr)
            .map(|(_, n)| n.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let mut handler = u64::from(hard_fault);
    let mut names = at(handler);
    if names.iter().any(|n| n == "HardFaultTrampoline") {
        if let Some((a, _)) = symbols.iter().find(|(_, n)| n == "HardFault") {
            handler = *a;
            names = at(handler);
        }
    }
    if names.is_empty() || names.iter().any(|n| DEFAULT_HANDLERS.contains(&n.as_str())) {
        return Err(VectorError::DefaultHardFault {
            path: path.to_owned(),
            handler: handler as u32,
            symbols: names,
        });
    }
    Ok(VectorReport {
        address: section.address(),
        initial_sp,
        reset,
        hard_fault: handler as u32,
        hard_fault_symbols: names,
    })
}

/// [`check`] on a file.
pub fn check_file(path: &Path, expected: u64) -> Result<VectorReport, VectorError> {
    let bytes = std::fs::read(path).map_err(|e| VectorError::Unreadable {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    check(&bytes, path, expected)
}

/// A minimal ELF with a `.vector_table` at `base` and a symbol table, for
/// tests (here and in the harness).
#[doc(hidden)]
pub fn test_elf_with_vectors(base: u32, vectors: &[u32], symbols: &[(&str, u32)]) -> Vec<u8> {
    const EHDR: u32 = 52;
    let table: Vec<u8> = vectors.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut strtab = b"\0.vector_table\0.strtab\0.symtab\0".to_vec();
    let mut symtab = vec![0u8; 16];
    for (name, value) in symbols {
        let off = strtab.len() as u32;
        strtab.extend_from_slice(name.as_bytes());
        strtab.push(0);
        symtab.extend_from_slice(&off.to_le_bytes());
        symtab.extend_from_slice(&value.to_le_bytes());
        symtab.extend_from_slice(&0u32.to_le_bytes());
        symtab.extend_from_slice(&[0x12, 0]); // GLOBAL FUNC
        symtab.extend_from_slice(&1u16.to_le_bytes()); // in .vector_table's index
    }
    let table_off = EHDR + 32;
    let str_off = table_off + table.len() as u32;
    let sym_off = str_off + strtab.len() as u32;
    let sh_off = (sym_off + symtab.len() as u32).next_multiple_of(4);
    let mut out = Vec::new();
    out.extend_from_slice(&[0x7f, b'E', b'L', b'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    for v in [2u16, 40] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for v in [
        1u32,
        vectors.get(1).copied().unwrap_or(0),
        EHDR,
        sh_off,
        0x0500_0400,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for v in [EHDR as u16, 32, 1, 40, 4, 2] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    let n = table.len() as u32;
    for v in [1u32, table_off, base, base, n, n, 4, 4] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&table);
    out.extend_from_slice(&strtab);
    out.extend_from_slice(&symtab);
    out.resize(sh_off as usize, 0);
    let sections: [[u32; 10]; 4] = [
        [0; 10],
        [1, 1, 2, base, table_off, n, 0, 0, 4, 0],
        [15, 3, 0, 0, str_off, strtab.len() as u32, 0, 0, 1, 0],
        [23, 2, 0, 0, sym_off, symtab.len() as u32, 2, 1, 4, 16],
    ];
    for sh in sections {
        for v in sh {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const BASE: u32 = 0x0804_0000;

    fn elf(hard_fault: u32, symbols: &[(&str, u32)]) -> Vec<u8> {
        test_elf_with_vectors(
            BASE,
            &[0x2002_0000, 0x0804_0299, 0x0804_1001, hard_fault | 1],
            symbols,
        )
    }

    /// [`check`] of the table [`elf`] writes, expected at [`BASE`].
    fn checked(hard_fault: u32, symbols: &[(&str, u32)]) -> Result<VectorReport, VectorError> {
        check(&elf(hard_fault, symbols), Path::new("a"), u64::from(BASE))
    }

    #[rstest::rstest]
    #[case::the_projects_own(0x0805_0000, &[("HardFault", 0x0805_0000), ("Reset", 0x0804_0298)])]
    #[case::behind_a_trampoline(
        0x0804_1000,
        &[("HardFaultTrampoline", 0x0804_1000), ("HardFault", 0x0805_0000)]
    )]
    fn the_projects_own_hard_fault_passes(#[case] vector: u32, #[case] symbols: &[(&str, u32)]) {
        // A trampoline is followed to the handler it calls.
        let r = checked(vector, symbols).unwrap();
        assert_eq!(
            (r.initial_sp, r.reset, r.hard_fault),
            (0x2002_0000, 0x0804_0298, 0x0805_0000)
        );
        assert_eq!(r.hard_fault_symbols, ["HardFault"]);
    }

    #[test]
    fn cortex_m_rts_default_hard_fault_is_refused_naming_it() {
        // What cortex-m-rt links when no #[exception] HardFault is defined:
        // HardFault is an alias of HardFault_.
        let err = checked(
            0x0805_a5fc,
            &[("HardFault", 0x0805_a5fd), ("HardFault_", 0x0805_a5fd)],
        )
        .unwrap_err();
        assert_eq!(
            err,
            VectorError::DefaultHardFault {
                path: "a".into(),
                handler: 0x0805_a5fc,
                symbols: vec!["HardFault".into(), "HardFault_".into()],
            }
        );
        assert!(err.to_string().contains("HardFault, HardFault_"), "{err}");
    }

    #[rstest::rstest]
    #[case::cortex_m_rts_default_handler(0x0805_0000, &[("DefaultHandler_", 0x0805_0000)])]
    // An address no symbol names is not a handler we can vouch for.
    #[case::an_address_no_symbol_names(0x0805_0000, &[("Reset", 0x0804_0298)])]
    #[case::a_trampoline_to_the_default(
        0x0804_1000,
        &[("HardFaultTrampoline", 0x0804_1000), ("HardFault", 0x0805_0000), ("HardFault_", 0x0805_0000)]
    )]
    fn a_hard_fault_without_a_handler_of_the_projects_own_is_refused(
        #[case] vector: u32,
        #[case] symbols: &[(&str, u32)],
    ) {
        let err = checked(vector, symbols).unwrap_err();
        assert!(
            matches!(err, VectorError::DefaultHardFault { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn a_table_where_the_bootloader_does_not_look_is_refused() {
        let bytes = test_elf_with_vectors(0x0800_0000, &[0, 0, 0, 1], &[("HardFault", 0)]);
        let err = check(&bytes, Path::new("a"), u64::from(BASE)).unwrap_err();
        assert_eq!(
            err,
            VectorError::Misplaced {
                path: "a".into(),
                found: 0x0800_0000,
                expected: u64::from(BASE),
            }
        );
        let err = check(
            &crate::elf::test_elf(0, &[(BASE, &[0; 16])]),
            Path::new("a"),
            0,
        )
        .unwrap_err();
        assert!(err.to_string().contains("no .vector_table"), "{err}");
    }
}
