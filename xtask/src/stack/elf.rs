//! What the stack check reads from the ELF itself (with `object`): the
//! vector table, the words of the data sections, symbol sizes and
//! addresses.

use std::path::Path;

use object::{Object, ObjectSection, ObjectSymbol, SectionFlags, SectionKind};

/// The parts of a firmware ELF the stack check uses (not
/// `hil_flash::ElfImage`, the loadable segments a flasher writes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackElf {
    /// `.vector_table` as words: initial SP, Reset, then the handlers.
    pub vectors: Vec<u32>,
    /// Every aligned word of the allocated, non-executable sections with
    /// contents (`.rodata`, `.data`), the vector table excluded.
    pub data_words: Vec<u32>,
    /// (name, address, size) of every symbol, names as in the ELF (mangled).
    pub symbols: Vec<(String, u64, u64)>,
}

fn words(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
}

/// Read `path`.
pub fn read(path: &Path) -> Result<StackElf, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let file = object::File::parse(&*bytes)
        .map_err(|e| format!("{} is not an ELF file: {e}", path.display()))?;
    let mut img = StackElf::default();
    for s in file.sections() {
        let name = s.name().unwrap_or("");
        let data = || {
            s.data()
                .map_err(|e| format!("{}: section {name}: {e}", path.display()))
        };
        if name == ".vector_table" {
            img.vectors = words(data()?).collect();
            continue;
        }
        let exec = matches!(s.flags(), SectionFlags::Elf { sh_flags } if sh_flags & u64::from(object::elf::SHF_EXECINSTR) != 0);
        let alloc = matches!(s.flags(), SectionFlags::Elf { sh_flags } if sh_flags & u64::from(object::elf::SHF_ALLOC) != 0);
        if alloc && !exec && !matches!(s.kind(), SectionKind::UninitializedData) {
            img.data_words.extend(words(data()?));
        }
    }
    if img.vectors.len() < 2 {
        return Err(format!(
            "{}: no .vector_table section (is this a cortex-m-rt firmware?)",
            path.display()
        ));
    }
    for sym in file.symbols() {
        if let Ok(name) = sym.name() {
            img.symbols
                .push((name.to_owned(), sym.address(), sym.size()));
        }
    }
    Ok(img)
}

impl StackElf {
    /// The address of the symbol named exactly `name`.
    pub fn address(&self, name: &str) -> Option<u64> {
        self.symbols.iter().find(|s| s.0 == name).map(|s| s.1)
    }

    /// The size of the one symbol whose mangled name holds the path
    /// segments `module::item` (legacy mangling: `7buffers5FRAME17h`),
    /// and its full name.
    pub fn sized(&self, module: &str, item: &str) -> Option<(&str, u64)> {
        let key = format!("{}{module}{}{item}17h", module.len(), item.len());
        self.symbols
            .iter()
            .find(|s| s.0.contains(&key))
            .map(|s| (s.0.as_str(), s.2))
    }
}
