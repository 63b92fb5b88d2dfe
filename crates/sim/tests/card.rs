//! The card's timing model, statistics, power handling and images.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use embedded_sdmmc::{Block, BlockDevice, BlockIdx};
use imageio_sim::{BoardConfig, CardError, CardProfile, Faults, SimBoard, SimCard, SimClock};
use omv_fatstore::tools;
use omv_imageio::ReadOptions;

fn blank(profile: CardProfile, seed: u64) -> (SimCard, SimClock) {
    let clock = SimClock::new();
    let card = SimCard::new_memory(profile, 64 << 20, clock.clone(), seed).unwrap();
    (card, clock)
}

fn block(v: u8) -> [Block; 1] {
    let mut b = Block::new();
    b.contents.fill(v);
    [b]
}

#[test]
fn ideal_card_costs_exactly_bytes_over_throughput() {
    let (card, clock) = blank(CardProfile::ideal(2_048_000), 0);
    card.write(&block(1), BlockIdx(10)).unwrap();
    assert_eq!(clock.now(), 250);
    let mut b = block(0);
    card.read(&mut b, BlockIdx(10)).unwrap();
    assert_eq!(clock.now(), 500);
    assert!(b[0].contents.iter().all(|&x| x == 1));
    // 2 000 000 B/s: 256 µs a block; 3 blocks in one command.
    let (card, clock) = blank(CardProfile::ideal(2_000_000), 0);
    let three = [Block::new(), Block::new(), Block::new()];
    card.write(&three, BlockIdx(0)).unwrap();
    assert_eq!(clock.now(), 768);
    let st = card.stats();
    assert_eq!(
        (st.write_cmds, st.blocks_written, st.bytes_written()),
        (1, 3, 1536)
    );
    assert_eq!(st.write_time_histogram, [0, 1, 0, 0, 0]);
    assert_eq!((st.busy_histogram, st.busy_us), ([1, 0, 0, 0, 0], 0));
}

#[test]
fn class10_write_costs_follow_the_profile() {
    let p = CardProfile::CLASS10;
    let (card, clock) = blank(p, 3);
    // Sequential single-block writes (as embedded-sdmmc sends them):
    // command 20 + latency 600 ± 20 % + block 40 µs each, i.e. 540..=780
    // µs; the first has no previous write to be random to. 1000 blocks
    // from block 100 stay inside one AU (8192 blocks) and below the 1 MiB
    // of a volume stall.
    for i in 0..1000 {
        card.write(&block(0), BlockIdx(100 + i)).unwrap();
    }
    let st = card.stats();
    assert_eq!((st.random_writes, st.stalls, st.write_cmds), (0, 0, 1000));
    assert!(clock.now() >= 1000 * 540, "{}", clock.now());
    assert!(clock.now() <= 1000 * 780, "{}", clock.now());
    // The histogram sees each 0.54–0.78 ms command in the < 1 ms bucket.
    assert_eq!(st.write_time_histogram, [0, 1000, 0, 0, 0]);
    // A jump costs the random-write time (3 ms) more.
    let t = clock.now();
    card.write(&block(0), BlockIdx(50_001)).unwrap();
    assert!(clock.now() - t >= 540 + 3_000);
    assert_eq!(card.stats().random_writes, 1);
}

#[test]
fn one_multi_block_command_costs_one_latency() {
    // 300 blocks in one command on class10 without spread: 20 + 600 + 300
    // × 40 µs = 12.62 ms; as 300 single-block commands 300 × 660 µs.
    let p = CardProfile {
        latency_spread_pct: 0,
        ..CardProfile::CLASS10
    };
    let blocks: Vec<Block> = (0..300).map(|_| Block::new()).collect();
    let (card, clock) = blank(p, 1);
    card.write(&blocks, BlockIdx(1)).unwrap();
    assert_eq!(clock.now(), 20 + 600 + 300 * 40);
    let (card2, clock2) = blank(p, 1);
    for i in 0..300 {
        card2.write(&block(0), BlockIdx(1 + i)).unwrap();
    }
    assert_eq!(clock2.now(), 300 * 660);
    assert_eq!(
        (card.stats().write_cmds, card2.stats().write_cmds),
        (1, 300)
    );
}

#[test]
fn same_seed_same_figures_other_seed_other_figures() {
    let run = |seed| {
        let (card, clock) = blank(CardProfile::WORN, seed);
        for i in 0..3000 {
            card.write(&block(i as u8), BlockIdx(i * 7 % 5000)).unwrap();
        }
        (clock.now(), card.stats())
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1).0, run(2).0);
}

