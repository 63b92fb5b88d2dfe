//! Each profile's figures against hand arithmetic from its sources.
#![allow(clippy::unwrap_used)]

use omv_sdtiming::{CardModel, CardProfile, Stall, NAMED};

/// The profile with its mean latency (no spread) and without stalls.
fn steady(p: CardProfile) -> CardProfile {
    CardProfile {
        latency_spread_pct: 0,
        au_stall: Stall::NONE,
        gc_stall: Stall::NONE,
        ..p
    }
}

/// µs of one write command, continuing the previous write.
fn next_write_us(m: &mut CardModel, start: u32, blocks: u32) -> u64 {
    m.write(start - 1, 1);
    m.write(start, blocks).ns / 1000
}

#[test]
fn one_block_and_300_blocks_cost_command_latency_and_blocks() {
    // (profile, 1 block: cmd + latency + 1 block, 300 blocks) in µs.
    let table = [
        (CardProfile::CLASS4, 30 + 1000 + 90, 30 + 1000 + 300 * 90),
        (CardProfile::CLASS10, 20 + 600 + 40, 20 + 600 + 300 * 40),
        (CardProfile::UHS1_A1, 20 + 500 + 24, 20 + 500 + 300 * 24),
        (CardProfile::WORN, 20 + 1500 + 60, 20 + 1500 + 300 * 60),
        (
            CardProfile::REAL_CLASS10,
            20 + 800 + 29,
            20 + 800 + 300 * 29,
        ),
        (CardProfile::ideal(2_048_000), 250, 300 * 250),
    ];
    for (p, one, many) in table {
        let mut m = CardModel::new(steady(p), 1);
        assert_eq!(next_write_us(&mut m, 10_001, 1), one, "{}", p.name);
        assert_eq!(p.single_block_write_us(), one, "{}", p.name);
        assert_eq!(next_write_us(&mut m, 20_001, 300), many, "{}", p.name);
        assert!(p.validate().is_ok(), "{}", p.name);
    }
}

#[test]
fn class10_single_block_writes_take_at_least_500_us_with_any_spread() {
    for p in [CardProfile::CLASS10, CardProfile::REAL_CLASS10] {
        let mut m = CardModel::new(p, 5);
        let mut lo = u64::MAX;
        for i in 0..2000 {
            let start = 100_001 + 2 * i;
            lo = lo.min(next_write_us(&mut m, start, 1));
        }
        assert!(lo >= 500, "{}: {lo}", p.name);
    }
    // class10 spread: 600 ± 20 % → 540..=780 µs in all.
    let mut m = CardModel::new(CardProfile::CLASS10, 9);
    for i in 0..500 {
        let us = next_write_us(&mut m, 300_001 + 2 * i, 1);
        assert!((540..=780).contains(&us), "{us}");
    }
}

#[test]
fn real_class10_matches_the_teensy_3_6_sdio_figures() {
    let p = steady(CardProfile::REAL_CLASS10);
    let mut m = CardModel::new(p, 1);
    // Greiman: 512 B writes at 601.82 KB/s, 32 KiB at 12381.25 KB/s.
    let measured_1 = 512.0 / 601.82e3 * 1e6;
    let measured_64 = 32768.0 / 12381.25e3 * 1e6;
    let one = next_write_us(&mut m, 50_001, 1) as f64;
    let many = next_write_us(&mut m, 60_001, 64) as f64;
    assert!(
        (one / measured_1 - 1.0).abs() < 0.02,
        "{one} vs {measured_1}"
    );
    assert!(
        (many / measured_64 - 1.0).abs() < 0.02,
        "{many} vs {measured_64}"
    );
    // Reads: 512 B at 2221.44 KB/s, 32 KiB at 15125.21 KB/s.
    let r1 = m.read(0, 1) as f64 / 1000.0;
    let r64 = m.read(0, 64) as f64 / 1000.0;
    assert!((r1 / (512.0 / 2221.44e3 * 1e6) - 1.0).abs() < 0.02, "{r1}");
    assert!(
        (r64 / (32768.0 / 15125.21e3 * 1e6) - 1.0).abs() < 0.03,
        "{r64}"
    );
}

