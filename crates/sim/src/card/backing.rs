//! Where the card's blocks live: in memory, each distinct block content
//! once (`blocks`), up to a budget; past the budget (or from the start) a
//! sparse file.
//!
//! A block never written reads as zeros and costs nothing in memory but
//! its place in the block table of its MiB, so a 4 GiB card written at its
//! start and its end holds two tables and the blocks written. When a
//! write takes the card past its budget, its blocks move to an unnamed
//! sparse file in the temporary directory (deleted by the OS when the card
//! is dropped, even if the process is killed) and the card continues there:
//! a card's memory is bounded whatever is recorded on it.
//!
//! Each command reaches the backing whole: one `pwrite`/`pread` per
//! multi-block command in a file (whole pages, no read-modify-write in the
//! kernel).

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use embedded_sdmmc::Block;

use super::blocks::{Blocks, TABLE_BLOCKS};

/// Blocks the card reads or copies at a time when whole images move.
pub(crate) const CHUNK_BLOCKS: u32 = TABLE_BLOCKS;
/// Bytes of [`CHUNK_BLOCKS`].
pub(crate) const CHUNK_BYTES: usize = CHUNK_BLOCKS as usize * Block::LEN;

/// Block storage of a card of a fixed number of blocks. Blocks never
/// written read as zeros.
#[derive(Debug)]
pub(crate) enum Backing {
    /// Written blocks only, in memory.
    Memory(Memory),
    /// A file of the card's full size with holes where nothing was written.
    File(FileStore),
}

/// The memory store and how much it may hold.
#[derive(Debug)]
pub(crate) struct Memory {
    blocks: u32,
    store: Blocks,
    budget: u64,
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
        Backing::Memory(Memory {
            blocks,
            store: Blocks::default(),
            budget: budget_bytes,
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
                    m.store.read(start + i as u32, &mut b.contents);
                }
                Ok(())
            }
            Backing::File(f) => f.read(start, out),
        }
    }

    /// Write consecutive blocks from `start` (in range: the card checks).
    pub(crate) fn write(&mut self, start: u32, data: &[Block]) -> std::io::Result<()> {
        match self {
            Backing::Memory(m) => {
                for (i, b) in data.iter().enumerate() {
                    m.store.write(start + i as u32, &b.contents);
                }
                // Over budget by at most this command: move to a file.
                if m.store.resident_bytes() > m.budget {
                    *self = Backing::File(m.spill()?);
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
            m.budget = budget_bytes;
            if m.store.resident_bytes() > m.budget {
                *self = Backing::File(m.spill()?);
            }
        }
        Ok(())
    }

    /// Bytes held in memory for the card's data (block contents and
    /// tables).
    pub(crate) fn resident_bytes(&self) -> u64 {
        match self {
            Backing::Memory(m) => m.store.resident_bytes(),
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
                for (t, bytes) in m.store.tables() {
                    let (at, bytes) = on_card(blocks, t, &bytes);
                    out.write_all_at(bytes, at)?;
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

/// Where the MiB `ci` of a card of `blocks` blocks starts, and the part
/// of its bytes `c` on the card (the last MiB may reach past its end).
fn on_card(blocks: u32, ci: usize, c: &[u8]) -> (u64, &[u8]) {
    let at = ci as u64 * CHUNK_BYTES as u64;
    let keep = offset(blocks).saturating_sub(at).min(c.len() as u64) as usize;
    (at, &c[..keep])
}

impl Memory {
    /// Move every block to an unnamed sparse file of the card's size.
    fn spill(&mut self) -> std::io::Result<FileStore> {
        let file = tempfile::tempfile()?;
        file.set_len(offset(self.blocks))?;
        for (t, bytes) in self.store.tables() {
            let (at, bytes) = on_card(self.blocks, t, &bytes);
            file.write_all_at(bytes, at)?;
        }
        self.store = Blocks::default();
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
