//! The FAT glue end to end: images that Linux tools accept, streams written
//! and read through `omv-imageio`, truncation, several files open at once.
#![cfg(feature = "std")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::rc::Rc;

use embedded_io::{Read, Seek, SeekFrom, Write};
use omv_fatstore::format::{format_card_with, FatKind, FormatOptions, MemCard};
use omv_fatstore::tools;
use omv_fatstore::{FatFile, FatStore, OpenMode, StoreError};
use omv_imageio::{FileOptions, FileStream, Image, ManualClock, PixFormat, ReadOptions};

const MIB: u64 = 1024 * 1024;

fn card(kind: FatKind, cluster: Option<u32>) -> MemCard {
    let opts = FormatOptions {
        kind,
        bytes_per_cluster: cluster,
        ..FormatOptions::default()
    };
    MemCard::new(format_card_with(64 * MIB, &opts).unwrap())
}

/// Run `fsck.fat -n` on the partition and `mdir` on the whole image;
/// returns mdir's listing. Fails (never skips) if the tools are missing:
/// CI installs dosfstools and mtools.
fn check_with_linux_tools(image: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("card.img");
    std::fs::write(&img, image).unwrap();
    let fsck = tools::fsck(&img).unwrap_or_else(|e| panic!("{e}"));
    assert!(fsck.ok, "fsck.fat -n reported problems:\n{}", fsck.text);
    let mdir = tools::mdir(&img).unwrap_or_else(|e| panic!("{e}"));
    assert!(mdir.ok, "mdir failed:\n{}", mdir.text);
    mdir.text
}

fn write_stream<F: omv_imageio::Storage>(file: F, frames: u32) -> F {
    let mut s: FileStream<F, ManualClock> =
        FileStream::create(file, ManualClock::new(0), FileOptions::default()).unwrap();
    for i in 0..frames {
        s.time_mut().advance_ms(33);
        let data = vec![i as u8; 64 * 48];
        s.write(&Image::new(64, 48, PixFormat::Grayscale, &data))
            .unwrap();
    }
    s.into_inner()
}

/// Length of a V2.0 stream of 64x48 GRAYSCALE frames: the 16-byte file
/// header, then per frame a 32-byte chunk header and 3072 payload bytes
/// (already a multiple of 16: no padding).
fn stream_len(frames: u64) -> u64 {
    16 + frames * (32 + 64 * 48)
}

#[test]
fn fresh_images_pass_fsck_and_mdir() {
    for (kind, cluster) in [
        (FatKind::Auto, None),
        (FatKind::Fat16, Some(4096)),
        (FatKind::Fat32, Some(512)),
    ] {
        let c = card(kind, cluster);
        let listing = check_with_linux_tools(&c.into_inner());
        assert!(listing.contains("OPENMV"), "{kind:?}: {listing}");
    }
}

#[test]
fn a_stream_written_through_fat_reads_back_and_the_image_is_clean() {
    for (kind, cluster) in [(FatKind::Fat16, Some(4096)), (FatKind::Fat32, Some(512))] {
        let store = FatStore::mount(card(kind, cluster)).unwrap();
        let f = store.open("/sdcard/stream.bin", OpenMode::Write).unwrap();
        drop(write_stream(f, 20));
        assert_eq!(
            u64::from(store.file_len("/sdcard/stream.bin").unwrap()),
            stream_len(20)
        );
        assert_eq!(
            u64::from(store.file_len("STREAM.BIN").unwrap()),
            stream_len(20),
            "lower case is mapped to the 8.3 upper-case name"
        );

        let f = store.open("/sdcard/stream.bin", OpenMode::Read).unwrap();
        let mut r: FileStream<_, ManualClock> =
            FileStream::open_read(f, ManualClock::new(0), FileOptions::default()).unwrap();
        let mut fb = vec![0u8; 64 * 48];
        for i in 0..20u32 {
            let info = r.read(&mut fb, ReadOptions::FAST_ONCE).unwrap().unwrap();
            assert_eq!(info.index, i);
            assert!(fb.iter().all(|&b| b == i as u8));
        }
        assert!(r.read(&mut fb, ReadOptions::FAST_ONCE).unwrap().is_none());
        drop(r);

        let image = store.unmount().unwrap().into_inner();
        let listing = check_with_linux_tools(&image);
        assert!(listing.contains("STREAM"), "{listing}");
        assert!(listing.contains(&stream_len(20).to_string()), "{listing}");
    }
}

