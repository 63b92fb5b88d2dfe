//! Issue 3 item 8: 60 s of 30 fps QVGA RGB565 recording through FAT to the
//! simulated card, timed on the wall clock. Prints the ratio of wall time
//! to virtual time and the process's peak memory.
//!
//! Run: `cargo bench -p imageio-sim --bench record`.

use std::time::Instant;

use imageio_sim::{BoardConfig, CardProfile, SimBoard};

const VIRTUAL_US: u64 = 60_000_000;

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn run(profile: CardProfile) -> Result<(), Box<dyn std::error::Error>> {
    let wall = Instant::now();
    let mut board = SimBoard::new(BoardConfig {
        card: profile,
        ..BoardConfig::default()
    })?;
    let mut fb = vec![0u8; board.sensor().max_frame_len()];
    let mut s = board.open_file("/sdcard/stream.bin", "w")?;
    let rep = board.record_for(&mut s, VIRTUAL_US, &mut fb);
    s.close()?;
    drop(s);
    let secs = wall.elapsed().as_secs_f64();
    let virt = (rep.end_us - rep.start_us) as f64 / 1e6;
    let st = board.card().stats();
    println!(
        "{:>8}: {virt:.2} s virtual in {secs:.3} s wall: ratio {:.4} ({:.0}x real time); \
         {} frames kept ({:.1}/s), {} dropped; {} blocks written, {} read, longest stall {} us; \
         card data in memory {} KiB",
        profile.name,
        secs / virt,
        virt / secs,
        rep.written,
        f64::from(rep.written) / virt,
        rep.dropped,
        st.blocks_written,
        st.blocks_read,
        st.longest_stall_us,
        board.card().resident_bytes() / 1024,
    );
    if let Some(k) = peak_rss_kib() {
        println!(
            "          peak memory of the process so far (VmHWM): {:.1} MiB",
            k as f64 / 1024.0
        );
    }
    if let Some(e) = rep.error {
        return Err(format!("recording failed: {e}").into());
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("60 s of 30 fps QVGA RGB565 through FAT32 (4 GiB card, 32 KiB clusters):");
    for p in [
        CardProfile::CLASS10,
        CardProfile::CLASS4,
        CardProfile::UHS1_A1,
        CardProfile::WORN,
    ] {
        run(p)?;
    }
    Ok(())
}
