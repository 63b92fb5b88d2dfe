//! The memory store of a card: each distinct block content held once.
//!
//! A card's blocks map, through one table of 2048 slot numbers per MiB of
//! the card written into, to slots holding 512-byte contents; a block
//! never written has no slot and reads as zeros. A write looks its content
//! up by CRC-32 (`crc32fast`), compares it byte for byte with the slot
//! found, and shares that slot if equal; slots count their blocks and are
//! reused once none is left. Before the CRC, a write compares its content
//! with the block at the distance that last found a match (a recording's
//! blocks repeat with the period of its rows or of its frames): if equal,
//! it shares that block's slot and needs no CRC (on a 10-minute QVGA
//! colour-bar recording this took the card's CPU time from about 0.3 s to
//! 0.19 s, the CRC having been a quarter of it). Frames of the test
//! patterns repeat most of their blocks (colour bars are equal rows apart
//! from the sequence stamp), so a 10-minute QVGA recording of them holds a
//! few tens of MiB instead of its 2.8 GB; content that never repeats
//! (noise, PNG sources) costs its bytes plus about 30 a block, and the
//! card moves to a file past its budget (see `backing`).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use embedded_sdmmc::Block;

/// Blocks per table (1 MiB of the card).
pub(crate) const TABLE_BLOCKS: u32 = 2048;

/// Block contents, each held once, indexed by their CRC-32.
#[derive(Debug, Default)]
pub(crate) struct Blocks {
    /// Per MiB of the card: slot + 1 of each block, 0 = never written.
    tables: Vec<Option<Box<[u32]>>>,
    tables_held: usize,
    /// Slot contents.
    data: Vec<[u8; 512]>,
    /// Blocks using each slot (0: free).
    refs: Vec<u32>,
    /// CRC-32 of each slot.
    sums: Vec<u32>,
    /// The block last set to each slot's content.
    last_block: Vec<u32>,
    /// Blocks back from a write to the block that last held equal
    /// content (0: none yet).
    stride: u32,
    free: Vec<u32>,
    /// CRC-32 to the slot last stored with it.
    index: HashMap<u32, u32, BuildHasherDefault<Spread>>,
}

/// A CRC is already uniform in its 32 bits; the table also needs the high
/// bits of the 64-bit hash, so spread it by a multiplication.
#[derive(Debug, Default)]
pub(crate) struct Spread(u64);

impl Hasher for Spread {
    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u32(&mut self, v: u32) {
        self.0 = u64::from(v);
    }
}

fn split(idx: u32) -> (usize, usize) {
    ((idx / TABLE_BLOCKS) as usize, (idx % TABLE_BLOCKS) as usize)
}

impl Blocks {
    /// Bytes held: slot contents (free ones included) and block tables.
    /// Each slot's count, CRC, last block and index entry (about 30
    /// bytes, under 6 % of its contents) come on top.
    pub(crate) fn resident_bytes(&self) -> u64 {
        (self.data.len() * Block::LEN + self.tables_held * TABLE_BLOCKS as usize * 4) as u64
    }

    /// Block `idx`'s contents (zeros if never written).
    pub(crate) fn read(&self, idx: u32, out: &mut [u8; 512]) {
        let (t, i) = split(idx);
        match self.tables.get(t).and_then(Option::as_ref).map(|t| t[i]) {
            Some(s) if s > 0 => out.copy_from_slice(&self.data[s as usize - 1]),
            _ => out.fill(0),
        }
    }

    /// The slot of block `idx`, if it was written.
    fn slot_of(&self, idx: u32) -> Option<u32> {
        let (t, i) = split(idx);
        let s = self.tables.get(t)?.as_ref()?[i];
        s.checked_sub(1)
    }

    /// A slot already holding `data`, if one is found: the predicted one
    /// (the block [`stride`](Self::stride) back), else by CRC.
    fn find(&mut self, idx: u32, data: &[u8; 512]) -> Result<u32, u32> {
        let predicted = idx
            .checked_sub(self.stride)
            .filter(|_| self.stride > 0)
            .and_then(|back| self.slot_of(back));
        if let Some(s) = predicted {
            if self.data[s as usize] == *data {
                return Ok(s);
            }
        }
        let sum = crc32fast::hash(data);
        match self.index.get(&sum) {
            Some(&s) if self.data[s as usize] == *data => Ok(s),
            _ => Err(sum),
        }
    }

    /// Set block `idx` to `data`.
    pub(crate) fn write(&mut self, idx: u32, data: &[u8; 512]) {
        let slot = match self.find(idx, data) {
            Ok(s) => {
                let k = s as usize;
                self.refs[k] += 1;
                self.stride = idx.wrapping_sub(self.last_block[k]);
                self.last_block[k] = idx;
                s
            }
            Err(sum) => {
                let s = self.store(idx, data, sum);
                self.index.insert(sum, s);
                s
            }
        };
        let (t, i) = split(idx);
        if self.tables.len() <= t {
            self.tables.resize_with(t + 1, || None);
        }
        let table = self.tables[t].get_or_insert_with(|| {
            self.tables_held += 1;
            vec![0u32; TABLE_BLOCKS as usize].into_boxed_slice()
        });
        let old = std::mem::replace(&mut table[i], slot + 1);
        if old > 0 {
            self.release(old - 1);
        }
    }

