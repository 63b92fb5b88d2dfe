//! The memory store of a card: each distinct block content held once.
//!
//! A card's blocks map, through one table of 2048 slot numbers per MiB of
//! the card written into, to slots holding 512-byte contents; a block
//! never written has no slot and reads as zeros. A write looks its content
//! up by CRC-32 (`crc32fast`), compares it byte for byte with the slot
//! found, and shares that slot if equal; slots count their blocks and are
//! reused once none is left. Frames of the test patterns repeat most of
//! their blocks (colour bars are equal rows apart from the sequence stamp),
//! so a 10-minute QVGA recording of them holds a few tens of MiB instead of
//! its 2.8 GB; content that never repeats (noise, PNG sources) costs its
//! bytes plus 8 bytes a block, and the card moves to a file past its budget
//! (see `backing`).

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
    /// Each slot's count, CRC and index entry (about 25 bytes, under 5 %
    /// of its contents) come on top.
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

    /// Set block `idx` to `data`.
    pub(crate) fn write(&mut self, idx: u32, data: &[u8; 512]) {
        let sum = crc32fast::hash(data);
        let slot = match self.index.get(&sum) {
            Some(&s) if self.data[s as usize] == *data => {
                self.refs[s as usize] += 1;
                s
            }
            _ => {
                let s = self.store(data, sum);
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
    fn store(&mut self, data: &[u8; 512], sum: u32) -> u32 {
        if let Some(s) = self.free.pop() {
            let k = s as usize;
            self.data[k] = *data;
            self.refs[k] = 1;
            self.sums[k] = sum;
            return s;
        }
        self.data.push(*data);
        self.refs.push(1);
        self.sums.push(sum);
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
}
