//! Where the card's blocks live (issue 9 item 7, issue 10 item 8): a
//! memory card holds only the blocks written, each content once, moves to
//! a sparse file past its budget, and every backing keeps what a command
//! wrote when a fault stops it in the middle.
#![allow(clippy::unwrap_used)]

mod common;

use embedded_sdmmc::{Block, BlockDevice, BlockIdx};
use imageio_sim::card::TORN_BYTES;
use imageio_sim::{BlockFault, CardProfile, Content, Faults, SensorConfig, SimCard, SimClock};
use omv_fatstore::format::FormatOptions;
use omv_imageio::{PixFormat, ReadOptions};

/// `n` distinct blocks: block `i` filled with `tag + i`, its first four
/// bytes `tag << 16 | i`.
fn blocks(n: usize, tag: u8) -> Vec<Block> {
    (0..n)
        .map(|i| {
            let mut b = Block::new();
            b.contents.fill(tag.wrapping_add(i as u8));
            let id = (u32::from(tag) << 16) | i as u32;
            b.contents[..4].copy_from_slice(&id.to_le_bytes());
            b
        })
        .collect()
}

fn read(card: &SimCard, start: u32, n: usize) -> Vec<Block> {
    let mut out = vec![Block::new(); n];
    card.read(&mut out, BlockIdx(start)).unwrap();
    out
}

fn same_blocks(a: &[Block], b: &[Block]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.contents == y.contents)
}

fn memory(capacity: u64) -> SimCard {
    SimCard::new_memory(CardProfile::CLASS10, capacity, SimClock::new(), 1).unwrap()
}

#[test]
fn a_4_gib_card_written_at_its_start_and_its_end_holds_a_few_kib() {
    let card = memory(4 << 30);
    assert_eq!(card.resident_bytes(), 0);
    let last = card.capacity_blocks() - 8;
    card.write(&blocks(8, 1), BlockIdx(0)).unwrap();
    card.write(&blocks(8, 100), BlockIdx(last)).unwrap();
    // Two block tables (8 KiB each) and the 16 blocks.
    let held = card.resident_bytes();
    assert_eq!(held, 2 * 8192 + 16 * 512);
    assert!(!card.is_file_backed());
    assert!(same_blocks(&read(&card, 0, 8), &blocks(8, 1)));
    assert!(same_blocks(&read(&card, last, 8), &blocks(8, 100)));
    // The middle of the card was never written: zeros, nothing allocated.
    let mid = read(&card, card.capacity_blocks() / 2, 4);
    assert!(mid.iter().all(|b| b.contents.iter().all(|&x| x == 0)));
    assert_eq!(card.resident_bytes(), held);
}

#[test]
fn equal_blocks_are_held_once_and_an_overwrite_frees_the_old_content() {
    let card = memory(64 << 20);
    let same = vec![blocks(1, 9)[0].clone(); 64];
    card.write(&same, BlockIdx(0)).unwrap();
    card.write(&same, BlockIdx(4096)).unwrap();
    // 128 blocks of one content: two tables and one block.
    assert_eq!(card.resident_bytes(), 2 * 8192 + 512);
    // Overwriting all of them with another content reuses its slot.
    let other = vec![blocks(1, 10)[0].clone(); 64];
    card.write(&other, BlockIdx(0)).unwrap();
    card.write(&other, BlockIdx(4096)).unwrap();
    assert_eq!(card.resident_bytes(), 2 * 8192 + 2 * 512);
    card.write(&same, BlockIdx(0)).unwrap();
    card.write(&same, BlockIdx(4096)).unwrap();
    assert_eq!(card.resident_bytes(), 2 * 8192 + 2 * 512);
    assert!(same_blocks(&read(&card, 4096, 64), &same));
}

#[test]
fn a_memory_card_past_its_budget_moves_to_a_file_and_keeps_its_data() {
    let card = memory(64 << 20);
    card.set_memory_budget(64 << 10).unwrap();
    // A command across the first MiB boundary (2048 blocks per table).
    card.write(&blocks(16, 7), BlockIdx(2040)).unwrap();
    assert_eq!(card.resident_bytes(), 2 * 8192 + 16 * 512);
    assert!(!card.is_file_backed());
    // 100 more distinct blocks are too many: everything moves to a file.
    card.write(&blocks(100, 50), BlockIdx(5 * 2048)).unwrap();
    assert!(card.is_file_backed());
    assert_eq!(card.resident_bytes(), 0);
    assert!(same_blocks(&read(&card, 2040, 16), &blocks(16, 7)));
    assert!(same_blocks(&read(&card, 5 * 2048, 100), &blocks(100, 50)));
    // Later writes land in the file too.
    card.write(&blocks(3, 9), BlockIdx(2041)).unwrap();
    let mut want = blocks(16, 7);
    want[1..4].clone_from_slice(&blocks(3, 9));
    assert!(same_blocks(&read(&card, 2040, 16), &want));
    assert_eq!(card.resident_bytes(), 0);
}

#[test]
fn lowering_the_budget_below_what_is_held_moves_the_card_at_once() {
    let card = memory(64 << 20);
    card.write(&blocks(2, 3), BlockIdx(0)).unwrap();
    card.write(&blocks(2, 4), BlockIdx(3 * 2048)).unwrap();
    assert_eq!(card.resident_bytes(), 2 * 8192 + 4 * 512);
    card.set_memory_budget(8192).unwrap();
    assert!(card.is_file_backed());
    let img = card.image_bytes().unwrap();
    assert_eq!(img.len(), 64 << 20);
    assert_eq!(&img[..512], &blocks(2, 3)[0].contents[..]);
    assert_eq!(
        &img[3 * 2048 * 512 + 512..][..512],
        &blocks(2, 4)[1].contents[..]
    );
    assert!(img[1024..3 * 2048 * 512].iter().all(|&x| x == 0));
}

