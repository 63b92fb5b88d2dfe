//! Card profiles: the figures and where they come from.
//!
//! Each figure below is either fitted to a published measurement or a
//! specification limit (sources listed here and at each profile), or marked
//! *assumption*.
//!
//! # Sources
//!
//! * **SD spec** — SD Association, *Physical Layer Simplified
//!   Specification* Version 4.10, §4.13 "Speed Class Specification":
//!   speed classes guarantee a minimum write performance Pw (Class 4:
//!   4 MB/s, Class 10: 10 MB/s; Table 4-59) measured with multi-block
//!   writes of whole recording units (RU: 32 KiB for Class 2/4, 512 KiB for
//!   Class 10 on SDHC) over whole allocation units (AU ≤ 4 MiB for SDHC up
//!   to 32 GB; Table 4-56); Class 10 is measured in High Speed mode. A FAT
//!   update may take up to T_FW(max) = 750 ms (100 ms on average over 8;
//!   §4.13.1.7). §4.6.2.2: the busy time-out of a block write is 250 ms
//!   for SDHC/SDXC. Application Performance Class A1 (§4.16 in 5.x and
//!   later): ≥ 1500 random 4 KiB read and ≥ 500 random 4 KiB write IOPS.
//! * **Teensy 3.6** — Bill Greiman (SdFat), "Teensy 3.6 SDIO is Fast!",
//!   forum.arduino.cc/t/teensy-3-6-sdio-is-fast/406203: 4-bit SDIO at
//!   45 MHz; writes of 512 B: 601.82 KB/s (0.851 ms each, one CMD24), of
//!   32 KiB: 12381.25 KB/s (2.65 ms); reads of 512 B: 2221.44 KB/s
//!   (0.230 ms), of 32 KiB: 15125.21 KB/s (2.17 ms). The same figures on a
//!   Teensy 4.1 with DMA SDIO (greiman/SdFat issue #250): 512 B writes at
//!   604.44 KB/s (0.847 ms).
//! * **SdFat CardPerformance.txt** — Greiman: "the write time for a 512
//!   byte block in sequential mode is about 850 microseconds with
//!   occasional busy times of 2 - 3 ms" (SanDisk Extreme, a class 10
//!   card); "the spec allows a card to go busy for up to 250 ms".
//! * **stm32h7xx-hal PR #453** (SDMMC `write_blocks`, 2023): an STM32H7 at
//!   480 MHz, 50 MHz SDMMC bus: multi-block writes of 64 KiB sustain
//!   4.9 MB/s over 32 MB (128 KiB: 5.2 MB/s); the first 64 KiB took 128 ms
//!   (513 kB/s). Real cards on the H7 can be well below their class: the
//!   `class4` profile covers such a card.
//! * **Bus** — OpenMV H7 boards drive the card over 4-bit SDMMC at 3.3 V:
//!   default speed (25 MHz, 12.5 MB/s) or high speed (50 MHz, 25 MB/s);
//!   UHS-I bus modes need 1.8 V (SD spec, bus speed modes).
//!
//! Tests in `crates/sdtiming/tests` pin each profile's figures against the
//! arithmetic above (one single-block write, a 300-block write, a whole AU
//! at the class's recording unit, stall placement per seed).

use omv_pattern::SplitMix64;

/// The SD write busy time-out (SDHC/SDXC, SD spec §4.6.2.2): the longest a
/// card may stay busy after a block, so the longest stall.
pub const SD_WRITE_TIMEOUT_US: u32 = 250_000;

/// The longest FAT update the SD spec allows (T_FW(max), §4.13.1.7): the
/// bound of a random write's latency plus its random-write cost.
pub const SD_FAT_WRITE_MAX_US: u32 = 750_000;

/// A kind of stall: how often it happens and how long it lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stall {
    /// Chance that the stall happens at each of its places (percent).
    pub pct: u8,
    /// Shortest (µs).
    pub min_us: u32,
    /// Longest (µs), at most [`SD_WRITE_TIMEOUT_US`].
    pub max_us: u32,
}

