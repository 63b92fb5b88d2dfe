//! Where the card's blocks live: 1 MiB chunks in memory, allocated on the
//! first write into them, up to a budget; past the budget (or from the
//! start) a sparse file.
//!
//! A chunk never written reads as zeros and costs nothing but its slot in
//! the chunk table (16 bytes per MiB of the highest chunk written), so a
//! 4 GiB card written at its start and its end holds two chunks. When a
//! write needs a chunk beyond the budget, every chunk moves to an unnamed
//! sparse file in the temporary directory (deleted by the OS when the card
//! is dropped, even if the process is killed) and the card continues there:
//! a card's memory is bounded whatever is recorded on it.
//!
//! Each command reaches the backing whole: one `pwrite`/`pread` per
//! multi-block command in a file (whole pages, no read-modify-write in the
//! kernel), one copy per block in memory.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use embedded_sdmmc::Block;

/// Blocks per memory chunk (1 MiB).
pub(crate) const CHUNK_BLOCKS: u32 = 2048;
/// Bytes per memory chunk.
pub(crate) const CHUNK_BYTES: usize = CHUNK_BLOCKS as usize * Block::LEN;

/// Block storage of a card of a fixed number of blocks. Blocks never
/// written read as zeros.
#[derive(Debug)]
pub(crate) enum Backing {
    /// Written chunks only, in memory.
    Memory(Chunks),
    /// A file of the card's full size with holes where nothing was written.
    File(FileStore),
}

/// The memory store: a table of 1 MiB chunks, `None` until written.
#[derive(Debug)]
pub(crate) struct Chunks {
    blocks: u32,
    table: Vec<Option<Box<[u8]>>>,
    allocated: usize,
    /// Chunks that may be allocated before the store moves to a file.
    budget: usize,
}

/// The file store, with a buffer that gathers a command's blocks.
#[derive(Debug)]
pub(crate) struct FileStore {
    file: File,
    scratch: Vec<u8>,
}

fn offset(idx: u32) -> u64 {
    u64::from(idx) * Block::LEN as u64
}

impl Backing {
    /// An empty card of `blocks` blocks in memory, moving to a file when
    /// more than `budget_bytes` would be held.
    pub(crate) fn memory(blocks: u32, budget_bytes: u64) -> Self {
        Backing::Memory(Chunks {
            blocks,
            table: Vec::new(),
            allocated: 0,
            budget: chunks_in(budget_bytes),
        })
    }

    /// Create (or truncate) a sparse file of `blocks` blocks.
    pub(crate) fn file(path: &Path, blocks: u32) -> std::io::Result<Self> {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        f.set_len(offset(blocks))?;
        Ok(Backing::File(FileStore::new(f)))
    }

    /// Use an existing image file as is.
    pub(crate) fn open_file(path: &Path) -> std::io::Result<(Self, u32)> {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)?;
        let blocks = u32::try_from(f.metadata()?.len() / 512).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "image larger than 2 TiB")
        })?;
        Ok((Backing::File(FileStore::new(f)), blocks))
    }

    /// Read consecutive blocks from `start` (in range: the card checks).
    pub(crate) fn read(&mut self, start: u32, out: &mut [Block]) -> std::io::Result<()> {
        match self {
            Backing::Memory(m) => {
                for (i, b) in out.iter_mut().enumerate() {
                    m.read(start + i as u32, &mut b.contents);
                }
                Ok(())
            }
            Backing::File(f) => f.read(start, out),
        }
    }

    /// Write consecutive blocks from `start` (in range: the card checks).
    pub(crate) fn write(&mut self, start: u32, data: &[Block]) -> std::io::Result<()> {
        if let Backing::Memory(m) = self {
            let end = start + data.len() as u32;
            if m.allocated + m.missing(start, end) > m.budget {
                *self = Backing::File(m.spill()?);
            }
        }
        match self {
            Backing::Memory(m) => {
                for (i, b) in data.iter().enumerate() {
                    m.write(start + i as u32, &b.contents);
                }
                Ok(())
            }
            Backing::File(f) => f.write(start, data),
        }
    }

    /// Change the memory budget; moves the card to a file at once if it
    /// holds more. No effect on a file-backed card.
    pub(crate) fn set_budget(&mut self, budget_bytes: u64) -> std::io::Result<()> {
        if let Backing::Memory(m) = self {
            m.budget = chunks_in(budget_bytes);
            if m.allocated > m.budget {
                *self = Backing::File(m.spill()?);
            }
        }
        Ok(())
    }

    /// Bytes held in memory for the card's data (whole chunks).
    pub(crate) fn resident_bytes(&self) -> u64 {
        match self {
            Backing::Memory(m) => (m.allocated * CHUNK_BYTES) as u64,
            Backing::File(_) => 0,
        }
    }

    /// True once the card's blocks are in a file.
    pub(crate) fn is_file(&self) -> bool {
        matches!(self, Backing::File(_))
    }

    /// Write the whole image to `path` as a sparse file.
    pub(crate) fn save(&self, path: &Path, blocks: u32) -> std::io::Result<()> {
        let mut out = File::create(path)?;
        out.set_len(offset(blocks))?;
        match self {
            Backing::Memory(m) => {
                for (ci, chunk) in m.table.iter().enumerate() {
                    if let Some(c) = chunk {
                        let (at, bytes) = m.on_card(ci, c);
                        out.write_all_at(bytes, at)?;
                    }
                }
            }
            Backing::File(f) => {
                let mut buf = vec![0u8; CHUNK_BYTES];
                let total = offset(blocks);
                let mut pos = 0;
                while pos < total {
                    let n = ((total - pos) as usize).min(buf.len());
                    f.file.read_exact_at(&mut buf[..n], pos)?;
                    if buf[..n].iter().any(|&b| b != 0) {
                        out.seek(SeekFrom::Start(pos))?;
                        out.write_all(&buf[..n])?;
                    }
                    pos += n as u64;
                }
            }
        }
        out.flush()
    }
}

