//! Issue 13 item 4: a power cut at every block write of a short recording
//! with periodic syncs (cleanly and with the block torn) leaves exactly the
//! frames of the last sync, and `fsck.fat -n` finds the card clean at every
//! cut between syncs. The engine is `imageio_sim::sweep` (the `record`
//! bench runs a smaller sweep with it).
#![allow(clippy::unwrap_used)]

use imageio_sim::omv_fatstore::format::{FatKind, FormatOptions};
use imageio_sim::sweep::{power_cut_sweep, SweepConfig};
use omv_imageio::PixFormat;

fn check(cfg: &SweepConfig) {
    let rep = power_cut_sweep(cfg).unwrap();
    println!("{} (torn: {})", rep.line(), cfg.torn);
    assert!(rep.reference_writes > 40, "{rep:?}");
    assert_eq!(
        rep.cuts.len() as u64,
        rep.reference_writes,
        "a cut at every write"
    );
    for c in &rep.cuts {
        assert!(!c.corrupt, "{c:?}");
        if c.between_syncs {
            // Exactly the synced frames: none lost, none extra.
            assert_eq!(c.recovered, c.synced, "{c:?}");
            assert!(c.fsck_clean, "fsck.fat -n between syncs: {c:?}");
        } else {
            // Inside a sync: the previous sync's frames or this one's.
            let up_to = c.synced + cfg.sync_every;
            assert!((c.synced..=up_to).contains(&c.recovered), "{c:?}");
        }
    }
    assert!(rep.between_syncs() > rep.cuts.len() / 2, "{rep:?}");
}

/// 9 frames of 64×48 grayscale (6 blocks each), a sync every 3, on a
/// 6 MiB card with 512-byte clusters (every frame crosses clusters).
fn small(kind: FatKind, mib: u64, torn: bool) -> SweepConfig {
    let dir =
        std::env::temp_dir().join(format!("omv-sweep-{}-{kind:?}-{torn}", std::process::id()));
    let mut cfg = SweepConfig::small(9, 3, 1, dir);
    cfg.sensor.settings.width = 64;
    cfg.sensor.settings.height = 48;
    cfg.sensor.settings.pixformat = PixFormat::Grayscale;
    cfg.torn = torn;
    cfg.card_bytes = mib << 20;
    cfg.format = FormatOptions {
        kind,
        bytes_per_cluster: Some(512),
        ..FormatOptions::default()
    };
    cfg
}

#[test]
fn fat16_every_cut_clean_and_torn_keeps_the_last_sync() {
    for torn in [false, true] {
        let cfg = small(FatKind::Fat16, 6, torn);
        check(&cfg);
        let _ = std::fs::remove_dir_all(&cfg.scratch);
    }
}

#[test]
fn fat32_every_cut_keeps_the_last_sync() {
    // FAT32 needs 65 525 clusters: 34 MiB with 512-byte clusters.
    let mut cfg = small(FatKind::Fat32, 34, true);
    cfg.frames = 6;
    check(&cfg);
    let _ = std::fs::remove_dir_all(&cfg.scratch);
}
