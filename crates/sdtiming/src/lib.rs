//! SD card timing: what each read and write command costs on a card of a
//! given [`CardProfile`], deterministically per seed.
//!
//! `no_std`, no allocator: the simulator's `SimCard` and the qemu agent's
//! RAM disk apply the same [`CardModel`], so both boards charge a writer the
//! same time for the same commands.
//!
//! A write command of `n` blocks starting at block `b` costs (see
//! [`profile`] for the figures and their sources):
//!
//! * `write_cmd_us` — command, response and host driver;
//! * `write_latency_us` ± `latency_spread_pct` — the card's busy time per
//!   command (a single-block write is dominated by it: 0.6–1.5 ms on real
//!   class 10 cards);
//! * `n × write_block_ns` — transfer and programming per block, the card's
//!   sequential throughput inside a multi-block write;
//! * `random_write_us` more if `b` does not continue the previous write
//!   (FAT and directory updates);
//! * stalls placed by *position and volume*, not per command: writing the
//!   first block of an allocation unit may stall (erase / AU switch), and
//!   every `gc_every_kib` of data written may stall (garbage collection).
//!   Whether a stall happens and how long it lasts are drawn from the seed
//!   and the AU number (or the volume count), so a writer that sends few
//!   large commands meets exactly the stalls of one that sends many small
//!   ones over the same blocks.
//!
//! A read command of `n` blocks costs `read_cmd_us + n × read_block_ns`.
//!
//! ```
//! use omv_sdtiming::{CardModel, CardProfile};
//!
//! let mut card = CardModel::new(CardProfile::REAL_CLASS10, 1);
//! // One single-block write (CMD24) on a real class 10 card: ~0.85 ms.
//! let us = card.write(0x4001, 1).ns / 1000;
//! assert!((769..=929).contains(&us));
//! ```
#![no_std]

pub mod profile;

pub use profile::{CardProfile, Stall, NAMED, SD_FAT_WRITE_MAX_US, SD_WRITE_TIMEOUT_US};

use omv_pattern::SplitMix64;

/// Bytes per block.
pub const BLOCK: u64 = 512;

/// What the command part of a write costs (before its blocks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommandCost {
    /// Command, response, driver, the card's latency and any random-write
    /// cost (ns).
    pub ns: u64,
    /// The card's busy part of `ns` (latency and random-write cost, ns).
    pub busy_ns: u64,
    /// The write did not continue the previous one.
    pub random: bool,
}

/// What one block of a write costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockCost {
    /// Transfer, programming and any stall due at this block (ns).
    pub ns: u64,
    /// The card's busy part of `ns` (programming beyond the bus time and
    /// stalls, ns).
    pub busy_ns: u64,
    /// Stalls due at this block (0, 1 or 2: AU boundary and volume).
    pub stalls: u32,
    /// Their total length (µs).
    pub stall_us: u64,
}

/// What a whole write command costs ([`CardModel::write`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteCost {
    /// Everything (ns).
    pub ns: u64,
    /// The card's busy part (ns).
    pub busy_ns: u64,
    /// The write did not continue the previous one.
    pub random: bool,
    /// Stalls met.
    pub stalls: u32,
    /// The longest of them (µs).
    pub longest_stall_us: u64,
}

/// Domain separators of the stall draws.
const AU_DRAW: u64 = 0xA110_CA71_0000_0000;
const GC_DRAW: u64 = 0x6C00_11EC_7000_0000;

/// The timing state of one card: its profile, the seed, where the last
/// write ended and how much has been written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardModel {
    profile: CardProfile,
    seed: u64,
    rng: SplitMix64,
    last_write_end: Option<u32>,
    blocks_written: u64,
}

impl CardModel {
    /// A card of `profile` whose random figures follow `seed`.
    pub fn new(profile: CardProfile, seed: u64) -> Self {
        CardModel {
            profile,
            seed,
            rng: SplitMix64::for_frame(seed ^ 0x5D_CA2D, 0),
            last_write_end: None,
            blocks_written: 0,
        }
    }