/// Whole chunks within `bytes` (at least none).
fn chunks_in(bytes: u64) -> usize {
    usize::try_from(bytes / CHUNK_BYTES as u64).unwrap_or(usize::MAX)
}

/// Chunk `ci`'s offset and its bytes that lie on a card of `blocks`
/// blocks (the last chunk may reach past the card's end).
fn on_card(blocks: u32, ci: usize, c: &[u8]) -> (u64, &[u8]) {
    let at = ci as u64 * CHUNK_BYTES as u64;
    let keep = offset(blocks).saturating_sub(at).min(c.len() as u64) as usize;
    (at, &c[..keep])
}

impl Chunks {
    fn split(idx: u32) -> (usize, usize) {
        (
            (idx / CHUNK_BLOCKS) as usize,
            (idx % CHUNK_BLOCKS) as usize * Block::LEN,
        )
    }

    /// Chunks not yet allocated among those holding blocks `start..end`.
    fn missing(&self, start: u32, end: u32) -> usize {
        if start >= end {
            return 0;
        }
        let (first, _) = Self::split(start);
        let (last, _) = Self::split(end - 1);
        (first..=last)
            .filter(|&ci| self.table.get(ci).is_none_or(Option::is_none))
            .count()
    }

    fn read(&self, idx: u32, out: &mut [u8; 512]) {
        let (ci, at) = Self::split(idx);
        match self.table.get(ci).and_then(Option::as_ref) {
            Some(c) => out.copy_from_slice(&c[at..at + Block::LEN]),
            None => out.fill(0),
        }
    }

    fn write(&mut self, idx: u32, data: &[u8; 512]) {
        let (ci, at) = Self::split(idx);
        if self.table.len() <= ci {
            self.table.resize_with(ci + 1, || None);
        }
        let chunk = self.table[ci].get_or_insert_with(|| {
            self.allocated += 1;
            vec![0u8; CHUNK_BYTES].into_boxed_slice()
        });
        chunk[at..at + Block::LEN].copy_from_slice(data);
    }

    /// Where chunk `ci` starts on the card and its bytes within the card.
    fn on_card<'c>(&self, ci: usize, c: &'c [u8]) -> (u64, &'c [u8]) {
        on_card(self.blocks, ci, c)
    }

    /// Move every chunk to an unnamed sparse file of the card's size.
    fn spill(&mut self) -> std::io::Result<FileStore> {
        let file = tempfile::tempfile()?;
        file.set_len(offset(self.blocks))?;
        for (ci, chunk) in self.table.iter_mut().enumerate() {
            if let Some(c) = chunk.take() {
                let (at, bytes) = on_card(self.blocks, ci, &c);
                file.write_all_at(bytes, at)?;
            }
        }
        self.table = Vec::new();
        self.allocated = 0;
        Ok(FileStore::new(file))
    }
}

impl FileStore {
    fn new(file: File) -> Self {
        FileStore {
            file,
            scratch: Vec::new(),
        }
    }

    fn read(&mut self, start: u32, out: &mut [Block]) -> std::io::Result<()> {
        self.scratch.resize(out.len() * Block::LEN, 0);
        self.file.read_exact_at(&mut self.scratch, offset(start))?;
        for (b, src) in out.iter_mut().zip(self.scratch.chunks_exact(Block::LEN)) {
            b.contents.copy_from_slice(src);
        }
        Ok(())
    }

    fn write(&mut self, start: u32, data: &[Block]) -> std::io::Result<()> {
        self.scratch.clear();
        for b in data {
            self.scratch.extend_from_slice(&b.contents);
        }
        self.file.write_all_at(&self.scratch, offset(start))
    }
}