#[test]
fn writing_mid_stream_truncates_on_disk() {
    let store = FatStore::mount(card(FatKind::Fat16, Some(2048))).unwrap();
    let f = store.open("/sdcard/rec/cut.bin", OpenMode::Write).unwrap();
    let f = write_stream(f, 10);
    // Re-open for writing over the old stream: the stream crate writes the
    // header and truncates at 16 bytes (a mid-file truncation).
    let mut w: FileStream<_, ManualClock> =
        FileStream::open(f, "w", ManualClock::new(0), FileOptions::default()).unwrap();
    for i in 0..6u8 {
        w.write(&Image::new(64, 48, PixFormat::Grayscale, &vec![i; 64 * 48]))
            .unwrap();
    }
    w.seek(2).unwrap();
    w.write(&Image::new(64, 48, PixFormat::Grayscale, &[0xEE; 64 * 48]))
        .unwrap();
    assert_eq!(w.count().unwrap(), 3);
    w.close().unwrap();
    drop(w);
    assert_eq!(
        u64::from(store.file_len("/rec/cut.bin").unwrap()),
        stream_len(3)
    );

    let mut buf = vec![0u8; 64 * 48];
    let at = (stream_len(2) + 32) as u32;
    assert_eq!(
        store.read_range("/rec/cut.bin", at, &mut buf).unwrap(),
        64 * 48
    );
    assert!(buf.iter().all(|&b| b == 0xEE));
    assert_eq!(
        store
            .read_range("/rec/cut.bin", stream_len(3) as u32, &mut buf)
            .unwrap(),
        0
    );

    let image = store.unmount().unwrap().into_inner();
    check_with_linux_tools(&image);
}

#[test]
fn truncate_to_zero_and_at_the_end() {
    use omv_imageio::Truncate;
    let store = FatStore::mount(card(FatKind::Fat16, Some(2048))).unwrap();
    let mut f = store.open("a.bin", OpenMode::Write).unwrap();
    f.write_all(&[1u8; 5000]).unwrap();
    f.truncate().unwrap(); // at the end: nothing happens
    assert_eq!(f.len().unwrap(), 5000);
    f.seek(SeekFrom::Start(0)).unwrap();
    f.truncate().unwrap();
    assert_eq!(f.len().unwrap(), 0);
    f.write_all(b"abc").unwrap();
    f.close().unwrap();
    drop(f);
    assert_eq!(store.file_len("a.bin").unwrap(), 3);
    assert!(
        !store.exists("OMVTRUNC.TMP").unwrap(),
        "no scratch file for these cases"
    );
    let image = store.unmount().unwrap().into_inner();
    check_with_linux_tools(&image);
}

