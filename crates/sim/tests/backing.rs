//! Where the card's blocks live (issue 9 item 7, issue 10 item 8): a
//! memory card holds only the 1 MiB chunks written, moves to a sparse file
//! past its budget, and either backing keeps what a command wrote when a
//! fault stops it in the middle.
#![allow(clippy::unwrap_used)]

use embedded_sdmmc::{Block, BlockDevice, BlockIdx};
use imageio_sim::card::TORN_BYTES;
use imageio_sim::{BlockFault, CardProfile, Faults, SimCard, SimClock};

const MIB: u64 = 1 << 20;

/// `n` blocks, block `i` filled with `tag + i`.
fn blocks(n: usize, tag: u8) -> Vec<Block> {
    (0..n)
        .map(|i| {
            let mut b = Block::new();
            b.contents.fill(tag.wrapping_add(i as u8));
            b
        })
        .collect()
}

fn read(card: &SimCard, start: u32, n: usize) -> Vec<Block> {
    let mut out = vec![Block::new(); n];
    card.read(&mut out, BlockIdx(start)).unwrap();
    out
}

fn same(a: &[Block], b: &[Block]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.contents == y.contents)
}

fn memory(capacity: u64) -> SimCard {
    SimCard::new_memory(CardProfile::CLASS10, capacity, SimClock::new(), 1).unwrap()
}

#[test]
fn a_4_gib_card_written_at_its_start_and_its_end_holds_two_chunks() {
    let card = memory(4 << 30);
    assert_eq!(card.resident_bytes(), 0);
    let last = card.capacity_blocks() - 8;
    card.write(&blocks(8, 1), BlockIdx(0)).unwrap();
    card.write(&blocks(8, 100), BlockIdx(last)).unwrap();
    assert_eq!(card.resident_bytes(), 2 * MIB);
    assert!(!card.is_file_backed());
    assert!(same(&read(&card, 0, 8), &blocks(8, 1)));
    assert!(same(&read(&card, last, 8), &blocks(8, 100)));
    // The middle of the card was never written: zeros, nothing allocated.
    let mid = read(&card, card.capacity_blocks() / 2, 4);
    assert!(mid.iter().all(|b| b.contents.iter().all(|&x| x == 0)));
    assert_eq!(card.resident_bytes(), 2 * MIB);
}

#[test]
fn a_memory_card_past_its_budget_moves_to_a_file_and_keeps_its_data() {
    let card = memory(64 << 20);
    card.set_memory_budget(2 * MIB).unwrap();
    // A command across the first chunk boundary (2048 blocks per chunk).
    card.write(&blocks(16, 7), BlockIdx(2040)).unwrap();
    assert_eq!(card.resident_bytes(), 2 * MIB);
    assert!(!card.is_file_backed());
    // A third chunk is one too many: everything moves to a file.
    card.write(&blocks(4, 50), BlockIdx(5 * 2048)).unwrap();
    assert!(card.is_file_backed());
    assert_eq!(card.resident_bytes(), 0);
    assert!(same(&read(&card, 2040, 16), &blocks(16, 7)));
    assert!(same(&read(&card, 5 * 2048, 4), &blocks(4, 50)));
    // Later writes land in the file too.
    card.write(&blocks(3, 9), BlockIdx(2041)).unwrap();
    let mut want = blocks(16, 7);
    want[1..4].clone_from_slice(&blocks(3, 9));
    assert!(same(&read(&card, 2040, 16), &want));
    assert_eq!(card.resident_bytes(), 0);
}

#[test]
fn lowering_the_budget_below_what_is_held_moves_the_card_at_once() {
    let card = memory(64 << 20);
    card.write(&blocks(2, 3), BlockIdx(0)).unwrap();
    card.write(&blocks(2, 4), BlockIdx(3 * 2048)).unwrap();
    assert_eq!(card.resident_bytes(), 2 * MIB);
    card.set_memory_budget(MIB).unwrap();
    assert!(card.is_file_backed());
    let img = card.image_bytes().unwrap();
    assert_eq!(img.len(), 64 << 20);
    assert!(img[..512].iter().all(|&x| x == 3));
    assert!(img[3 * 2048 * 512 + 512..][..512].iter().all(|&x| x == 5));
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

#[test]
fn a_write_fault_inside_a_command_keeps_the_blocks_before_it() {
    each_backing(16 << 20, |name, card| {
        card.write(&blocks(8, 200), BlockIdx(100)).unwrap();
        card.arm(Faults {
            write_error: Some(BlockFault {
                block: 103,
                persistent: false,
            }),
            ..Faults::default()
        });
        assert!(card.write(&blocks(8, 1), BlockIdx(100)).is_err(), "{name}");
        let mut want = blocks(8, 200);
        want[..3].clone_from_slice(&blocks(3, 1));
        assert!(same(&read(&card, 100, 8), &want), "{name}");
    });
}

#[test]
fn a_power_cut_inside_a_command_tears_the_block_it_reached() {
    each_backing(16 << 20, |name, card| {
        card.write(&blocks(8, 200), BlockIdx(300)).unwrap();
        card.arm(Faults {
            power_cut_after_writes: Some(5),
            torn_block: true,
            ..Faults::default()
        });
        assert!(card.write(&blocks(8, 1), BlockIdx(300)).is_err(), "{name}");
        card.power_on();
        let got = read(&card, 300, 8);
        let new = blocks(8, 1);
        let old = blocks(8, 200);
        assert!(same(&got[..5], &new[..5]), "{name}");
        assert_eq!(got[5].contents[..TORN_BYTES], new[5].contents[..TORN_BYTES]);
        assert_eq!(got[5].contents[TORN_BYTES..], old[5].contents[TORN_BYTES..]);
        assert!(same(&got[6..], &old[6..]), "{name}");
    });
}

#[test]
fn a_read_fault_inside_a_command_reads_the_blocks_before_it() {
    each_backing(16 << 20, |name, card| {
        card.write(&blocks(8, 40), BlockIdx(500)).unwrap();
        card.arm(Faults {
            read_error: Some(BlockFault {
                block: 504,
                persistent: false,
            }),
            ..Faults::default()
        });
        let mut out = vec![Block::new(); 8];
        let before = card.stats().blocks_read;
        let err = card.read(&mut out, BlockIdx(500)).unwrap_err();
        assert_eq!(
            err,
            imageio_sim::CardError::ReadFault { block: 504 },
            "{name}"
        );
        assert!(same(&out[..4], &blocks(4, 40)), "{name}");
        assert_eq!(card.stats().blocks_read - before, 4, "{name}");
        assert_eq!(card.last_read_block(), Some(503), "{name}");
        // Not persistent: the next read succeeds.
        assert!(same(&read(&card, 500, 8), &blocks(8, 40)), "{name}");
    });
}