impl Stall {
    /// No stalls.
    pub const NONE: Stall = Stall {
        pct: 0,
        min_us: 0,
        max_us: 0,
    };

    /// The stall at place `n` under `key` (µs), if it happens: a pure
    /// function of both.
    pub fn draw(&self, key: u64, n: u64) -> Option<u64> {
        if self.pct == 0 {
            return None;
        }
        let mut g = SplitMix64::new(key ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        if g.below(100) >= u64::from(self.pct) {
            return None;
        }
        let range = u64::from(self.max_us.saturating_sub(self.min_us));
        Some(u64::from(self.min_us) + g.below(range + 1))
    }
}

/// How a card performs; the meaning of each figure is in the
/// [crate docs](crate), the sources in the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardProfile {
    /// Profile name (`class4`, `class10`, `uhs1_a1`, `worn`,
    /// `real_class10`, `ideal`).
    pub name: &'static str,
    /// Data bus throughput (bytes/s, > 0).
    pub bus_bytes_per_s: u64,
    /// Command, response and host driver per write command (µs).
    pub write_cmd_us: u32,
    /// The card's busy time per write command (µs).
    pub write_latency_us: u32,
    /// Spread of the latency (percent of it, 0 to 100), seeded.
    pub latency_spread_pct: u8,
    /// Transfer and programming of one block inside a write command (ns,
    /// at least the bus time): 512 B ÷ sequential throughput.
    pub write_block_ns: u64,
    /// Extra busy time of a write that does not continue the previous one
    /// (µs).
    pub random_write_us: u32,
    /// Command and access time per read command (µs).
    pub read_cmd_us: u32,
    /// One block of a read (ns, at least the bus time).
    pub read_block_ns: u64,
    /// Allocation unit (KiB); 0 = no AU stalls.
    pub au_kib: u32,
    /// Stall when a write reaches the first block of an AU.
    pub au_stall: Stall,
    /// Data volume between garbage-collection stall draws (KiB); 0 = none.
    pub gc_every_kib: u32,
    /// Stall every `gc_every_kib` written.
    pub gc_stall: Stall,
}

/// The named profiles (`by_name` finds them).
pub const NAMED: [CardProfile; 5] = [
    CardProfile::CLASS4,
    CardProfile::CLASS10,
    CardProfile::UHS1_A1,
    CardProfile::WORN,
    CardProfile::REAL_CLASS10,
];

impl CardProfile {
    /// A card that only moves bytes at `bytes_per_s` (reads and writes): no
    /// command cost, latency or stalls; a block costs exactly
    /// `512 / bytes_per_s` s — the profile for hand-checked arithmetic.
    pub const fn ideal(bytes_per_s: u64) -> Self {
        let ns = match 512_000_000_000u64.checked_div(bytes_per_s) {
            Some(ns) => ns,
            None => 0,
        };
        CardProfile {
            name: "ideal",
            bus_bytes_per_s: bytes_per_s,
            write_cmd_us: 0,
            write_latency_us: 0,
            latency_spread_pct: 0,
            write_block_ns: ns,
            random_write_us: 0,
            read_cmd_us: 0,
            read_block_ns: ns,
            au_kib: 0,
            au_stall: Stall::NONE,
            gc_every_kib: 0,
            gc_stall: Stall::NONE,
        }
    }

