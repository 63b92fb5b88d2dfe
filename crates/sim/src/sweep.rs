//! The power-cut sweep: record with periodic syncs, cut the power at every
//! `k`-th block write (optionally tearing the block being written), remount,
//! read back and check the card with `fsck.fat -n`.
//!
//! One implementation for the `record` benchmark (a small sweep) and the
//! full sweep test: [`power_cut_sweep`] runs it, [`SweepReport`] counts.
//!
//! Each run is deterministic: the sensor is unpaced (frame `i` is sensor
//! frame `i`), so every cut run writes the same bytes as the reference run
//! up to its cut.

use std::path::PathBuf;

use omv_fatstore::format::FormatOptions;
use omv_imageio::{PixFormat, ReadOptions};

use crate::board::{BoardConfig, SimBoard, SimFileStream};
use crate::card::{CardProfile, Faults};
use crate::error::SimError;
use crate::sensor::SimSensorConfig;
use omv_agent::sensor::SensorConfig;

/// The file every run records.
pub const SWEEP_PATH: &str = "/sdcard/sweep.bin";

/// What to sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepConfig {
    /// Frames recorded (QQVGA grayscale unless `sensor` says otherwise).
    pub frames: u32,
    /// Sync after every frame whose 1-based number is a multiple of this
    /// (0 = never).
    pub sync_every: u32,
    /// Cut at block write 0, k, 2k, … of the reference run (k ≥ 1).
    pub cut_every: u64,
    /// The block being written at the cut is torn (half new, half old).
    pub torn: bool,
    /// The sensor.
    pub sensor: SimSensorConfig,
    /// The card's timing (irrelevant to the outcome, kept for realism).
    pub card: CardProfile,
    /// Card capacity (bytes): small, since every cut saves the image.
    pub card_bytes: u64,
    /// How the card is formatted.
    pub format: FormatOptions,
    /// Where each cut's card image is saved for `fsck.fat`.
    pub scratch: PathBuf,
}

/// The sweep's sensor: QQVGA grayscale (19 200-byte frames), unpaced, so
/// frame `i` of a recording is sensor frame `i` and time moves only on the
/// card.
pub fn unpaced_qqvga_grayscale() -> SimSensorConfig {
    SensorConfig {
        width: 160,
        height: 120,
        pixformat: PixFormat::Grayscale,
        fps: 0,
        ..SensorConfig::default()
    }
    .into()
}

impl SweepConfig {
    /// `frames` QQVGA grayscale frames, a sync every `sync_every`, a cut
    /// every `cut_every` block writes, on a 16 MiB class 10 card.
    pub fn small(frames: u32, sync_every: u32, cut_every: u64, scratch: PathBuf) -> Self {
        SweepConfig {
            frames,
            sync_every,
            cut_every,
            torn: false,
            sensor: unpaced_qqvga_grayscale(),
            card: CardProfile::CLASS10,
            card_bytes: 16 << 20,
            format: FormatOptions::default(),
            scratch,
        }
    }
}

/// What one cut left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CutResult {
    /// The power went off at the block write after this many.
    pub after_writes: u64,
    /// Frames synced before the cut.
    pub synced: u32,
    /// Frames read back, each equal to the frame recorded.
    pub recovered: u32,
    /// A frame read back differed from the one recorded.
    pub corrupt: bool,
    /// The cut fell outside every sync and the close.
    pub between_syncs: bool,
    /// `fsck.fat -n` found nothing to fix.
    pub fsck_clean: bool,
}

impl CutResult {
    /// Every synced frame came back intact.
    pub fn synced_recovered(&self) -> bool {
        !self.corrupt && self.recovered >= self.synced
    }
}

/// Every cut of a sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepReport {
    /// Block writes of the reference run (file open to close).
    pub reference_writes: u64,
    /// One entry per cut.
    pub cuts: Vec<CutResult>,
}

impl SweepReport {
    /// Cuts where every synced frame came back.
    pub fn synced_recovered(&self) -> usize {
        self.cuts.iter().filter(|c| c.synced_recovered()).count()
    }

    /// Cuts that fell between syncs.
    pub fn between_syncs(&self) -> usize {
        self.cuts.iter().filter(|c| c.between_syncs).count()
    }

    /// Cuts between syncs after which `fsck.fat -n` was clean.
    pub fn fsck_clean_between_syncs(&self) -> usize {
        self.cuts
            .iter()
            .filter(|c| c.between_syncs && c.fsck_clean)
            .count()
    }

    /// `power-cut sweep: N cuts, synced frames recovered at A/N, fsck clean
    /// at B/M between syncs` (M = cuts between syncs).
    pub fn line(&self) -> String {
        let n = self.cuts.len();
        format!(
            "power-cut sweep: {n} cuts, synced frames recovered at {}/{n}, fsck clean at {}/{} between syncs",
            self.synced_recovered(),
            self.fsck_clean_between_syncs(),
            self.between_syncs()
        )
    }
}

