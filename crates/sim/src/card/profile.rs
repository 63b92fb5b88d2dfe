//! Card timing profiles: named figures and where they come from.
//!
//! Every block operation costs (all in virtual time):
//!
//! * `cmd_overhead_us` per command (command, response, host driver);
//! * the transfer: bytes ÷ `bus_bytes_per_s`;
//! * reads: `read_access_us` per command;
//! * writes: a program (busy) time per block, uniform in
//!   `program_us × [1 − spread, 1 + spread]`, seeded;
//! * writes not following the previous write's last block (a "random"
//!   write — FAT and directory updates, i.e. what `sync()`/flush costs):
//!   `random_write_us` more;
//! * per write command, with probability `stall_ppm / 10⁶`, a stall uniform
//!   in `stall_min_us..=stall_max_us` (garbage collection / erase); the SD
//!   specification caps a block write's busy time at 250 ms (SDHC/SDXC
//!   write time-out), so `stall_max_us ≤ 250 000`.
//!
//! `embedded-sdmmc` writes one block per command, so the per-command costs
//! are paid per block, as on a device driven by it.
//!
//! # Sources of the figures
//!
//! * Bus: OpenMV H7 boards drive the card over 4-bit SDMMC at 3.3 V, i.e.
//!   default speed (25 MHz, 12.5 MB/s) or high speed (50 MHz, 25 MB/s);
//!   UHS-I bus modes need 1.8 V signalling (SD Physical Layer Simplified
//!   Specification, bus speed modes).
//! * Speed classes guarantee a minimum *sequential* write speed measured
//!   over whole allocation units: Class 4 = 4 MB/s, Class 10 = 10 MB/s,
//!   UHS Speed Class 1 = 10 MB/s (Physical Layer Simplified Specification,
//!   "Speed Class"). The profiles' program times are chosen so that
//!   back-to-back single-block writes sustain a little above those minima.
//! * Application Performance Class A1: at least 1500 random read and 500
//!   random write IOPS (4 KiB) and 10 MB/s sequential (same specification,
//!   "Application Performance Class"): 500 IOPS → 2 ms per random write.
//! * Write busy time-out: 250 ms for SDHC/SDXC (same specification, "Write"
//!   time-out conditions) — the longest stall a card may take.
//! * Random-write costs of non-A1 cards (several ms) and the stall rates are
//!   assumptions in line with published card benchmarks, not specification
//!   figures; the worn profile is an assumption describing a card late in
//!   its life (more garbage collection, longer and more frequent stalls).

/// How a card performs: the figures, their meaning and their sources are in
/// the [module docs](crate::card::profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardProfile {
    /// Profile name (`class4`, `class10`, `uhs1_a1`, `worn`, `ideal`).
    pub name: &'static str,
    /// Bus throughput in bytes per second (> 0).
    pub bus_bytes_per_s: u64,
    /// Cost of each command (µs).
    pub cmd_overhead_us: u32,
    /// Access time of a read command (µs).
    pub read_access_us: u32,
    /// Mean program (busy) time per written block (µs).
    pub program_us: u32,
    /// Spread of the program time, in percent of `program_us` (0 to 100).
    pub program_spread_pct: u8,
    /// Extra cost of a write that does not continue the previous one (µs).
    pub random_write_us: u32,
    /// Stalls per million write commands.
    pub stall_ppm: u32,
    /// Shortest stall (µs).
    pub stall_min_us: u32,
    /// Longest stall (µs), at most 250 000.
    pub stall_max_us: u32,
}

/// The SD write busy time-out (SDHC/SDXC), the longest stall a card may take.
pub const SD_WRITE_TIMEOUT_US: u32 = 250_000;

impl CardProfile {
    /// A card that only moves bytes: `bytes_per_s` for reads and writes, no
    /// command overhead, busy time or stalls. A block costs exactly
    /// `512 / bytes_per_s` seconds — the profile for hand-checked arithmetic.
    pub const fn ideal(bytes_per_s: u64) -> Self {
        CardProfile {
            name: "ideal",
            bus_bytes_per_s: bytes_per_s,
            cmd_overhead_us: 0,
            read_access_us: 0,
            program_us: 0,
            program_spread_pct: 0,
            random_write_us: 0,
            stall_ppm: 0,
            stall_min_us: 0,
            stall_max_us: 0,
        }
    }