#[test]
fn stalls_come_at_au_boundaries_capped_by_the_write_timeout() {
    // The worn card stalls 100–250 ms at every AU (8192 blocks): writing
    // across the boundary at block 8192 meets it in that command.
    let p = CardProfile {
        gc_every_kib: 0,
        ..CardProfile::WORN
    };
    let (card, _) = blank(p, 9);
    for i in 8190..8194 {
        card.write(&block(0), BlockIdx(i)).unwrap();
    }
    let st = card.stats();
    assert_eq!(st.stalls, 1);
    assert!((100_000..=250_000).contains(&st.longest_stall_us));
    assert!(st.longest_write_us >= st.longest_stall_us);
    assert_eq!(st.write_time_histogram.iter().sum::<u64>(), 4);
    assert_eq!(st.write_time_histogram[4], 1);
    assert_eq!(st.busy_histogram[4], 1);
    let mut bad = CardProfile::WORN;
    bad.au_stall.max_us = 300_000;
    assert!(SimCard::new_memory(bad, 1 << 20, SimClock::new(), 0).is_err());
}

#[test]
fn profiles_by_name() {
    for name in ["class4", "class10", "uhs1_a1", "worn", "real_class10"] {
        assert_eq!(CardProfile::by_name(name).unwrap().name, name);
    }
    assert_eq!(
        CardProfile::by_name("ideal:2000000"),
        Some(CardProfile::ideal(2_000_000))
    );
    assert_eq!(CardProfile::by_name("class99"), None);
    assert_eq!(CardProfile::by_name("ideal:0"), None);
    // Sequential throughput inside a command, MB/s.
    let speeds: Vec<u64> = imageio_sim::card::profile::NAMED
        .iter()
        .map(|p| p.sequential_write_bytes_per_s() / 1_000_000)
        .collect();
    assert_eq!(speeds, [5, 12, 21, 8, 17]);
}

#[test]
fn a_torn_block_is_half_new_half_old() {
    let (card, _) = blank(CardProfile::ideal(2_048_000), 0);
    card.write(&block(0xAA), BlockIdx(7)).unwrap();
    card.arm(Faults {
        power_cut_after_writes: Some(0),
        torn_block: true,
        ..Faults::default()
    });
    assert!(matches!(
        card.write(&block(0xBB), BlockIdx(7)),
        Err(CardError::PowerCut { .. })
    ));
    let mut b = block(0);
    let other_handle = card.clone();
    assert_eq!(
        other_handle.read(&mut b, BlockIdx(7)),
        Err(CardError::PoweredOff)
    );
    assert!(!card.is_powered());
    card.power_on();
    assert_eq!(other_handle.read(&mut b, BlockIdx(7)), Ok(()));
    assert!(b[0].contents[..256].iter().all(|&x| x == 0xBB));
    assert!(b[0].contents[256..].iter().all(|&x| x == 0xAA));
}

#[test]
fn out_of_range_blocks_are_errors() {
    let (card, _) = blank(CardProfile::ideal(2_048_000), 0);
    let last = card.capacity_blocks();
    assert_eq!(
        card.write(&block(0), BlockIdx(last)),
        Err(CardError::OutOfRange { block: last })
    );
    assert!(card.write(&block(0), BlockIdx(last - 1)).is_ok());
}

/// `fsck.fat -n` on the partition and `mdir` on the whole image; returns
/// mdir's listing. A missing tool fails the test: CI installs both packages.
fn check_image(img: &Path) -> String {
    let fsck = tools::fsck(img).unwrap_or_else(|e| panic!("{e}"));
    assert!(fsck.ok, "fsck.fat -n:\n{}", fsck.text);
    let mdir = tools::mdir(img).unwrap_or_else(|e| panic!("{e}"));
    assert!(mdir.ok, "mdir:\n{}", mdir.text);
    mdir.text
}

fn record_and_close(b: &mut SimBoard, frames: u32) {
    let mut fb = vec![0u8; b.sensor().max_frame_len()];
    let mut s = b.open_file("/sdcard/stream.bin", "w").unwrap();
    assert_eq!(b.record(&mut s, frames, &mut fb).written, frames);
    s.close().unwrap();
}

#[test]
fn saved_images_pass_fsck_and_list_with_mdir_from_memory_and_file_cards() {
    let dir = tempfile::tempdir().unwrap();
    for file_backed in [false, true] {
        let mut b = SimBoard::new(BoardConfig {
            card_bytes: 128 << 20,
            card_file: file_backed.then(|| dir.path().join("live.img")),
            ..BoardConfig::default()
        })
        .unwrap();
        record_and_close(&mut b, 15);
        let img = dir.path().join(format!("saved-{file_backed}.img"));
        b.save_image(&img).unwrap();
        let listing = check_image(&img);
        assert!(listing.contains("STREAM   BIN"), "{listing}");
        let len = 16 + 15 * (32 + 153_600u64);
        assert!(listing.contains(&len.to_string()), "{listing}");
        if file_backed {
            // The live file is the card: its blocks are on disk, not in memory.
            assert_eq!(b.card().resident_bytes(), 0);
            let live = std::fs::metadata(dir.path().join("live.img")).unwrap();
            assert_eq!(live.len(), 128 << 20);
        }
    }
}