    /// A slot holding `data`, used once.
    fn store(&mut self, idx: u32, data: &[u8; 512], sum: u32) -> u32 {
        if let Some(s) = self.free.pop() {
            let k = s as usize;
            self.data[k] = *data;
            self.refs[k] = 1;
            self.sums[k] = sum;
            self.last_block[k] = idx;
            return s;
        }
        self.data.push(*data);
        self.refs.push(1);
        self.sums.push(sum);
        self.last_block.push(idx);
        // A card has at most 2^32 - 1 blocks, so at most that many slots.
        (self.data.len() - 1) as u32
    }

    fn release(&mut self, s: u32) {
        let k = s as usize;
        self.refs[k] -= 1;
        if self.refs[k] == 0 {
            self.free.push(s);
            if self.index.get(&self.sums[k]) == Some(&s) {
                self.index.remove(&self.sums[k]);
            }
        }
    }

    /// Every MiB written into: its number and its 2048 blocks' bytes
    /// (zeros where never written), in order.
    pub(crate) fn tables(&self) -> impl Iterator<Item = (usize, Vec<u8>)> + '_ {
        self.tables.iter().enumerate().filter_map(|(t, table)| {
            let table = table.as_ref()?;
            let mut bytes = vec![0u8; TABLE_BLOCKS as usize * Block::LEN];
            for (dst, &s) in bytes.chunks_exact_mut(Block::LEN).zip(table.iter()) {
                if s > 0 {
                    dst.copy_from_slice(&self.data[s as usize - 1]);
                }
            }
            Some((t, bytes))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(v: u8) -> [u8; 512] {
        [v; 512]
    }

    #[test]
    fn equal_blocks_share_a_slot_and_freed_slots_are_reused() {
        let mut b = Blocks::default();
        for i in 0..100 {
            b.write(i, &block(7));
        }
        assert_eq!(b.data.len(), 1);
        b.write(5, &block(8));
        assert_eq!((b.data.len(), b.refs[0], b.refs[1]), (2, 99, 1));
        b.write(5, &block(9));
        // 9 is stored before 8 is released: 8's slot is free now...
        assert_eq!((b.data.len(), b.free.len()), (3, 1));
        // ...and the next new content takes it.
        b.write(6, &block(10));
        assert_eq!((b.data.len(), b.free.len(), b.refs[0]), (3, 0, 98));
        let mut out = [0u8; 512];
        b.read(5, &mut out);
        assert_eq!(out, block(9));
        b.read(6, &mut out);
        assert_eq!(out, block(10));
        b.read(7, &mut out);
        assert_eq!(out, block(7));
        b.read(100_000, &mut out);
        assert_eq!(out, block(0));
    }

    #[test]
    fn a_crc_collision_keeps_both_contents() {
        let mut b = Blocks::default();
        b.write(0, &block(1));
        // Pretend another content has the same CRC: point the index at a
        // slot whose bytes differ, as a collision would.
        let sum = crc32fast::hash(&block(2));
        b.index.insert(sum, 0);
        b.write(1, &block(2));
        let mut out = [0u8; 512];
        b.read(0, &mut out);
        assert_eq!(out, block(1));
        b.read(1, &mut out);
        assert_eq!(out, block(2));
        assert_eq!(b.data.len(), 2);
    }

    #[test]
    fn repeats_are_found_at_the_learnt_distance_and_by_crc() {
        let mut b = Blocks::default();
        // Period 3: the fourth write finds its content by CRC, three back,
        // and from then on three back without the CRC.
        for i in 0..30 {
            b.write(i, &block(i as u8 % 3));
        }
        assert_eq!((b.data.len(), b.stride), (3, 3));
        // Three back holds 1, not 2: the CRC still finds 2's slot.
        b.write(31, &block(2));
        assert_eq!((b.data.len(), b.refs[2]), (3, 11));
        let mut out = [0u8; 512];
        for i in 0..30 {
            b.read(i, &mut out);
            assert_eq!(out, block(i as u8 % 3), "block {i}");
        }
        b.read(31, &mut out);
        assert_eq!(out, block(2));
    }

    #[test]
    fn every_live_content_is_held_once_and_reads_back() {
        // Writes and overwrites of 40 contents over 300 blocks, in an order
        // no stride predicts for long, against a plain model.
        let mut b = Blocks::default();
        let mut model = vec![0u8; 300];
        let mut rng = omv_pattern::SplitMix64::new(9);
        for n in 0..5000u32 {
            let idx = if n % 7 == 0 {
                rng.below(300) as u32
            } else {
                n % 300
            };
            let v = 1 + rng.below(40) as u8;
            b.write(idx, &block(v));
            model[idx as usize] = v;
        }
        let mut live: Vec<u8> = model.iter().copied().filter(|&v| v > 0).collect();
        live.sort_unstable();
        live.dedup();
        assert_eq!(b.data.len() - b.free.len(), live.len());
        let mut out = [0u8; 512];
        for (i, &v) in model.iter().enumerate() {
            b.read(i as u32, &mut out);
            assert_eq!(out, block(v), "block {i}");
        }
    }
}
