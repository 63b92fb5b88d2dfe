//! The recording writer: a file opened for writing keeps its clusters in a
//! few contiguous extents reserved in memory, writes whole blocks with one
//! multi-block command straight from the caller's buffer, and commits the
//! FAT chain and the directory entry only at [`Recorder::sync`].
//!
//! # Power safety
//!
//! Between syncs the writer only writes data blocks: into reserved clusters
//! (free in the FAT, so a check ignores them) or into the file's last
//! committed block past its synced length (the synced bytes are written
//! back unchanged, so even a torn block keeps them). A sync writes, in this
//! order: the staged partial block, FAT1, FAT2, the directory entry (first
//! cluster, size). A cut before FAT1 leaves the card as it was at the last
//! sync. Reserved clusters are never marked in the FAT before they hold
//! synced data: the FAT is the commitment, so closing simply forgets the
//! unused reservation.
//!
//! # Costs
//!
//! A frame written as header + payload + padding costs two sequential
//! write commands: the staged block the header started (once the payload
//! fills it), then every whole block of the payload in one command (split
//! only where an extent ends). Reserving reads the FAT one block per 128
//! (FAT32) or 256 (FAT16) clusters, every [`GROW_BYTES`].

use embedded_sdmmc::{Block, BlockDevice, BlockIdx, Error as SdError};

use crate::blocks::{as_blocks, as_blocks_mut};
use crate::layout::{self, Layout};

mod reserve;

pub(crate) use reserve::Others;

/// Most extents (separate cluster runs) a recording can have; a card so
/// fragmented that a file needs more reports `NotEnoughSpace`.
pub(crate) const MAX_EXTENTS: usize = 16;
/// Bytes reserved at a time (at least one cluster): 4 MiB, about 27 QVGA
/// RGB565 frames, so reserving is rare and extents are long.
pub(crate) const GROW_BYTES: u32 = 4 << 20;

type Res<T, E> = Result<T, SdError<E>>;

#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Extent {
    first: u32,
    len: u32,
}

/// The state of the one file open for writing on a store.
#[derive(Clone)]
pub(crate) struct Recorder {
    lay: Layout,
    /// The directory entry: its block and byte offset.
    entry_block: u32,
    entry_off: usize,
    ext: [Extent; MAX_EXTENTS],
    n_ext: usize,
    /// Clusters in `ext`.
    owned: u32,
    /// The first `committed` owned clusters are the chain in the FAT.
    committed: u32,
    /// Size and first cluster in the directory entry on the card.
    synced_len: u32,
    synced_first: u32,
    len: u32,
    pos: u32,
    /// The partial block being filled: its block number in the file.
    stage: Block,
    stage_blk: Option<u32>,
    stage_dirty: bool,
    /// FAT, directory and FSInfo blocks.
    meta: Block,
    /// Opened for reading: writes fail, closing writes nothing.
    read_only: bool,
}

fn ceil_div(a: u32, b: u32) -> u32 {
    a.div_ceil(b)
}

impl Recorder {
    /// A writer or reader (not yet started) for the file whose directory
    /// entry is at `entry_block`/`entry_off`. Built in its store slot and
    /// started there ([`start_write`](Self::start_write),
    /// [`start_read`](Self::start_read)), so its two blocks are never moved
    /// across the firmware's stack.
    pub fn blank(lay: Layout, entry_block: u32, entry_off: usize) -> Recorder {
        Recorder {
            lay,
            entry_block,
            entry_off,
            ext: [Extent { first: 0, len: 0 }; MAX_EXTENTS],
            n_ext: 0,
            owned: 0,
            committed: 0,
            synced_len: 0,
            synced_first: 0,
            len: 0,
            pos: 0,
            stage: Block { contents: [0; 512] },
            stage_blk: None,
            stage_dirty: false,
            meta: Block { contents: [0; 512] },
            read_only: false,
        }
    }

    /// Read the directory entry into `meta`; its first cluster and size.
    fn load_entry<D: BlockDevice>(&mut self, dev: &D) -> Res<(u32, u32), D::Error> {
        let off = self.entry_off;
        if off > 512 - 32 {
            return Err(SdError::FormatError("directory entry offset"));
        }
        layout::read_block(dev, self.entry_block, &mut self.meta)?;
        let e = &self.meta.contents[off..off + 32];
        let hi = u32::from(u16::from_le_bytes([e[20], e[21]]));
        let lo = u32::from(u16::from_le_bytes([e[26], e[27]]));
        let size = u32::from_le_bytes([e[28], e[29], e[30], e[31]]);
        let first = match self.lay.kind {
            layout::Kind::Fat32 => (hi << 16) | lo,
            layout::Kind::Fat16 => lo,
        };
        Ok((first, size))
    }

