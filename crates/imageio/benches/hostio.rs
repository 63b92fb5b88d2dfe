//! File streams on host files against plain `std::fs` code writing and
//! reading the same bytes with the same buffering, in the same run (issue
//! 13 item 7): throughput ratio (stream / raw; target ≥ 0.95) and the I/O
//! calls per frame, counted on the `File` under any buffer (target: no more
//! than raw).
//!
//! `cargo bench -p omv-imageio --bench hostio`
//!
//! Each figure is the best of `REPS` alternating runs. Timed: opening the
//! file and every frame; not timed: the final flush and `sync_data`, done
//! alike for both. The files go to `$HOSTIO_DIR`, else `/dev/shm` (tmpfs:
//! no disk writeback to disturb the timing), else Cargo's target tmp
//! directory. Reads come from the page cache (the file was just written),
//! the case where the stream's own work weighs most.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a bench: a failure should stop it loudly

#[path = "../tests/hostio/mod.rs"]
mod hostio;

use hostio::{
    raw_read, raw_write, stream_read, stream_write, Calls, Counted, Counter, Kind, Split,
};
use omv_imageio::{StdFile, StdIo};
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Runs of each measurement; the fastest counts (many short runs: on a
/// loaded machine some run undisturbed).
const REPS: usize = 31;
/// About this many payload bytes per file.
const FILE_BYTES: usize = 4 << 20;

/// One measured side: its best time and its calls.
#[derive(Clone, Copy)]
struct Side {
    secs: f64,
    calls: Split,
}

fn best(a: Option<Side>, b: Side) -> Option<Side> {
    match a {
        Some(a) if a.secs <= b.secs => Some(a),
        _ => Some(b),
    }
}

fn stream_write_once(path: &Path, kind: &Kind, frames: u32, data: &[u8], buffered: bool) -> Side {
    let calls = Counter::default();
    let t = Instant::now();
    let file = Counted::new(File::create(path).expect("create"), &calls);
    let (secs, split) = if buffered {
        let (mut s, split) = stream_write(StdIo(BufWriter::new(file)), &calls, kind, frames, data);
        let secs = t.elapsed().as_secs_f64();
        s.close().expect("close");
        (secs, split)
    } else {
        let (mut s, split) = stream_write(StdIo(file), &calls, kind, frames, data);
        let secs = t.elapsed().as_secs_f64();
        s.close().expect("close");
        (secs, split)
    };
    Side { secs, calls: split }
}

fn raw_write_once(path: &Path, kind: &Kind, frames: u32, data: &[u8], buffered: bool) -> Side {
    let calls = Counter::default();
    let t = Instant::now();
    let mut file = Counted::new(File::create(path).expect("create"), &calls);
    let (secs, split) = if buffered {
        let mut w = BufWriter::new(file);
        let split = raw_write(&mut w, &calls, kind, frames, data);
        let secs = t.elapsed().as_secs_f64();
        w.flush().expect("flush");
        w.get_mut().sync_data().expect("sync");
        (secs, split)
    } else {
        let split = raw_write(&mut file, &calls, kind, frames, data);
        let secs = t.elapsed().as_secs_f64();
        file.sync_data().expect("sync");
        (secs, split)
    };
    Side { secs, calls: split }
}

fn stream_read_once(path: &Path, fb: &mut [u8], buffered: bool) -> (u64, Side) {
    let calls = Counter::default();
    let t = Instant::now();
    let file = Counted::new(File::open(path).expect("open"), &calls);
    let (n, split) = if buffered {
        stream_read(StdIo(BufReader::new(file)), &calls, fb)
    } else {
        stream_read(StdIo(file), &calls, fb)
    };
    let secs = t.elapsed().as_secs_f64();
    (n, Side { secs, calls: split })
}

fn raw_read_once(path: &Path, frames: u32, fb: &mut [u8], buffered: bool) -> (u64, Side) {
    let calls = Counter::default();
    let t = Instant::now();
    let mut file = Counted::new(File::open(path).expect("open"), &calls);
    let (n, split) = if buffered {
        raw_read(&mut BufReader::new(file), &calls, frames, fb)
    } else {
        raw_read(&mut file, &calls, frames, fb)
    };
    let secs = t.elapsed().as_secs_f64();
    (n, Side { secs, calls: split })
}

fn per_frame(c: Calls, frames: u32) -> String {
    let f = f64::from(frames);
    format!(
        "{:.2} (read {:.2} write {:.2} seek {:.2})",
        (c.read + c.write + c.seek) as f64 / f,
        c.read as f64 / f,
        c.write as f64 / f,
        c.seek as f64 / f
    )
}

fn fixed(c: Calls) -> String {
    format!("read {} write {} seek {}", c.read, c.write, c.seek)
}

/// Print one row; true if it meets both targets.
fn row(what: &str, bytes: u64, frames: u32, stream: Side, raw: Side) -> bool {
    let ratio = raw.secs / stream.secs;
    let mbs = |s: f64| bytes as f64 / 1e6 / s;
    let (sc, rc) = (stream.calls.frames, raw.calls.frames);
    let calls_ok = sc.read + sc.write + sc.seek <= rc.read + rc.write + rc.seek;
    println!(
        "  {what:<22} ratio {ratio:.3} (stream {:7.0} MB/s, raw {:7.0} MB/s); calls/frame stream {}, raw {}; at open stream {}, raw {}",
        mbs(stream.secs),
        mbs(raw.secs),
        per_frame(sc, frames),
        per_frame(rc, frames),
        fixed(stream.calls.open),
        fixed(raw.calls.open),
    );
    ratio >= 0.95 && calls_ok
}

fn main() {
    let base = std::env::var_os("HOSTIO_DIR")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/dev/shm")).filter(|p| p.is_dir()))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")));
    let dir = base.join(format!("omv-hostio-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench directory");
    let path = dir.join("stream.bin");
    let (mut rows, mut met) = (0, 0);
    println!(
        "FileStream vs plain std::fs, same bytes and buffering (BufWriter/BufReader, 8 KiB); best of {REPS}; {}",
        dir.display()
    );
    for kind in [hostio::VGA_RGB565, hostio::QQVGA_GRAY, hostio::JPEG] {
        let frames = (FILE_BYTES / kind.len).max(8) as u32;
        let data = hostio::payload(&kind);
        let bytes: u64 = (0..frames).map(|i| kind.len_of(i) as u64).sum();
        println!(
            "{} ({} frames, {:.1} MB of payload):",
            kind.name,
            frames,
            bytes as f64 / 1e6
        );
        for buffered in [false, true] {
            let how = if buffered { "buffered" } else { "unbuffered" };
            let (mut s, mut r) = (None, None);
            for _ in 0..REPS {
                r = best(r, raw_write_once(&path, &kind, frames, &data, buffered));
                s = best(s, stream_write_once(&path, &kind, frames, &data, buffered));
            }
            let (s, r) = (s.unwrap(), r.unwrap());
            rows += 1;
            met += u32::from(row(&format!("write, {how}"), bytes, frames, s, r));
            // The file the stream wrote last is read back.
            let mut fb = vec![0u8; kind.max_len()];
            let (mut s, mut r) = (None, None);
            for _ in 0..REPS {
                let (n, side) = raw_read_once(&path, frames, &mut fb, buffered);
                assert_eq!(n, bytes);
                r = best(r, side);
                let (n, side) = stream_read_once(&path, &mut fb, buffered);
                assert_eq!(n, bytes);
                s = best(s, side);
            }
            let (s, r) = (s.unwrap(), r.unwrap());
            rows += 1;
            met += u32::from(row(&format!("read, {how}"), bytes, frames, s, r));
        }
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
    println!("targets (ratio >= 0.95, calls/frame <= raw) met in {met} of {rows} rows");
}
