//! The recording writer (files opened with `"w"`): what it sends to the
//! card, counted by a device that records every command, and what the
//! card holds afterwards (read back, `fsck.fat -n`).
#![cfg(feature = "std")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use embedded_io::{Read, Seek, SeekFrom, Write};
use embedded_sdmmc::{Block, BlockCount, BlockDevice, BlockIdx};
use omv_fatstore::format::{format_card_with, FatKind, FormatOptions, MemCard, OutOfRange};
use omv_fatstore::tools;
use omv_fatstore::{FatFile, FatStore, OpenMode};
use omv_imageio::{FileOptions, FileStream, Image, ManualClock, PixFormat, ReadOptions};

/// Every command a [`Counted`] card saw.
#[derive(Debug, Default)]
struct Log {
    /// (first block, blocks) per write command.
    writes: Vec<(u32, usize)>,
    /// (first block, blocks) per read command.
    reads: Vec<(u32, usize)>,
}

impl Log {
    /// Write commands that do not start where the previous one ended.
    fn random_writes(&self) -> usize {
        self.writes
            .windows(2)
            .filter(|w| w[0].0 + w[0].1 as u32 != w[1].0)
            .count()
    }

    fn blocks_written(&self) -> usize {
        self.writes.iter().map(|w| w.1).sum()
    }

    /// How often each block was written.
    fn per_block(&self) -> HashMap<u32, usize> {
        let mut m = HashMap::new();
        for &(start, n) in &self.writes {
            for b in start..start + n as u32 {
                *m.entry(b).or_insert(0) += 1;
            }
        }
        m
    }
}

/// A memory card that logs its commands.
struct Counted {
    card: MemCard,
    log: Rc<RefCell<Log>>,
}

impl BlockDevice for Counted {
    type Error = OutOfRange;
    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), OutOfRange> {
        self.log.borrow_mut().reads.push((start.0, blocks.len()));
        self.card.read(blocks, start)
    }
    fn write(&self, blocks: &[Block], start: BlockIdx) -> Result<(), OutOfRange> {
        self.log.borrow_mut().writes.push((start.0, blocks.len()));
        self.card.write(blocks, start)
    }
    fn num_blocks(&self) -> Result<BlockCount, OutOfRange> {
        self.card.num_blocks()
    }
}

fn counted(kind: FatKind, cluster: u32, mib: u64) -> (Counted, Rc<RefCell<Log>>) {
    let opts = FormatOptions {
        kind,
        bytes_per_cluster: Some(cluster),
        ..FormatOptions::default()
    };
    let log = Rc::new(RefCell::new(Log::default()));
    let card = MemCard::new(format_card_with(mib << 20, &opts).unwrap());
    (
        Counted {
            card,
            log: log.clone(),
        },
        log,
    )
}

fn fsck_clean(image: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("card.img");
    std::fs::write(&img, image).unwrap();
    let fsck = tools::fsck(&img).unwrap_or_else(|e| panic!("{e}"));
    assert!(fsck.ok, "fsck.fat -n:\n{}", fsck.text);
}

const QVGA: usize = 320 * 240 * 2;

fn frame(i: u32) -> Vec<u8> {
    (0..QVGA).map(|j| (j as u32 * 7 + i) as u8).collect()
}

/// 30 QVGA RGB565 frames, synced every `sync_every` (0: only at close).
fn record_qvga(kind: FatKind, cluster: u32, sync_every: u32) -> (Vec<u8>, Log, u64) {
    let (dev, log) = counted(kind, cluster, 300);
    let store = FatStore::mount(dev).unwrap();
    let file = store.open("/sdcard/stream.bin", OpenMode::Write).unwrap();
    assert!(file.is_recording());
    let mut s: FileStream<_, _> =
        FileStream::create(file, ManualClock::new(0), FileOptions::default()).unwrap();
    *log.borrow_mut() = Log::default();
    for i in 0..30 {
        s.time_mut().advance_ms(33);
        s.write(&Image::new(320, 240, PixFormat::Rgb565, &frame(i)))
            .unwrap();
        if sync_every > 0 && (i + 1) % sync_every == 0 {
            s.sync().unwrap();
        }
    }
    let len = s.size().unwrap();
    s.close().unwrap();
    drop(s);
    let log = std::mem::take(&mut *log.borrow_mut());
    let image = store.unmount().unwrap().card.into_inner();
    (image, log, len)
}

#[test]
fn a_qvga_frame_costs_two_sequential_write_commands() {
    // 32 KiB clusters (as cards are formatted); FAT16 because FAT32 with
    // 32 KiB clusters needs a 2 GiB image.
    let (image, log, len) = record_qvga(FatKind::Fat16, 32 * 1024, 0);
    let frames = 30;
    // Per frame: the staged block the header started, then the payload's
    // whole blocks in one command; at close the staged tail, FAT1 and FAT2
    // (141 clusters: one block each) and the directory entry.
    assert!(
        log.writes.len() <= 2 * frames + 8,
        "{} write commands for {frames} frames: {:?}",
        log.writes.len(),
        &log.writes[..8]
    );
    let mib = len as f64 / f64::from(1 << 20);
    assert!(log.writes.len() as f64 / mib <= 64.0);
    // Data goes out in sequence; only the close's metadata jumps.
    assert!(log.random_writes() <= 6, "{}", log.random_writes());
    // No block written twice.
    let twice: Vec<_> = log
        .per_block()
        .into_iter()
        .filter(|&(_, n)| n > 1)
        .collect();
    assert!(twice.is_empty(), "blocks written more than once: {twice:?}");
    assert!(log.blocks_written() as u64 <= len.div_ceil(512) + 6);
    fsck_clean(&image);
    // Read back through omv-imageio: every frame, byte for byte.
    let store = FatStore::mount(MemCard::new(image)).unwrap();
    let f = store.open("/sdcard/stream.bin", OpenMode::Read).unwrap();
    assert!(f.is_recording(), "a contiguous file is read through a slot");
    let mut s: FileStream<_, _> =
        FileStream::open(f, "r", ManualClock::new(0), FileOptions::default()).unwrap();
    let mut fb = vec![0u8; QVGA];
    for i in 0..30 {
        let info = s.read(&mut fb, ReadOptions::FAST_ONCE).unwrap().unwrap();
        assert_eq!(info.payload_len as usize, QVGA);
        assert!(fb == frame(i), "frame {i} differs");
    }
    assert!(s.read(&mut fb, ReadOptions::FAST_ONCE).unwrap().is_none());
}