/// One recording: frames written, frames synced, block-write windows of
/// the syncs and close (counted from the open), the payloads.
struct Run {
    written: u32,
    synced: u32,
    windows: Vec<(u64, u64)>,
    payloads: Vec<Vec<u8>>,
    end_writes: u64,
}

fn board(cfg: &SweepConfig) -> Result<SimBoard, SimError> {
    SimBoard::new(BoardConfig {
        sensor: cfg.sensor.clone(),
        card: cfg.card,
        card_bytes: cfg.card_bytes,
        format: cfg.format,
        ..BoardConfig::default()
    })
}

fn record(b: &mut SimBoard, cfg: &SweepConfig, cut: Option<u64>) -> Result<Run, SimError> {
    let mut s: SimFileStream = b.open_file(SWEEP_PATH, "w")?;
    let base = b.card().stats().blocks_written;
    if let Some(k) = cut {
        b.card().arm(Faults {
            power_cut_after_writes: Some(k),
            torn_block: cfg.torn,
            ..Faults::default()
        });
    }
    let writes = |b: &SimBoard| b.card().stats().blocks_written - base;
    let mut fb = vec![0u8; b.sensor().max_frame_len()];
    let mut run = Run {
        written: 0,
        synced: 0,
        windows: Vec::new(),
        payloads: Vec::new(),
        end_writes: 0,
    };
    let mut ok = true;
    for i in 1..=cfg.frames {
        let rep = b.record(&mut s, 1, &mut fb);
        if rep.written == 0 {
            ok = false;
            break;
        }
        run.written += 1;
        let c = &cfg.sensor.settings;
        let len = omv_pattern::payload_len(c.width, c.height, c.pixformat)?;
        run.payloads.push(fb[..len].to_vec());
        if cfg.sync_every > 0 && i % cfg.sync_every == 0 {
            let w0 = writes(b);
            if s.sync().is_err() {
                ok = false;
                break;
            }
            run.windows.push((w0, writes(b)));
            run.synced = run.written;
        }
    }
    if ok {
        let w0 = writes(b);
        if s.close().is_ok() {
            run.synced = run.written;
        }
        run.windows.push((w0, writes(b)));
    }
    run.end_writes = writes(b);
    drop(s);
    Ok(run)
}

/// Frames of `SWEEP_PATH` read back after a remount that equal the
/// reference payloads; whether one differed.
fn read_back(b: &mut SimBoard, reference: &[Vec<u8>]) -> Result<(u32, bool), SimError> {
    b.remount()?;
    let Ok(mut r) = b.open_file(SWEEP_PATH, "r") else {
        return Ok((0, false));
    };
    let mut fb = vec![0u8; b.sensor().max_frame_len()];
    let mut n = 0u32;
    loop {
        match r.read(&mut fb, ReadOptions::FAST_ONCE) {
            Ok(Some(f)) => {
                let same = reference
                    .get(n as usize)
                    .is_some_and(|p| f.payload_len as usize == p.len() && fb[..p.len()] == p[..]);
                if !same {
                    return Ok((n, true));
                }
                n += 1;
            }
            // The end, or a damaged tail after the last whole frame.
            Ok(None) | Err(_) => return Ok((n, false)),
        }
    }
}

/// Run the sweep: a reference recording, then one fresh card per cut.
/// `fsck.fat` must be installed (dosfstools).
pub fn power_cut_sweep(cfg: &SweepConfig) -> Result<SweepReport, SimError> {
    if cfg.cut_every == 0 {
        return Err(SimError::Config("cut_every must be at least 1".into()));
    }
    std::fs::create_dir_all(&cfg.scratch)?;
    let mut b = board(cfg)?;
    let reference = record(&mut b, cfg, None)?;
    let mut report = SweepReport {
        reference_writes: reference.end_writes,
        cuts: Vec::new(),
    };
    let image = cfg.scratch.join("cut.img");
    let mut k = 0;
    while k < reference.end_writes {
        let mut b = board(cfg)?;
        let run = record(&mut b, cfg, Some(k))?;
        let (recovered, corrupt) = read_back(&mut b, &reference.payloads)?;
        b.save_image(&image)?;
        let fsck = omv_fatstore::tools::fsck(&image)?;
        report.cuts.push(CutResult {
            after_writes: k,
            synced: run.synced,
            recovered,
            corrupt,
            between_syncs: !reference.windows.iter().any(|&(a, e)| (a..e).contains(&k)),
            fsck_clean: fsck.ok,
        });
        k += cfg.cut_every;
    }
    let _ = std::fs::remove_file(&image);
    Ok(report)
}