    /// Start writing the empty file (a file that `embedded-sdmmc`
    /// truncated keeps its first cluster).
    pub fn start_write<D: BlockDevice>(&mut self, dev: &D) -> Res<(), D::Error> {
        let (first, size) = self.load_entry(dev)?;
        if size != 0 {
            return Err(SdError::FormatError("file to record into is not empty"));
        }
        if (2..=self.lay.max_cluster).contains(&first) {
            self.ext[0] = Extent { first, len: 1 };
            self.n_ext = 1;
            self.owned = 1;
            self.committed = 1;
            self.synced_first = first;
        }
        Ok(())
    }

    /// Start reading the existing file: its chain is walked once into
    /// extents so that reads take whole contiguous runs in one command.
    /// False if the chain has more than [`MAX_EXTENTS`] runs or does not
    /// cover the size (the caller reads through `embedded-sdmmc` instead).
    pub fn start_read<D: BlockDevice>(&mut self, dev: &D) -> Res<bool, D::Error> {
        let (mut c, size) = self.load_entry(dev)?;
        self.read_only = true;
        let lay = self.lay;
        let need = ceil_div(size, lay.cluster_bytes());
        let mut cached = None;
        while self.owned < need {
            if !(2..=lay.max_cluster).contains(&c) {
                return Ok(false);
            }
            match self.n_ext.checked_sub(1).map(|i| self.ext[i]) {
                Some(last) if last.first + last.len == c => self.ext[self.n_ext - 1].len += 1,
                _ if self.n_ext == MAX_EXTENTS => return Ok(false),
                _ => {
                    self.ext[self.n_ext] = Extent { first: c, len: 1 };
                    self.n_ext += 1;
                }
            }
            self.owned += 1;
            let (blk, off) = lay.entry_pos(c);
            if cached != Some(blk) {
                layout::read_block(dev, lay.fat1 + blk, &mut self.meta)?;
                cached = Some(blk);
            }
            c = lay.get(&self.meta.contents, off);
        }
        self.committed = self.owned;
        self.len = size;
        self.synced_len = size;
        self.synced_first = self.cluster_at(0);
        Ok(true)
    }

    /// Current length.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Current position.
    pub fn pos(&self) -> u32 {
        self.pos
    }

    /// The cluster holding cluster `i` of the file (`i < owned`).
    fn cluster_at(&self, i: u32) -> u32 {
        let mut i = i;
        for e in &self.ext[..self.n_ext] {
            if i < e.len {
                return e.first + i;
            }
            i -= e.len;
        }
        0
    }

    /// The card block of file block `b` and how many blocks follow it
    /// contiguously on the card (to the end of its extent).
    fn map(&self, b: u32) -> (u32, u32) {
        let spc = self.lay.spc;
        let mut ci = b / spc;
        for e in &self.ext[..self.n_ext] {
            if ci < e.len {
                let blk = self.lay.cluster_block(e.first + ci) + b % spc;
                return (blk, (e.len - ci) * spc - b % spc);
            }
            ci -= e.len;
        }
        (0, 0)
    }

    /// The card block of file block `b`, which must be in an owned cluster.
    fn block_of<E: core::error::Error>(&self, b: u32) -> Res<u32, E> {
        match self.map(b) {
            (_, 0) => Err(SdError::BadCluster),
            (blk, _) => Ok(blk),
        }
    }

    pub(super) fn owns(&self, c: u32) -> bool {
        self.ext[..self.n_ext]
            .iter()
            .any(|e| (e.first..e.first + e.len).contains(&c))
    }

    /// Write the staged block if it holds unwritten bytes.
    fn flush_stage<D: BlockDevice>(&mut self, dev: &D) -> Res<(), D::Error> {
        if let (Some(b), true) = (self.stage_blk, self.stage_dirty) {
            let blk = self.block_of(b)?;
            layout::write_block(dev, blk, &self.stage)?;
            self.stage_dirty = false;
        }
        Ok(())
    }