/// µs to write a whole AU from its first block in commands of `ru_blocks`.
fn au_in_recording_units(p: CardProfile, seed: u64, ru_blocks: u32) -> u64 {
    let au = p.au_kib * 2;
    let mut m = CardModel::new(p, seed);
    let start = au * 3;
    m.write(start - 1, 1);
    let mut ns = 0;
    for i in 0..au / ru_blocks {
        ns += m.write(start + i * ru_blocks, ru_blocks).ns;
    }
    ns / 1000
}

#[test]
fn a_whole_au_at_its_worst_meets_the_speed_class() {
    // Every stall at its longest, every latency at its longest.
    let worst = |p: CardProfile| CardProfile {
        write_latency_us: p.write_latency_us * (100 + u32::from(p.latency_spread_pct)) / 100,
        latency_spread_pct: 0,
        au_stall: Stall {
            pct: 100,
            min_us: p.au_stall.max_us,
            ..p.au_stall
        },
        gc_stall: Stall {
            pct: 100,
            min_us: p.gc_stall.max_us,
            ..p.gc_stall
        },
        ..p
    };
    // class10 by hand: 8 RUs of 512 KiB, each 20 + 720 + 1024 × 40 µs,
    // one AU stall of 40 ms, 4 GC stalls of 10 ms (one per MiB).
    let class10 = au_in_recording_units(worst(CardProfile::CLASS10), 1, 1024);
    assert_eq!(class10, 8 * (20 + 720 + 1024 * 40) + 40_000 + 4 * 10_000);
    // 4 MiB at the class's minimum: class 10 = 10 MB/s, class 4 = 4 MB/s
    // (RU 32 KiB), UHS speed class 1 = 10 MB/s; real_class10 is a class 10.
    let au_us_at = |mb_per_s: u64| 4 * 1024 * 1024 / mb_per_s;
    for (p, ru, class) in [
        (CardProfile::CLASS4, 64, 4),
        (CardProfile::CLASS10, 1024, 10),
        (CardProfile::UHS1_A1, 1024, 10),
        (CardProfile::REAL_CLASS10, 1024, 10),
    ] {
        let us = au_in_recording_units(worst(p), 1, ru);
        assert!(us <= au_us_at(class), "{}: {us} µs", p.name);
    }
    // The worn card no longer meets its class.
    let worn = au_in_recording_units(CardProfile::WORN, 1, 1024);
    assert!(worn > au_us_at(10), "{worn}");
}

#[test]
fn n_mib_sequential_in_one_command_per_mib() {
    // class10, no stalls: 1 MiB = 2048 blocks × 40 µs + 620 µs a command.
    let mut m = CardModel::new(steady(CardProfile::CLASS10), 1);
    let mut us = 0;
    for i in 0..8u32 {
        us += m.write(1 + i * 2048, 2048).ns / 1000;
    }
    assert_eq!(us, 8 * (620 + 2048 * 40));
    assert_eq!(
        CardProfile::CLASS10.sequential_write_bytes_per_s(),
        12_800_000
    );
}

#[test]
fn random_writes_pay_the_fat_area_cost() {
    let mut m = CardModel::new(steady(CardProfile::CLASS10), 1);
    m.write(5_001, 1);
    let c = m.write(9_001, 1);
    assert!(c.random);
    assert_eq!(c.ns / 1000, 660 + 3000);
    // A1: a random 4 KiB write within 2 ms even at the longest latency
    // (500 IOPS), a random 4 KiB read within 1/1500 s.
    let a1 = CardProfile::UHS1_A1;
    let worst = 20 + 500 * 120 / 100 + 1_100 + 8 * 24;
    assert!(worst <= 2_000, "{worst}");
    let mut m = CardModel::new(a1, 3);
    let mut longest = 0;
    for i in 0..200 {
        longest = longest.max(m.write(1 + i * 97, 8).ns / 1000);
    }
    assert!(longest <= 2_000, "{longest}");
    assert!(m.read(77, 8) / 1000 <= 1_000_000 / 1_500);
}

/// Busy ns of one sequential command of `blocks` blocks, stalls aside.
fn busy_ns_without_stalls(p: CardProfile, blocks: u32) -> u64 {
    let mut m = CardModel::new(steady(p), 42);
    let latency = m.begin_write(0).busy_ns;
    latency + u64::from(blocks) * m.write_block(1).busy_ns
}

