//! Same seeds, same bytes and figures; another card seed, other figures.
#![allow(clippy::unwrap_used)]

use imageio_sim::{
    BoardConfig, CardProfile, CardStats, Content, SensorConfig, SensorModel, SimBoard,
    SimSensorConfig,
};

fn run(card_seed: u64) -> (u64, CardStats, u64, u32, u64) {
    let mut b = SimBoard::new(BoardConfig {
        sensor: SimSensorConfig {
            settings: SensorConfig {
                content: Content::Noise,
                seed: 11,
                ..SensorConfig::default()
            },
            model: SensorModel {
                jitter_us: 2_000,
                ..SensorModel::default()
            },
            ..SimSensorConfig::default()
        },
        card: CardProfile::WORN,
        card_bytes: 128 << 20,
        card_seed,
        ..BoardConfig::default()
    })
    .unwrap();
    let mut fb = vec![0u8; b.sensor().max_frame_len()];
    let mut s = b.open_file("/sdcard/stream.bin", "w").unwrap();
    let rep = b.record_for(&mut s, 3_000_000, &mut fb);
    s.close().unwrap();
    drop(s);
    // FNV-1a of the whole stream file as the card holds it.
    let store = b.store().unwrap();
    let len = store.file_len("/sdcard/stream.bin").unwrap();
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    let mut buf = vec![0u8; 65_536];
    let mut off = 0;
    while off < len {
        let n = store
            .read_range("/sdcard/stream.bin", off, &mut buf)
            .unwrap();
        for &x in &buf[..n] {
            hash = (hash ^ u64::from(x)).wrapping_mul(0x100_0000_01b3);
        }
        off += n as u32;
    }
    (
        hash,
        b.card().stats(),
        b.clock().now(),
        rep.written,
        rep.dropped,
    )
}

#[test]
fn a_run_is_a_function_of_its_seeds() {
    let a = run(5);
    assert_eq!(a, run(5));
    let b = run(6);
    assert_ne!(a.1, b.1, "another card seed gives other busy times");
    assert_ne!(a.2, b.2);
}