    /// A Class 4 card on the default-speed bus (12.5 MB/s). Sequential
    /// 5.7 MB/s inside a command (90 µs a block) and 1 ms ± 20 % latency per
    /// command, so that a whole 4 MiB AU written in 32 KiB recording units
    /// meets Class 4's 4 MB/s with every stall at its longest (SD spec
    /// Table 4-59); near the H7 figure of stm32h7xx-hal PR #453 (4.9 MB/s
    /// at 64 KiB). One single-block write: 1.12 ms. Assumptions: the
    /// latency (in the published 0.6–1.5 ms range, at its slow end), the
    /// 6 ms random-write cost, the stall figures.
    pub const CLASS4: CardProfile = CardProfile {
        name: "class4",
        bus_bytes_per_s: 12_500_000,
        write_cmd_us: 30,
        write_latency_us: 1_000,
        latency_spread_pct: 20,
        write_block_ns: 90_000,
        random_write_us: 6_000,
        read_cmd_us: 300,
        read_block_ns: 41_000,
        au_kib: 4096,
        au_stall: Stall {
            pct: 100,
            min_us: 20_000,
            max_us: 50_000,
        },
        gc_every_kib: 2048,
        gc_stall: Stall {
            pct: 50,
            min_us: 10_000,
            max_us: 50_000,
        },
    };

    /// A Class 10 card that just meets its class, on the high-speed bus
    /// (25 MB/s): 12.8 MB/s inside a command (40 µs a block), 600 µs ± 20 %
    /// latency per command — one single-block write 0.66 ms (0.54–0.78),
    /// the fast end of the published 0.6–1.5 ms — so that a whole 4 MiB AU
    /// written in 512 KiB recording units meets 10 MB/s with every stall at
    /// its longest. Assumptions: the 3 ms random-write cost (well inside
    /// the spec's 100 ms average FAT write), the stall figures.
    pub const CLASS10: CardProfile = CardProfile {
        name: "class10",
        bus_bytes_per_s: 25_000_000,
        write_cmd_us: 20,
        write_latency_us: 600,
        latency_spread_pct: 20,
        write_block_ns: 40_000,
        random_write_us: 3_000,
        read_cmd_us: 250,
        read_block_ns: 20_480,
        au_kib: 4096,
        au_stall: Stall {
            pct: 100,
            min_us: 10_000,
            max_us: 40_000,
        },
        gc_every_kib: 1024,
        gc_stall: Stall {
            pct: 25,
            min_us: 2_000,
            max_us: 10_000,
        },
    };

    /// A UHS-I A1 card limited to the high-speed bus at 3.3 V (25 MB/s):
    /// 21.3 MB/s inside a command (24 µs a block), 500 µs ± 20 % latency,
    /// and a random-write cost that makes a random 4 KiB write at most 2 ms
    /// (A1: 500 IOPS); a random 4 KiB read takes 0.36 ms (A1: ≤ 0.67 ms,
    /// 1500 IOPS). Assumptions: the latency, the stall figures.
    pub const UHS1_A1: CardProfile = CardProfile {
        name: "uhs1_a1",
        bus_bytes_per_s: 25_000_000,
        write_cmd_us: 20,
        write_latency_us: 500,
        latency_spread_pct: 20,
        write_block_ns: 24_000,
        random_write_us: 1_100,
        read_cmd_us: 200,
        read_block_ns: 20_480,
        au_kib: 4096,
        au_stall: Stall {
            pct: 100,
            min_us: 5_000,
            max_us: 20_000,
        },
        gc_every_kib: 2048,
        gc_stall: Stall {
            pct: 20,
            min_us: 2_000,
            max_us: 10_000,
        },
    };

    /// A worn Class 10 card (assumption throughout: a card late in its
    /// life, below its class): 1.5 ms ± 50 % latency (the slow end of the
    /// published range), 8.5 MB/s inside a command, 10 ms random writes,
    /// a 100–250 ms stall at every AU and a 50–250 ms one at half of every
    /// 256 KiB written (the 250 ms write time-out bounds them).
    pub const WORN: CardProfile = CardProfile {
        name: "worn",
        bus_bytes_per_s: 25_000_000,
        write_cmd_us: 20,
        write_latency_us: 1_500,
        latency_spread_pct: 50,
        write_block_ns: 60_000,
        random_write_us: 10_000,
        read_cmd_us: 400,
        read_block_ns: 25_000,
        au_kib: 4096,
        au_stall: Stall {
            pct: 100,
            min_us: 100_000,
            max_us: SD_WRITE_TIMEOUT_US,
        },
        gc_every_kib: 256,
        gc_stall: Stall {
            pct: 50,
            min_us: 50_000,
            max_us: SD_WRITE_TIMEOUT_US,
        },
    };