    /// The profile.
    pub fn profile(&self) -> &CardProfile {
        &self.profile
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Change the profile (e.g. to age a card mid-run); position and volume
    /// counters stay.
    pub fn set_profile(&mut self, profile: CardProfile) {
        self.profile = profile;
    }

    /// The block after the last one written, if any.
    pub fn last_write_end(&self) -> Option<u32> {
        self.last_write_end
    }

    /// Forget where the last write ended (the next write is not "random").
    pub fn forget_position(&mut self) {
        self.last_write_end = None;
    }

    /// Blocks written so far (the volume that places garbage-collection
    /// stalls).
    pub fn blocks_written(&self) -> u64 {
        self.blocks_written
    }

    /// Start a write command at block `start`: command, latency and, if it
    /// does not continue the previous write, the random-write cost. Follow
    /// with [`write_block`](Self::write_block) for each block.
    pub fn begin_write(&mut self, start: u32) -> CommandCost {
        let p = self.profile;
        let mut busy_us = u64::from(p.write_latency_us);
        if p.latency_spread_pct > 0 && busy_us > 0 {
            let spread = busy_us * u64::from(p.latency_spread_pct) / 100;
            busy_us = busy_us - spread + self.rng.below(2 * spread + 1);
        }
        let random = self.last_write_end.is_some_and(|e| e != start);
        if random {
            busy_us += u64::from(p.random_write_us);
        }
        self.last_write_end = Some(start);
        CommandCost {
            ns: (u64::from(p.write_cmd_us) + busy_us) * 1000,
            busy_ns: busy_us * 1000,
            random,
        }
    }

    /// Write block `idx` (the next of the command begun): its transfer and
    /// programming, and any stall due here.
    pub fn write_block(&mut self, idx: u32) -> BlockCost {
        let p = self.profile;
        let mut cost = BlockCost {
            ns: p.write_block_ns,
            busy_ns: p.write_block_ns.saturating_sub(p.block_transfer_ns()),
            ..BlockCost::default()
        };
        let mut stall = |s: Option<u64>| {
            if let Some(us) = s {
                cost.ns += us * 1000;
                cost.busy_ns += us * 1000;
                cost.stalls += 1;
                cost.stall_us += us;
            }
        };
        let au_blocks = u64::from(p.au_kib) * 1024 / BLOCK;
        if au_blocks > 0 && u64::from(idx) % au_blocks == 0 {
            stall(self.au_stall(u64::from(idx) / au_blocks));
        }
        self.blocks_written += 1;
        let gc_blocks = u64::from(p.gc_every_kib) * 1024 / BLOCK;
        if gc_blocks > 0 && self.blocks_written % gc_blocks == 0 {
            stall(self.gc_stall(self.blocks_written / gc_blocks));
        }
        self.last_write_end = Some(idx.wrapping_add(1));
        cost
    }

    /// A whole write command of `count` blocks from `start`.
    pub fn write(&mut self, start: u32, count: u32) -> WriteCost {
        let c = self.begin_write(start);
        let mut w = WriteCost {
            ns: c.ns,
            busy_ns: c.busy_ns,
            random: c.random,
            ..WriteCost::default()
        };
        for i in 0..count {
            let b = self.write_block(start.wrapping_add(i));
            w.ns += b.ns;
            w.busy_ns += b.busy_ns;
            w.stalls += b.stalls;
            w.longest_stall_us = w.longest_stall_us.max(b.stall_us);
        }
        w
    }

    /// A read command of `count` blocks (ns).
    pub fn read(&mut self, _start: u32, count: u32) -> u64 {
        let p = self.profile;
        u64::from(p.read_cmd_us) * 1000 + u64::from(count) * p.read_block_ns
    }

    /// The stall (µs) when allocation unit `au` is entered at its first
    /// block, if any: a pure function of the seed and `au`.
    pub fn au_stall(&self, au: u64) -> Option<u64> {
        self.profile.au_stall.draw(self.seed ^ AU_DRAW, au)
    }

    /// The stall (µs) when the `n`-th `gc_every_kib` of data has been
    /// written, if any: a pure function of the seed and `n`.
    pub fn gc_stall(&self, n: u64) -> Option<u64> {
        self.profile.gc_stall.draw(self.seed ^ GC_DRAW, n)
    }
}
