//! Stream throughput against a plain `memcpy` of the same bytes, in the same
//! run, and the peak heap the stream needs beyond its storage.
//!
//! `cargo bench -p omv-imageio --bench throughput`

#![allow(clippy::expect_used)] // a bench: a failure should stop it loudly

use omv_imageio::{
    FileOptions, FileStream, Image, ManualClock, MemoryStream, PixFormat, ReadOptions, StdIo,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Counts live and peak heap bytes.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY-free wrapper would be nicer, but a global allocator must be unsafe.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static A: Counting = Counting;

const W: u32 = 320;
const H: u32 = 240;
const FRAMES: usize = 600;

fn main() {
    let frame = vec![0x5Au8; (W * H * 2) as usize];
    let total = frame.len() * FRAMES;

    // Baseline: copying the payloads into a preallocated Vec.
    let mut sink = Vec::with_capacity(total + FRAMES * 64 + 16);
    let t = Instant::now();
    for _ in 0..FRAMES {
        sink.extend_from_slice(black_box(&frame));
    }
    let base = t.elapsed().as_secs_f64();
    // Baseline for reads: copying each payload out of memory already touched.
    let mut out = vec![0u8; frame.len()];
    let t = Instant::now();
    for i in 0..FRAMES {
        let at = i * frame.len();
        out.copy_from_slice(black_box(&sink[at..at + frame.len()]));
    }
    let base_read = t.elapsed().as_secs_f64();
    black_box(&out);
    drop(sink);

    // File stream writes into a preallocated in-memory file.
    let file = StdIo(Cursor::new(Vec::with_capacity(total + FRAMES * 64 + 16)));
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let t = Instant::now();
    let mut s: FileStream<_, _> =
        FileStream::create(file, ManualClock::new(0), FileOptions::default()).expect("create");
    for _ in 0..FRAMES {
        s.time_mut().advance_ms(33);
        s.write(&Image::new(W, H, PixFormat::Rgb565, &frame))
            .expect("write");
    }
    let write = t.elapsed().as_secs_f64();
    let extra_heap = PEAK.load(Ordering::Relaxed) - before;

    // Read it all back (unpaced).
    let bytes = s.into_inner().0.into_inner();
    let mut r: FileStream<_, _> = FileStream::open_read(
        StdIo(Cursor::new(bytes)),
        ManualClock::new(0),
        FileOptions::default(),
    )
    .expect("open");
    let mut fb = vec![0u8; frame.len()];
    let t = Instant::now();
    let mut n = 0;
    while r
        .read(&mut fb, ReadOptions::FAST_ONCE)
        .expect("read")
        .is_some()
    {
        n += 1;
    }
    let read = t.elapsed().as_secs_f64();
    assert_eq!(n, FRAMES);

    // Memory stream: write then read views.
    let layout = omv_imageio::memory_stream_bytes(W, H, PixFormat::Rgb565, 30).expect("size");
    let mut buf = vec![0u8; layout];
    let t = Instant::now();
    for _ in 0..FRAMES / 30 {
        let mut m = MemoryStream::new(
            &mut buf,
            W,
            H,
            PixFormat::Rgb565,
            30,
            ManualClock::new(0),
            1,
        )
        .expect("memory");
        for _ in 0..30 {
            m.write(&Image::new(W, H, PixFormat::Rgb565, &frame))
                .expect("write");
        }
        m.seek(0).expect("seek");
        for _ in 0..30 {
            black_box(
                m.read_view(ReadOptions::FAST_ONCE)
                    .expect("read")
                    .data
                    .len(),
            );
        }
    }
    let mem = t.elapsed().as_secs_f64();

    let mb = total as f64 / 1e6;
    println!("{FRAMES} frames of QVGA RGB565 ({mb:.1} MB):");
    let row = |name: &str, secs: f64, baseline: f64| {
        println!(
            "  {name:<20} {:8.2} ms {:8.0} MB/s  {:.2}x the baseline's time",
            secs * 1e3,
            mb / secs,
            secs / baseline
        );
    };
    row("baseline: append", base, base);
    row("baseline: copy out", base_read, base_read);
    row("file write", write, base);
    row("file read", read, base_read);
    row("memory write+view", mem, base_read * 2.0);
    println!("  heap allocated by the file stream while writing: {extra_heap} bytes");
}