    /// A typical real Class 10 card, fitted to the Teensy 3.6 SDIO figures
    /// (Greiman): write of n blocks = 20 + 800 + 29·n µs — 1 block 0.849 ms
    /// (measured 0.851), 64 blocks 2.68 ms (measured 2.65); read of n
    /// blocks = 200 + 30·n µs — 1 block 0.230 ms (measured 0.230), 64
    /// blocks 2.12 ms (measured 2.17). Latency spread ±10 % and a 2–3 ms
    /// busy at half of every 1 MiB written ("occasional busy times of 2 - 3
    /// ms", SdFat CardPerformance.txt). Assumptions: the split of the
    /// per-command time into command (20 µs) and latency, the 3 ms
    /// random-write cost, the AU stall.
    pub const REAL_CLASS10: CardProfile = CardProfile {
        name: "real_class10",
        bus_bytes_per_s: 25_000_000,
        write_cmd_us: 20,
        write_latency_us: 800,
        latency_spread_pct: 10,
        write_block_ns: 29_000,
        random_write_us: 3_000,
        read_cmd_us: 200,
        read_block_ns: 30_000,
        au_kib: 4096,
        au_stall: Stall {
            pct: 100,
            min_us: 5_000,
            max_us: 20_000,
        },
        gc_every_kib: 1024,
        gc_stall: Stall {
            pct: 50,
            min_us: 2_000,
            max_us: 3_000,
        },
    };

    /// A named profile (case-insensitive), or `ideal:<bytes per second>`
    /// (e.g. `ideal:2000000`).
    pub fn by_name(name: &str) -> Option<CardProfile> {
        if let Some(rate) = name.strip_prefix("ideal:") {
            let r: u64 = rate.parse().ok()?;
            return (r > 0).then(|| CardProfile::ideal(r));
        }
        NAMED
            .into_iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Check the figures against what a card can be.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.bus_bytes_per_s == 0 {
            return Err("bus_bytes_per_s must be above 0");
        }
        if self.write_block_ns < self.block_transfer_ns()
            || self.read_block_ns < self.block_transfer_ns()
        {
            return Err("a block cannot take less than its bus time");
        }
        if self.latency_spread_pct > 100 {
            return Err("latency_spread_pct must be 0 to 100");
        }
        for s in [self.au_stall, self.gc_stall] {
            if s.pct > 100 || s.min_us > s.max_us || s.max_us > SD_WRITE_TIMEOUT_US {
                return Err("stalls must satisfy pct <= 100, min_us <= max_us <= 250000");
            }
        }
        let worst = u64::from(self.write_latency_us) * (100 + u64::from(self.latency_spread_pct))
            / 100
            + u64::from(self.random_write_us);
        if worst > u64::from(SD_FAT_WRITE_MAX_US) {
            return Err("latency + random_write_us must stay within the 750 ms FAT write limit");
        }
        Ok(())
    }

    /// Bus time of one block (ns).
    pub fn block_transfer_ns(&self) -> u64 {
        512_000_000_000 / self.bus_bytes_per_s.max(1)
    }

    /// Mean cost of one write command of `blocks` blocks that continues the
    /// previous write, without stalls (ns).
    pub fn write_ns(&self, blocks: u32) -> u64 {
        (u64::from(self.write_cmd_us) + u64::from(self.write_latency_us)) * 1000
            + u64::from(blocks) * self.write_block_ns
    }

    /// Mean cost of one single-block write (CMD24) without stalls (µs).
    pub fn single_block_write_us(&self) -> u64 {
        self.write_ns(1) / 1000
    }

    /// Throughput inside a long multi-block write (bytes/s).
    pub fn sequential_write_bytes_per_s(&self) -> u64 {
        512_000_000_000 / self.write_block_ns.max(1)
    }
}