#[test]
fn a_sync_writes_the_tail_then_fat1_fat2_and_the_entry() {
    // FAT32, 4 KiB clusters: 1 125 clusters, a sync touches 2 FAT blocks.
    let (image, log, _) = record_qvga(FatKind::Fat32, 4096, 5);
    // Six syncs (the last is the close): each adds at most the tail block
    // and three metadata writes, so at most one random write per frame.
    assert!(log.random_writes() <= 30, "{}", log.random_writes());
    // Blocks written twice are the tail blocks a sync wrote part of.
    let twice = log.per_block().values().filter(|&&n| n > 1).count();
    assert!(twice <= 6 + 3 * 6, "{twice}");
    fsck_clean(&image);
}

#[test]
fn a_recording_file_reads_back_while_open_with_multi_block_reads() {
    let (dev, log) = counted(FatKind::Fat16, 4096, 64);
    let store = FatStore::mount(dev).unwrap();
    let mut f = store.open("/sdcard/a.bin", OpenMode::Write).unwrap();
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    f.write_all(&data[..10]).unwrap();
    f.write_all(&data[10..]).unwrap();
    f.seek(SeekFrom::Start(3)).unwrap();
    let mut back = vec![0u8; 99_990];
    log.borrow_mut().reads.clear();
    f.read_exact(&mut back).unwrap();
    assert!(back[..] == data[3..99_993]);
    // Partial head, one multi-block read, the staged tail from memory.
    assert!(log.borrow().reads.len() <= 3, "{:?}", log.borrow().reads);
    // Overwrite in the middle, cut there, close: the file is the prefix.
    f.seek(SeekFrom::Start(5000)).unwrap();
    f.write_all(&[0xEE; 700]).unwrap();
    omv_imageio::Truncate::truncate(&mut f).unwrap();
    f.close().unwrap();
    assert_eq!(store.file_len("/sdcard/a.bin").unwrap(), 5700);
    let mut got = vec![0u8; 5700];
    assert_eq!(
        store.read_range("/sdcard/a.bin", 0, &mut got).unwrap(),
        5700
    );
    assert!(got[..5000] == data[..5000] && got[5000..].iter().all(|&b| b == 0xEE));
    drop(f);
    fsck_clean(&store.unmount().unwrap().card.into_inner());
}

#[test]
fn rewriting_an_existing_file_and_reading_another_stay_fsck_clean() {
    for (kind, cluster) in [(FatKind::Fat16, 2048), (FatKind::Fat32, 512)] {
        let (dev, _) = counted(kind, cluster, 40);
        let store = Rc::new(FatStore::mount(dev).unwrap());
        for (name, fill, n) in [
            ("/sdcard/a.bin", 1u8, 70_000),
            ("/sdcard/b.bin", 2, 120_000),
        ] {
            let mut f = FatFile::open(store.clone(), name, OpenMode::Write).unwrap();
            f.write_all(&vec![fill; n]).unwrap();
            f.close().unwrap();
        }
        // "w" over a.bin again (embedded-sdmmc's truncate keeps one
        // cluster) while b.bin is read.
        let mut a = FatFile::open(store.clone(), "/sdcard/a.bin", OpenMode::Write).unwrap();
        let mut b = FatFile::open(store.clone(), "/sdcard/b.bin", OpenMode::Read).unwrap();
        assert!(FatFile::open(store.clone(), "/sdcard/c.bin", OpenMode::Write).is_err());
        assert!(FatFile::open(store.clone(), "/sdcard/c.bin", OpenMode::Append).is_err());
        let mut seen = [0u8; 3000];
        for i in 0..40u8 {
            a.write_all(&[i; 1000]).unwrap();
            b.read_exact(&mut seen).unwrap();
            assert!(seen.iter().all(|&x| x == 2));
            if i % 10 == 9 {
                a.flush().unwrap();
            }
        }
        a.close().unwrap();
        b.close().unwrap();
        let mut got = vec![0u8; 120_000];
        assert_eq!(
            store.read_range("/sdcard/a.bin", 0, &mut got).unwrap(),
            40_000
        );
        assert!((0..40).all(|i| got[i * 1000..(i + 1) * 1000].iter().all(|&x| x == i as u8)));
        assert_eq!(
            store.read_range("/sdcard/b.bin", 0, &mut got).unwrap(),
            120_000
        );
        drop((a, b));
        let store = Rc::into_inner(store).unwrap();
        fsck_clean(&store.unmount().unwrap().card.into_inner());
    }
}