    /// Make the stage hold file block `b` (its bytes read back from the
    /// card if the file has them).
    fn load_stage<D: BlockDevice>(&mut self, dev: &D, b: u32) -> Res<(), D::Error> {
        if self.stage_blk == Some(b) {
            return Ok(());
        }
        self.flush_stage(dev)?;
        self.stage_blk = None;
        if b < ceil_div(self.len, 512) {
            let blk = self.block_of(b)?;
            layout::read_block(dev, blk, &mut self.stage)?;
        } else {
            self.stage.contents.fill(0);
        }
        self.stage_blk = Some(b);
        Ok(())
    }

    /// Write `buf` at the position; the bytes written (fewer only when the
    /// card is full: `DiskFull` if none fit).
    pub fn write<D: BlockDevice>(
        &mut self,
        dev: &D,
        others: &Others<'_>,
        buf: &[u8],
        hint: &mut u32,
    ) -> Res<usize, D::Error> {
        if self.read_only {
            return Err(SdError::ReadOnly);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let n = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        let end = self.pos.saturating_add(n);
        let cb = self.lay.cluster_bytes();
        if !self.reserve(dev, others, ceil_div(end, cb), hint)? {
            let room = u64::from(self.owned) * u64::from(cb);
            if room <= u64::from(self.pos) {
                return Err(SdError::DiskFull);
            }
        }
        let room = u64::from(self.owned) * u64::from(cb) - u64::from(self.pos);
        let take = usize::try_from(room.min(u64::from(n))).unwrap_or(buf.len());
        let mut data = &buf[..take];
        while !data.is_empty() {
            let b = self.pos / 512;
            let off = (self.pos % 512) as usize;
            let k = if off != 0 || data.len() < 512 {
                self.load_stage(dev, b)?;
                let k = (512 - off).min(data.len());
                self.stage.contents[off..off + k].copy_from_slice(&data[..k]);
                self.stage_dirty = true;
                if off + k == 512 {
                    self.flush_stage(dev)?;
                }
                k
            } else {
                let (blk, run) = self.map(b);
                if run == 0 {
                    return Err(SdError::BadCluster);
                }
                let whole = u32::try_from(data.len() / 512).unwrap_or(u32::MAX).min(run);
                if self.stage_blk.is_some_and(|s| (b..b + whole).contains(&s)) {
                    self.stage_blk = None;
                    self.stage_dirty = false;
                }
                let bytes = whole as usize * 512;
                dev.write(as_blocks(&data[..bytes]), BlockIdx(blk))
                    .map_err(SdError::DeviceError)?;
                bytes
            };
            data = &data[k..];
            self.pos += k as u32;
            self.len = self.len.max(self.pos);
        }
        Ok(take)
    }

    /// Read from the position; 0 at the end. Whole blocks go straight into
    /// `buf` with one command per contiguous run.
    pub fn read<D: BlockDevice>(&mut self, dev: &D, buf: &mut [u8]) -> Res<usize, D::Error> {
        let avail = (self.len - self.pos.min(self.len)) as usize;
        let total = buf.len().min(avail);
        let mut done = 0;
        while done < total {
            let b = self.pos / 512;
            let off = (self.pos % 512) as usize;
            let left = total - done;
            let k = if off != 0 || left < 512 {
                let k = (512 - off).min(left);
                let src = if self.stage_blk == Some(b) {
                    &self.stage
                } else {
                    let blk = self.block_of(b)?;
                    layout::read_block(dev, blk, &mut self.meta)?;
                    &self.meta
                };
                buf[done..done + k].copy_from_slice(&src.contents[off..off + k]);
                k
            } else {
                let (blk, run) = self.map(b);
                if run == 0 {
                    return Err(SdError::BadCluster);
                }
                let whole = u32::try_from(left / 512).unwrap_or(u32::MAX).min(run);
                let bytes = whole as usize * 512;
                let dst = &mut buf[done..done + bytes];
                dev.read(as_blocks_mut(dst), BlockIdx(blk))
                    .map_err(SdError::DeviceError)?;
                if let Some(s) = self.stage_blk.filter(|s| (b..b + whole).contains(s)) {
                    let at = (s - b) as usize * 512;
                    dst[at..at + 512].copy_from_slice(&self.stage.contents);
                }
                bytes
            };
            done += k;
            self.pos += k as u32;
        }
        Ok(done)
    }

    /// Move to `pos` (at most the length).
    pub fn seek<E: core::error::Error>(&mut self, pos: u32) -> Res<(), E> {
        if pos > self.len {
            return Err(SdError::InvalidOffset);
        }
        self.pos = pos;
        Ok(())
    }

    /// Cut the file at the position (committed at the next sync; the
    /// clusters after it stay reserved).
    pub fn truncate(&mut self) {
        if self.read_only || self.pos >= self.len {
            return;
        }
        self.len = self.pos;
        if self.stage_blk.is_some_and(|s| s >= ceil_div(self.len, 512)) {
            self.stage_blk = None;
            self.stage_dirty = false;
        }
    }

    /// Set FAT entries `lo..hi` of the file (by chain index) in the FAT at
    /// `fat`: each links to the next, `end` ends at `end - 1`, the rest
    /// from `end` on are freed. One read and one write per FAT block.
    fn write_fat<D: BlockDevice>(
        &mut self,
        dev: &D,
        fat: u32,
        lo: u32,
        hi: u32,
        end: u32,
    ) -> Res<(), D::Error> {
        let mut cur: Option<u32> = None;
        for i in lo..hi {
            let c = self.cluster_at(i);
            let value = if i + 1 < end {
                self.cluster_at(i + 1)
            } else if i + 1 == end {
                self.lay.eoc()
            } else {
                0
            };
            let (blk, off) = self.lay.entry_pos(c);
            if cur != Some(blk) {
                if let Some(prev) = cur {
                    layout::write_block(dev, fat + prev, &self.meta)?;
                }
                layout::read_block(dev, fat + blk, &mut self.meta)?;
                cur = Some(blk);
            }
            self.lay.set(&mut self.meta.contents, off, value);
        }
        if let Some(prev) = cur {
            layout::write_block(dev, fat + prev, &self.meta)?;
        }
        Ok(())
    }

    /// Commit: staged data, FAT1, FAT2, directory entry. Writes nothing if
    /// nothing changed since the last sync.
    pub fn sync<D: BlockDevice>(&mut self, dev: &D) -> Res<(), D::Error> {
        if self.read_only {
            return Ok(());
        }
        self.flush_stage(dev)?;
        let need = ceil_div(self.len, self.lay.cluster_bytes());
        if need != self.committed {
            let (lo, hi) = if need > self.committed {
                (self.committed.saturating_sub(1), need)
            } else {
                (need.saturating_sub(1), self.committed)
            };
            self.write_fat(dev, self.lay.fat1, lo, hi, need)?;
            if let Some(fat2) = self.lay.fat2 {
                self.write_fat(dev, fat2, lo, hi, need)?;
            }
            self.committed = need;
        }
        let first = if need > 0 { self.cluster_at(0) } else { 0 };
        if self.len != self.synced_len || first != self.synced_first {
            layout::read_block(dev, self.entry_block, &mut self.meta)?;
            let e = &mut self.meta.contents[self.entry_off..self.entry_off + 32];
            e[20..22].copy_from_slice(&((first >> 16) as u16).to_le_bytes());
            e[26..28].copy_from_slice(&(first as u16).to_le_bytes());
            e[28..32].copy_from_slice(&self.len.to_le_bytes());
            layout::write_block(dev, self.entry_block, &self.meta)?;
            self.synced_len = self.len;
            self.synced_first = first;
        }
        Ok(())
    }

    /// Give back the reserved clusters past the committed chain (after a
    /// sync: another writer is about to let `embedded-sdmmc` allocate).
    pub fn trim(&mut self) {
        let mut keep = self.committed;
        let mut n = 0;
        for e in self.ext[..self.n_ext].iter_mut() {
            if keep == 0 {
                break;
            }
            e.len = e.len.min(keep);
            keep -= e.len;
            n += 1;
        }
        self.n_ext = n;
        self.owned = self.committed;
    }

    /// Sync, then (FAT32) point FSInfo's next-free hint past the file. The
    /// unused reservation needs no writing: it was never in the FAT.
    pub fn close<D: BlockDevice>(&mut self, dev: &D) -> Res<(), D::Error> {
        if self.read_only {
            return Ok(());
        }
        self.sync(dev)?;
        if let (Some(info), true) = (self.lay.fsinfo, self.committed > 0) {
            let next = match self.cluster_at(self.committed - 1) + 1 {
                n if n > self.lay.max_cluster => 2,
                n => n,
            };
            layout::read_block(dev, info, &mut self.meta)?;
            if layout::u32_at(&self.meta.contents, layout::FSINFO_NEXT) != next {
                layout::put_u32(&mut self.meta.contents, layout::FSINFO_NEXT, next);
                layout::write_block(dev, info, &self.meta)?;
            }
        }
        Ok(())
    }
}