#[test]
fn files_stay_open_across_steps_through_rc() {
    // An executor-like owner: the store in an Rc, streams holding files.
    struct Owner {
        store: Rc<FatStore<MemCard>>,
        a: Option<FatFile<Rc<FatStore<MemCard>>>>,
        b: Option<FatFile<Rc<FatStore<MemCard>>>>,
    }
    let store = Rc::new(FatStore::mount(card(FatKind::Fat16, Some(4096))).unwrap());
    let mut b = FatFile::open(store.clone(), "b.bin", OpenMode::Write).unwrap();
    for step in 0..50u8 {
        b.write_all(&[255 - step; 300]).unwrap();
    }
    b.close().unwrap();
    drop(b);
    let mut o = Owner {
        a: Some(FatFile::open(store.clone(), "a.bin", OpenMode::Write).unwrap()),
        // Read while a.bin records (the writer holds the one writer slot,
        // so b.bin is read through embedded-sdmmc).
        b: Some(FatFile::open(store.clone(), "b.bin", OpenMode::Read).unwrap()),
        store,
    };
    // One file open for writing at a time.
    assert!(matches!(
        FatFile::open(o.store.clone(), "c.bin", OpenMode::Write),
        Err(StoreError::Fs(
            omv_fatstore::embedded_sdmmc::Error::TooManyOpenFiles
        ))
    ));
    let mut seen = [0u8; 300];
    for step in 0..50u8 {
        o.a.as_mut().unwrap().write_all(&[step; 700]).unwrap();
        o.b.as_mut().unwrap().read_exact(&mut seen).unwrap();
        assert!(seen.iter().all(|&x| x == 255 - step));
    }
    // a not flushed yet: its entry still says 0.
    assert_eq!(o.store.file_len("a.bin").unwrap(), 0);
    o.a.as_mut().unwrap().flush().unwrap();
    assert_eq!(o.store.file_len("a.bin").unwrap(), 35_000);
    o.b = None;
    let mut a = o.a.take().unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(a.read_at(700 * 49 - 2, &mut buf).unwrap(), 4);
    assert_eq!(buf, [48, 48, 49, 49]);
    a.seek(SeekFrom::Start(0)).unwrap();
    let mut first = [0u8; 700];
    a.read_exact(&mut first).unwrap();
    assert!(first.iter().all(|&x| x == 0));
    a.close().unwrap();
    a.close().unwrap();
    assert!(a.write(&[1]).is_err(), "closed files refuse I/O");
    let mut names = Vec::new();
    o.store
        .list_root(|n, s| names.push((n.to_string(), s)))
        .unwrap();
    assert_eq!(
        names,
        [("B.BIN".to_string(), 15_000), ("A.BIN".to_string(), 35_000)]
    );
}

#[test]
fn errors_are_typed() {
    let store = FatStore::mount(card(FatKind::Fat16, Some(4096))).unwrap();
    assert!(matches!(
        store.open("/sdcard/missing.bin", OpenMode::Read),
        Err(StoreError::Fs(
            omv_fatstore::embedded_sdmmc::Error::NotFound
        ))
    ));
    assert!(matches!(
        store.open("/sdcard/", OpenMode::Write),
        Err(StoreError::BadPath { .. })
    ));
    assert!(matches!(
        store.open("/sdcard/much_too_long_name.bin", OpenMode::Write),
        Err(StoreError::Fs(
            omv_fatstore::embedded_sdmmc::Error::FilenameError(_)
        ))
    ));
    let _open = store.open("x.bin", OpenMode::Write).unwrap();
    assert!(matches!(
        store.open("x.bin", OpenMode::Read),
        Err(StoreError::Fs(
            omv_fatstore::embedded_sdmmc::Error::FileAlreadyOpen
        ))
    ));
    let err = store.open("nope.bin", OpenMode::Read).unwrap_err();
    assert_eq!(err.kind(), embedded_io::ErrorKind::NotFound);
}

#[test]
fn too_few_clusters_for_the_fat_type_is_refused() {
    let opts = FormatOptions::fat16(2048);
    let err = format_card_with(8 * MIB, &opts).unwrap_err();
    assert!(err.to_string().contains("Fat12"), "{err}");
    assert!(format_card_with(MIB, &FormatOptions::default()).is_err());
}

#[test]
fn a_full_card_is_out_of_memory() {
    // 8 MiB card, FAT16 with 1 KiB clusters; write until it is full.
    let opts = FormatOptions::fat16(1024);
    let store = FatStore::mount(MemCard::new(format_card_with(8 * MIB, &opts).unwrap())).unwrap();
    let mut f = store.open("big.bin", OpenMode::Write).unwrap();
    let chunk = [0x5Au8; 4096];
    let err = loop {
        if let Err(e) = f.write_all(&chunk) {
            break e;
        }
    };
    assert_eq!(
        embedded_io::Error::kind(&err),
        embedded_io::ErrorKind::OutOfMemory,
        "{err:?}"
    );
    f.close().unwrap();
    drop(f);
    let len = store.file_len("big.bin").unwrap();
    assert!(len > 6 * 1024 * 1024, "{len}");
    let image = store.unmount().unwrap().into_inner();
    check_with_linux_tools(&image);
}
