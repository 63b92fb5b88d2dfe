//! Per-run card statistics.

/// Upper bounds (µs, exclusive) of the histogram buckets; the last bucket
/// holds everything from 100 ms up.
pub const BUSY_BUCKETS_US: [u64; 5] = [100, 1_000, 10_000, 100_000, u64::MAX];

/// What the card did since it was made or since [`reset`](CardStats::reset).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CardStats {
    /// Read commands.
    pub read_cmds: u64,
    /// Blocks read.
    pub blocks_read: u64,
    /// Write commands.
    pub write_cmds: u64,
    /// Blocks written (torn blocks included).
    pub blocks_written: u64,
    /// Writes that did not continue the previous write.
    pub random_writes: u64,
    /// Virtual time spent in reads (µs).
    pub read_us: u64,
    /// Virtual time spent in writes, transfer and busy (µs).
    pub write_us: u64,
    /// Write commands by total duration (command, transfer and busy):
    /// `<100 µs`, `<1 ms`, `<10 ms`, `<100 ms`, `≥100 ms`.
    pub write_time_histogram: [u64; 5],
    /// Write commands by the card's busy time alone (programming,
    /// random-write cost, stalls), same buckets.
    pub busy_histogram: [u64; 5],
    /// Total busy time (µs).
    pub busy_us: u64,
    /// Stalls that happened.
    pub stalls: u64,
    /// The longest stall (µs), 0 if none.
    pub longest_stall_us: u64,
    /// The longest single write command (µs).
    pub longest_write_us: u64,
}

impl CardStats {
    /// Bytes read.
    pub fn bytes_read(&self) -> u64 {
        self.blocks_read * 512
    }

    /// Bytes written.
    pub fn bytes_written(&self) -> u64 {
        self.blocks_written * 512
    }

    /// Zero everything.
    pub fn reset(&mut self) {
        *self = CardStats::default();
    }

    pub(crate) fn record_write(&mut self, us: u64, busy_us: u64) {
        self.write_cmds += 1;
        self.write_us += us;
        self.busy_us += busy_us;
        self.longest_write_us = self.longest_write_us.max(us);
        self.write_time_histogram[bucket(us)] += 1;
        self.busy_histogram[bucket(busy_us)] += 1;
    }
}

fn bucket(us: u64) -> usize {
    BUSY_BUCKETS_US
        .iter()
        .position(|&lim| us < lim)
        .unwrap_or(BUSY_BUCKETS_US.len() - 1)
}
