//! Where the card's blocks live: a sparse map in memory or a sparse file.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Block storage. Blocks never written read as zeros.
#[derive(Debug)]
pub(crate) enum Backing {
    /// Written blocks only, in memory.
    Memory(HashMap<u32, Box<[u8; 512]>>),
    /// A file of the card's full size with holes where nothing was written.
    File(File),
}

impl Backing {
    pub(crate) fn memory() -> Self {
        Backing::Memory(HashMap::new())
    }

    /// Create (or truncate) a sparse file of `blocks` blocks.
    pub(crate) fn file(path: &Path, blocks: u32) -> std::io::Result<Self> {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        f.set_len(u64::from(blocks) * 512)?;
        Ok(Backing::File(f))
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
        Ok((Backing::File(f), blocks))
    }

    pub(crate) fn read(&self, idx: u32, out: &mut [u8; 512]) -> std::io::Result<()> {
        match self {
            Backing::Memory(m) => match m.get(&idx) {
                Some(b) => out.copy_from_slice(&b[..]),
                None => out.fill(0),
            },
            Backing::File(f) => f.read_exact_at(out, u64::from(idx) * 512)?,
        }
        Ok(())
    }

    pub(crate) fn write(&mut self, idx: u32, data: &[u8; 512]) -> std::io::Result<()> {
        match self {
            Backing::Memory(m) => {
                m.insert(idx, Box::new(*data));
            }
            Backing::File(f) => f.write_all_at(data, u64::from(idx) * 512)?,
        }
        Ok(())
    }

    /// Bytes held in memory for the card's data.
    pub(crate) fn resident_bytes(&self) -> u64 {
        match self {
            Backing::Memory(m) => m.len() as u64 * 512,
            Backing::File(_) => 0,
        }
    }

    /// Write the whole image to `path` as a sparse file.
    pub(crate) fn save(&self, path: &Path, blocks: u32) -> std::io::Result<()> {
        let mut out = File::create(path)?;
        out.set_len(u64::from(blocks) * 512)?;
        match self {
            Backing::Memory(m) => {
                let mut idx: Vec<_> = m.keys().copied().collect();
                idx.sort_unstable();
                for i in idx {
                    if let Some(b) = m.get(&i) {
                        out.write_all_at(&b[..], u64::from(i) * 512)?;
                    }
                }
            }
            Backing::File(f) => {
                let mut buf = vec![0u8; 1 << 20];
                let total = u64::from(blocks) * 512;
                let mut pos = 0;
                while pos < total {
                    let n = ((total - pos) as usize).min(buf.len());
                    f.read_exact_at(&mut buf[..n], pos)?;
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