    /// Class 4 card on a default-speed bus (12.5 MB/s): ≈ 4.6 MB/s
    /// sequential single-block writes, 6 ms random writes, rare stalls up
    /// to 250 ms.
    pub const CLASS4: CardProfile = CardProfile {
        name: "class4",
        bus_bytes_per_s: 12_500_000,
        cmd_overhead_us: 20,
        read_access_us: 100,
        program_us: 50,
        program_spread_pct: 40,
        random_write_us: 6_000,
        stall_ppm: 200,
        stall_min_us: 20_000,
        stall_max_us: SD_WRITE_TIMEOUT_US,
    };

    /// Class 10 card on a high-speed bus (25 MB/s): ≈ 11 MB/s sequential,
    /// 3 ms random writes, rare stalls up to 250 ms.
    pub const CLASS10: CardProfile = CardProfile {
        name: "class10",
        bus_bytes_per_s: 25_000_000,
        cmd_overhead_us: 10,
        read_access_us: 60,
        program_us: 16,
        program_spread_pct: 40,
        random_write_us: 3_000,
        stall_ppm: 100,
        stall_min_us: 10_000,
        stall_max_us: SD_WRITE_TIMEOUT_US,
    };

    /// UHS-I A1 card, limited to the high-speed bus at 3.3 V (25 MB/s):
    /// ≈ 15 MB/s sequential, 2 ms random writes (500 IOPS), very rare stalls.
    pub const UHS1_A1: CardProfile = CardProfile {
        name: "uhs1_a1",
        bus_bytes_per_s: 25_000_000,
        cmd_overhead_us: 8,
        read_access_us: 40,
        program_us: 6,
        program_spread_pct: 30,
        random_write_us: 2_000,
        stall_ppm: 20,
        stall_min_us: 5_000,
        stall_max_us: 100_000,
    };

    /// A worn Class 10 card: slower programming, 10 ms random writes and
    /// frequent stalls up to the 250 ms time-out.
    pub const WORN: CardProfile = CardProfile {
        name: "worn",
        bus_bytes_per_s: 25_000_000,
        cmd_overhead_us: 10,
        read_access_us: 80,
        program_us: 60,
        program_spread_pct: 80,
        random_write_us: 10_000,
        stall_ppm: 5_000,
        stall_min_us: 50_000,
        stall_max_us: SD_WRITE_TIMEOUT_US,
    };

    /// The named profiles.
    pub const NAMED: [CardProfile; 4] = [
        CardProfile::CLASS4,
        CardProfile::CLASS10,
        CardProfile::UHS1_A1,
        CardProfile::WORN,
    ];

    /// A named profile (`class4`, `class10`, `uhs1_a1`, `worn`), or
    /// `ideal:<bytes per second>` (e.g. `ideal:2000000`).
    pub fn by_name(name: &str) -> Option<CardProfile> {
        if let Some(rate) = name.strip_prefix("ideal:") {
            let r: u64 = rate.parse().ok()?;
            return (r > 0).then(|| CardProfile::ideal(r));
        }
        CardProfile::NAMED
            .into_iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Check the figures.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.bus_bytes_per_s == 0 {
            return Err("bus_bytes_per_s must be above 0");
        }
        if self.program_spread_pct > 100 {
            return Err("program_spread_pct must be 0 to 100");
        }
        if self.stall_max_us > SD_WRITE_TIMEOUT_US || self.stall_min_us > self.stall_max_us {
            return Err("stalls must satisfy stall_min_us <= stall_max_us <= 250000");
        }
        if self.stall_ppm > 1_000_000 {
            return Err("stall_ppm must be at most 1000000");
        }
        Ok(())
    }

    /// Sustained speed of back-to-back sequential single-block writes with
    /// the mean program time and no stalls, in bytes per second.
    pub fn sequential_write_bytes_per_s(&self) -> u64 {
        let ns = self.block_transfer_ns()
            + u64::from(self.cmd_overhead_us) * 1000
            + u64::from(self.program_us) * 1000;
        512_000_000_000 / ns.max(1)
    }

    /// Bus time of one block, in ns.
    pub fn block_transfer_ns(&self) -> u64 {
        512_000_000_000 / self.bus_bytes_per_s.max(1)
    }
}