#[test]
fn stalls_sit_at_au_boundaries_and_do_not_depend_on_command_sizes() {
    let p = CardProfile {
        latency_spread_pct: 0,
        ..CardProfile::CLASS10
    };
    let au = p.au_kib * 2; // blocks
                           // Block by block across two AU boundaries.
    let mut a = CardModel::new(p, 42);
    let mut au_hits = vec![];
    let (mut a_stalls, mut a_stall_us) = (0, 0);
    for idx in au - 10..2 * au + 10 {
        a.begin_write(idx);
        let b = a.write_block(idx);
        a_stalls += b.stalls;
        a_stall_us += b.stall_us;
        if b.stalls > 0 && idx % au == 0 {
            au_hits.push((idx, b.stall_us));
        }
    }
    // Every AU stalls on class10 (100 %), exactly at its first block, by
    // the amount the seed and the AU number give.
    assert_eq!(
        au_hits,
        vec![
            (au, a.au_stall(1).unwrap()),
            (2 * au, a.au_stall(2).unwrap())
        ]
    );
    for k in 1..50 {
        let s = a.au_stall(k).unwrap();
        assert!((10_000..=40_000).contains(&s), "{s}");
    }
    // One big command over the same blocks meets the same stalls (AU and
    // volume), so the same total stall time.
    let mut b = CardModel::new(p, 42);
    let w = b.write(au - 10, au + 20);
    assert_eq!(w.stalls, a_stalls);
    assert_eq!(
        w.busy_ns - busy_ns_without_stalls(p, au + 20),
        a_stall_us * 1000
    );
    // Another seed places other stalls.
    let c = CardModel::new(p, 43);
    assert!((1..20).any(|k| c.au_stall(k) != a.au_stall(k)));
}

#[test]
fn garbage_collection_stalls_follow_the_data_volume() {
    let p = CardProfile {
        latency_spread_pct: 0,
        au_stall: Stall::NONE,
        ..CardProfile::WORN
    };
    let gc = p.gc_every_kib * 2; // 512 blocks
    let run = |cmd: u32| {
        let mut m = CardModel::new(p, 7);
        let mut stalls = vec![];
        let mut at = 1;
        while at < 1 + 8 * gc {
            let n = cmd.min(1 + 8 * gc - at);
            m.begin_write(at);
            for i in 0..n {
                let b = m.write_block(at + i);
                if b.stalls > 0 {
                    stalls.push((m.blocks_written(), b.stall_us));
                }
            }
            at += n;
        }
        stalls
    };
    let single = run(1);
    assert_eq!(single, run(300));
    let expected: Vec<_> = (1..=8u64)
        .filter_map(|n| {
            CardModel::new(p, 7)
                .gc_stall(n)
                .map(|s| (n * u64::from(gc), s))
        })
        .collect();
    assert_eq!(single, expected);
    assert!(!expected.is_empty());
}

#[test]
fn same_seed_same_costs_other_seed_other_costs() {
    let run = |seed| {
        let mut m = CardModel::new(CardProfile::WORN, seed);
        (0..3000u32)
            .map(|i| m.write(i * 7 % 50_000, 1 + i % 5).ns)
            .sum::<u64>()
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}

#[test]
fn profiles_by_name_and_validation() {
    for p in NAMED {
        assert_eq!(CardProfile::by_name(p.name), Some(p));
        assert!(p.validate().is_ok(), "{}", p.name);
    }
    assert!(CardProfile::by_name("real_class10").is_some());
    assert_eq!(
        CardProfile::by_name("ideal:2000000"),
        Some(CardProfile::ideal(2_000_000))
    );
    assert_eq!(CardProfile::by_name("class99"), None);
    assert_eq!(CardProfile::by_name("ideal:0"), None);
    let mut bad = CardProfile::WORN;
    bad.gc_stall.max_us = 300_000;
    assert!(bad.validate().is_err());
    let mut fast = CardProfile::CLASS10;
    fast.write_block_ns = 10_000; // faster than the 25 MB/s bus
    assert!(fast.validate().is_err());
}