#[test]
fn a_saved_image_opens_again_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("card.img");
    let mut b = SimBoard::new(BoardConfig {
        card_bytes: 128 << 20,
        ..BoardConfig::default()
    })
    .unwrap();
    record_and_close(&mut b, 5);
    b.save_image(&img).unwrap();
    let card = SimCard::open_image(&img, CardProfile::CLASS10, SimClock::new(), 0).unwrap();
    let store = std::rc::Rc::new(omv_fatstore::FatStore::mount(card).unwrap());
    let f = omv_fatstore::FatFile::open(store, "/sdcard/stream.bin", omv_fatstore::OpenMode::Read)
        .unwrap();
    let mut r: omv_imageio::FileStream<_, _> =
        omv_imageio::FileStream::open_read(f, SimClock::new(), omv_imageio::FileOptions::default())
            .unwrap();
    let mut fb = vec![0u8; 153_600];
    let mut n = 0;
    while r.read(&mut fb, ReadOptions::FAST_ONCE).unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 5);
}

#[test]
fn the_default_card_is_a_sparse_4_gib_fat32_card() {
    let b = SimBoard::new(BoardConfig::default()).unwrap();
    assert_eq!(u64::from(b.card().capacity_blocks()) * 512, 4 << 30);
    // Only the MBR, boot sectors, FATs and root cluster are held.
    assert!(
        b.card().resident_bytes() < 8 << 20,
        "{}",
        b.card().resident_bytes()
    );
    // Formatting happened "at the factory": no time, no statistics.
    assert_eq!(b.card().stats().blocks_written, 0);
}

#[test]
fn after_a_power_cut_the_card_is_as_at_the_last_sync_and_fsck_clean() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SimBoard::new(BoardConfig {
        card: CardProfile::ideal(2_048_000),
        card_bytes: 64 << 20,
        ..BoardConfig::default()
    })
    .unwrap();
    let mut fb = vec![0u8; b.sensor().max_frame_len()];
    let mut s = b.open_file("/sdcard/stream.bin", "w").unwrap();
    b.record(&mut s, 5, &mut fb);
    s.sync().unwrap();
    b.record(&mut s, 2, &mut fb);
    b.card().arm(Faults {
        power_cut_after_writes: Some(10),
        ..Faults::default()
    });
    b.record(&mut s, 1, &mut fb);
    drop(s);
    b.remount().unwrap();
    let img = dir.path().join("cut.img");
    b.save_image(&img).unwrap();
    // mdir lists the length of the last sync: 5 frames.
    let mdir = tools::mdir(&img).unwrap_or_else(|e| panic!("{e}"));
    assert!(mdir.ok, "{}", mdir.text);
    let listing = mdir.text;
    let synced = 16 + 5 * (32 + 153_600u64);
    assert!(listing.contains(&synced.to_string()), "{listing}");
    // The recording writer commits clusters to the FAT only at a sync, so
    // the clusters of frames 6 to 8 are still free: nothing to repair.
    let fsck = tools::fsck(&img).unwrap_or_else(|e| panic!("{e}"));
    assert!(fsck.ok, "{}", fsck.text);
}

#[test]
fn the_power_cut_sweep_recovers_every_synced_frame() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = imageio_sim::sweep::SweepConfig::small(6, 2, 25, dir.path().to_path_buf());
    let rep = imageio_sim::sweep::power_cut_sweep(&cfg).unwrap();
    // A cut at 0, 25, 50, … of the reference run's block writes.
    assert_eq!(rep.cuts.len() as u64, rep.reference_writes.div_ceil(25));
    assert!(rep.cuts.len() > 5, "{}", rep.cuts.len());
    assert_eq!(rep.synced_recovered(), rep.cuts.len(), "{rep:?}");
    // The first cut comes before anything was synced; later ones after.
    assert_eq!(rep.cuts[0].synced, 0);
    assert!(rep.cuts.iter().any(|c| c.synced >= 2));
    assert!(rep.between_syncs() > 0);
    assert!(rep.line().starts_with(&format!(
        "power-cut sweep: {} cuts, synced frames recovered at {}/{}",
        rep.cuts.len(),
        rep.cuts.len(),
        rep.cuts.len()
    )));
}