/// Each backing: memory, memory moved to a file, a named sparse file.
fn each_backing(capacity: u64, check: impl Fn(&str, SimCard)) {
    check("memory", memory(capacity));
    let spilled = memory(capacity);
    spilled.set_memory_budget(0).unwrap();
    check("spilled", spilled);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.img");
    let file = SimCard::new_file(&path, CardProfile::CLASS10, capacity, SimClock::new(), 1);
    check("file", file.unwrap());
}

/// Write `blocks(8, tag)` at `start`, then arm the faults `set` sets.
fn eight_blocks_then_arm(card: &SimCard, start: u32, tag: u8, set: impl Fn(&mut Faults)) {
    card.write(&blocks(8, tag), BlockIdx(start)).unwrap();
    let mut faults = Faults::default();
    set(&mut faults);
    card.arm(faults);
}

#[test]
fn a_write_fault_inside_a_command_keeps_the_blocks_before_it() {
    each_backing(16 << 20, |name, card| {
        eight_blocks_then_arm(&card, 100, 200, |f| {
            f.write_error = Some(BlockFault::once(103))
        });
        assert!(card.write(&blocks(8, 1), BlockIdx(100)).is_err(), "{name}");
        let mut want = blocks(8, 200);
        want[..3].clone_from_slice(&blocks(3, 1));
        assert!(same_blocks(&read(&card, 100, 8), &want), "{name}");
    });
}

#[test]
fn a_power_cut_inside_a_command_tears_the_block_it_reached() {
    each_backing(16 << 20, |name, card| {
        eight_blocks_then_arm(&card, 300, 200, |f| {
            f.power_cut_after_writes = Some(5);
            f.torn_block = true;
        });
        assert!(card.write(&blocks(8, 1), BlockIdx(300)).is_err(), "{name}");
        card.power_on();
        let got = read(&card, 300, 8);
        let new = blocks(8, 1);
        let old = blocks(8, 200);
        assert!(same_blocks(&got[..5], &new[..5]), "{name}");
        assert_eq!(got[5].contents[..TORN_BYTES], new[5].contents[..TORN_BYTES]);
        assert_eq!(got[5].contents[TORN_BYTES..], old[5].contents[TORN_BYTES..]);
        assert!(same_blocks(&got[6..], &old[6..]), "{name}");
    });
}

#[test]
fn a_read_fault_inside_a_command_reads_the_blocks_before_it() {
    each_backing(16 << 20, |name, card| {
        eight_blocks_then_arm(&card, 500, 40, |f| {
            f.read_error = Some(BlockFault::once(504))
        });
        let mut out = vec![Block::new(); 8];
        let before = card.stats().blocks_read;
        let err = card.read(&mut out, BlockIdx(500)).unwrap_err();
        assert_eq!(
            err,
            imageio_sim::CardError::ReadFault { block: 504 },
            "{name}"
        );
        assert!(same_blocks(&out[..4], &blocks(4, 40)), "{name}");
        assert_eq!(card.stats().blocks_read - before, 4, "{name}");
        assert_eq!(card.last_read_block(), Some(503), "{name}");
        // Not persistent: the next read succeeds.
        assert!(same_blocks(&read(&card, 500, 8), &blocks(8, 40)), "{name}");
    });
}

/// Record `frames` QVGA moving-box frames, check the card held what
/// `held` says, then read each back and compare it with the pattern.
fn record_and_read_back(frames: u32, budget: Option<u64>, held: impl Fn(&SimCard, u64)) {
    let sensor = SensorConfig {
        content: Content::MovingBox,
        seed: 5,
        ..SensorConfig::default()
    };
    let mut b = common::ideal_board(sensor, 40_000_000, 256 << 20, FormatOptions::default());
    if let Some(bytes) = budget {
        b.card().set_memory_budget(bytes).unwrap();
    }
    let mut fb = vec![0u8; b.sensor().max_frame_len()];
    let mut s = b.open_file("/sdcard/stream.bin", "w").unwrap();
    let rep = b.record(&mut s, frames, &mut fb);
    assert_eq!((rep.written, rep.dropped), (frames, 0), "{rep:?}");
    s.close().unwrap();
    drop(s);
    held(b.card(), u64::from(frames) * 153_600);
    let first = rep.seqs.unwrap().0;
    let mut r = b.open_file("/sdcard/stream.bin", "r").unwrap();
    let mut want = vec![0u8; 153_600];
    for i in 0..frames {
        let f = r.read(&mut fb, ReadOptions::FAST_ONCE).unwrap().unwrap();
        let n = omv_pattern::render(
            Content::MovingBox,
            5,
            first + i,
            320,
            240,
            PixFormat::Rgb565,
            &mut want,
        )
        .unwrap();
        assert_eq!(f.payload_len as usize, n);
        assert!(fb[..n] == want[..], "frame {i} differs");
    }
    assert!(r.read(&mut fb, ReadOptions::FAST_ONCE).unwrap().is_none());
}

#[test]
fn a_pattern_recording_is_held_in_a_fraction_of_its_bytes_and_reads_back() {
    record_and_read_back(120, None, |card, bytes| {
        assert!(!card.is_file_backed());
        let held = card.resident_bytes();
        assert!(held > 0 && held < bytes / 4, "{held} of {bytes}");
    });
}

#[test]
fn a_recording_that_moves_to_a_file_midway_reads_back() {
    record_and_read_back(60, Some(256 << 10), |card, _| {
        assert!(card.is_file_backed());
        assert_eq!(card.resident_bytes(), 0);
    });
}
