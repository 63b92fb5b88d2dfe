//! What the simulator's integration tests share.
#![allow(dead_code)] // each test crate uses its part

use imageio_sim::{BoardConfig, CardProfile, SimBoard, SimSensorConfig};
use omv_fatstore::format::FormatOptions;

/// A board with `sensor` on an ideal card of `bytes_per_s` (no latency,
/// no stalls) and `card_bytes`, formatted with `format`.
pub fn ideal_board(
    sensor: impl Into<SimSensorConfig>,
    bytes_per_s: u64,
    card_bytes: u64,
    format: FormatOptions,
) -> SimBoard {
    SimBoard::new(BoardConfig {
        sensor: sensor.into(),
        card: CardProfile::ideal(bytes_per_s),
        card_bytes,
        format,
        ..BoardConfig::default()
    })
    .unwrap()
}
