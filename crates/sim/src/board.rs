//! [`SimBoard`]: sensor + card + clock + streams behind one small API.

use std::path::{Path, PathBuf};
use std::rc::{Rc, Weak};

use omv_fatstore::format::FormatOptions;
use omv_fatstore::{FatFile, FatStore, OpenMode};
use omv_imageio::{
    Error as IoError, ErrorKind, FileOptions, FileStream, Image, ImageIo, MemoryStream, Storage,
    Wait,
};

use crate::card::{CardProfile, SimCard};
use crate::clock::SimClock;
use crate::error::SimError;
use crate::sensor::{SimSensor, SimSensorConfig};

/// The FAT store on the simulated card.
pub type SimStore = FatStore<SimCard>;
/// A file on the simulated card, holding the store by `Rc`.
pub type SimFile = FatFile<Rc<SimStore>>;
/// A file stream on the simulated card, on the simulator's clock.
pub type SimFileStream = FileStream<SimFile, SimClock>;

/// How to build a [`SimBoard`].
#[derive(Debug, Clone, PartialEq)]
pub struct BoardConfig {
    /// The sensor.
    pub sensor: SimSensorConfig,
    /// The card's timing.
    pub card: CardProfile,
    /// Card capacity in bytes (default 4 GiB: FAT32, 32 KiB clusters).
    pub card_bytes: u64,
    /// Keep the card in this sparse file instead of memory.
    pub card_file: Option<PathBuf>,
    /// How the card is formatted.
    pub format: FormatOptions,
    /// Seed of the card's timing (busy times, stalls).
    pub card_seed: u64,
}

impl Default for BoardConfig {
    /// The default sensor, a Class 10 card of 4 GiB in memory.
    fn default() -> Self {
        BoardConfig {
            sensor: SimSensorConfig::default(),
            card: CardProfile::CLASS10,
            card_bytes: 4 << 30,
            card_file: None,
            format: FormatOptions::default(),
            card_seed: 0,
        }
    }
}

/// Something frames can be written to: file and memory streams.
pub trait FrameSink {
    /// `stream.write(image)`.
    fn write_frame(&mut self, img: &Image<'_>) -> Result<(), IoError>;
}

impl<F: Storage, T: Wait, const N: usize> FrameSink for FileStream<F, T, N> {
    fn write_frame(&mut self, img: &Image<'_>) -> Result<(), IoError> {
        self.write(img)
    }
}

impl<T: Wait> FrameSink for MemoryStream<'_, T> {
    fn write_frame(&mut self, img: &Image<'_>) -> Result<(), IoError> {
        self.write(img)
    }
}

impl<F: Storage, T: Wait, const N: usize> FrameSink for ImageIo<'_, F, T, N> {
    fn write_frame(&mut self, img: &Image<'_>) -> Result<(), IoError> {
        self.write(img)
    }
}

/// What a recording did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordReport {
    /// Frames written.
    pub written: u32,
    /// Sensor frame number of the first and last frame written.
    pub seqs: Option<(u32, u32)>,
    /// Sensor frames dropped while recording (never written).
    pub dropped: u64,
    /// Clock when recording started and ended (µs).
    pub start_us: u64,
    /// Clock when recording ended (µs).
    pub end_us: u64,
    /// The write that stopped the recording, if one failed.
    pub error: Option<IoError>,
}

/// A simulated OpenMV board: one clock shared by a [`SimSensor`] and a
/// [`SimCard`] with a FAT file system, and streams on both.
///
/// ```
/// use imageio_sim::{BoardConfig, SimBoard};
/// use omv_imageio::ReadOptions;
///
/// let mut board = SimBoard::new(BoardConfig::default()).unwrap();
/// let mut fb = vec![0u8; board.sensor().max_frame_len()];
/// let mut s = board.open_file("/sdcard/stream.bin", "w").unwrap();
/// let rep = board.record(&mut s, 30, &mut fb);
/// assert_eq!(rep.written, 30);
/// s.close().unwrap();
/// drop(s);
///
/// let mut r = board.open_file("/sdcard/stream.bin", "r").unwrap();
/// let t0 = board.clock().now();
/// let mut n = 0;
/// while let Some(_f) = r.read(&mut fb, ReadOptions::PACED_ONCE).unwrap() { n += 1; }
/// assert_eq!(n, 30);
/// assert!(board.clock().now() > t0);
/// ```
#[derive(Debug)]
pub struct SimBoard {
    clock: SimClock,
    sensor: SimSensor,
    card: SimCard,
    store: Option<Rc<SimStore>>,
    /// The store of the mount before a power cut, to refuse a remount
    /// while its files are still open.
    old_store: Weak<SimStore>,
}

impl SimBoard {
    /// Build the board: the card is formatted and mounted.
    pub fn new(cfg: BoardConfig) -> Result<Self, SimError> {
        let mut board = SimBoard::unmounted(cfg)?;
        board.mount()?;
        Ok(board)
    }

    /// Build the board with its card formatted but not mounted, for a
    /// program that mounts the card itself (the harness's `sim` board:
    /// the agent mounts it behind its own fault layer) and so must not
    /// use [`store`](Self::store) or the streams here, which would mount
    /// it a second time. Mounting takes card time: a board built so starts
    /// its clock at 0 when the program begins.
    pub fn unmounted(cfg: BoardConfig) -> Result<Self, SimError> {
        let clock = SimClock::new();
        let sensor = SimSensor::new(clock.clone(), cfg.sensor)?;
        let card = match &cfg.card_file {
            Some(p) => {
                SimCard::new_file(p, cfg.card, cfg.card_bytes, clock.clone(), cfg.card_seed)?
            }
            None => SimCard::new_memory(cfg.card, cfg.card_bytes, clock.clone(), cfg.card_seed)?,
        };
        card.format(&cfg.format)?;
        Ok(SimBoard {
            clock,
            sensor,
            card,
            store: None,
            old_store: Weak::new(),
        })
    }

    /// The clock.
    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    /// The sensor.
    pub fn sensor(&self) -> &SimSensor {
        &self.sensor
    }

    /// The sensor, to configure or snapshot.
    pub fn sensor_mut(&mut self) -> &mut SimSensor {
        &mut self.sensor
    }

    /// The card (statistics, faults, images).
    pub fn card(&self) -> &SimCard {
        &self.card
    }

    /// The mounted store, mounting it if needed (after a power cut,
    /// [`remount`](Self::remount) first).
    pub fn store(&mut self) -> Result<Rc<SimStore>, SimError> {
        match &self.store {
            Some(s) => Ok(s.clone()),
            None => self.mount(),
        }
    }

    fn mount(&mut self) -> Result<Rc<SimStore>, SimError> {
        let store =
            Rc::new(FatStore::mount(self.card.clone()).map_err(|e| SimError::Card(e.to_string()))?);
        self.store = Some(store.clone());
        Ok(store)
    }

    /// `ImageIO(path, mode)` on the card with the default options (V2.0).
    pub fn open_file(&mut self, path: &str, mode: &str) -> Result<SimFileStream, SimError> {
        self.open_file_with(path, mode, FileOptions::default())
    }

    /// `ImageIO(path, mode)` with options (e.g. V2.1). `mode` must be
    /// exactly `"r"` or `"w"` (otherwise `InvalidMode`, as the stream crate).
    pub fn open_file_with(
        &mut self,
        path: &str,
        mode: &str,
        opts: FileOptions,
    ) -> Result<SimFileStream, SimError> {
        let open_mode = match mode {
            "r" => OpenMode::Read,
            "w" => OpenMode::Write,
            _ => return Err(IoError::new(ErrorKind::InvalidMode).into()),
        };
        let store = self.store()?;
        let op = match open_mode {
            OpenMode::Read => omv_imageio::IoOp::Read,
            _ => omv_imageio::IoOp::Write,
        };
        let file = FatFile::open(store, path, open_mode)
            .map_err(|e| SimError::Stream(IoError::new(ErrorKind::Io(op, e.kind()))))?;
        Ok(FileStream::open(file, mode, self.clock.clone(), opts)?)
    }

    /// `ImageIO((w, h, pixformat), count)` over `buf`.
    pub fn open_memory<'m>(
        &self,
        buf: &'m mut [u8],
        width: u32,
        height: u32,
        pixformat: omv_imageio::PixFormat,
        count: u32,
    ) -> Result<MemoryStream<'m, SimClock>, SimError> {
        let max_wait = FileOptions::default().max_wait_us;
        Ok(MemoryStream::new(
            buf,
            width,
            height,
            pixformat,
            count,
            self.clock.clone(),
            max_wait,
        )?)
    }

    /// `count` times: snapshot, then write the frame to `sink`. Stops at
    /// the first failed write (reported in the result); a failed snapshot
    /// (buffer too small) also stops it.
    pub fn record<S: FrameSink + ?Sized>(
        &mut self,
        sink: &mut S,
        count: u32,
        fb: &mut [u8],
    ) -> RecordReport {
        self.record_until(sink, |n, _| n >= count, fb)
    }

    /// Record while the clock is before `start + duration_us`.
    pub fn record_for<S: FrameSink + ?Sized>(
        &mut self,
        sink: &mut S,
        duration_us: u64,
        fb: &mut [u8],
    ) -> RecordReport {
        let end = self.clock.now().saturating_add(duration_us);
        self.record_until(sink, |_, now| now >= end, fb)
    }

    fn record_until<S: FrameSink + ?Sized>(
        &mut self,
        sink: &mut S,
        mut done: impl FnMut(u32, u64) -> bool,
        fb: &mut [u8],
    ) -> RecordReport {
        let dropped0 = self.sensor.stats().dropped;
        let mut rep = RecordReport {
            written: 0,
            seqs: None,
            dropped: 0,
            start_us: self.clock.now(),
            end_us: 0,
            error: None,
        };
        while !done(rep.written, self.clock.now()) {
            let snap = match self.sensor.snapshot(fb) {
                Ok(s) => s,
                Err(_) => {
                    rep.error = Some(IoError::new(ErrorKind::BufferTooSmall {
                        needed: self.sensor.max_frame_len() as u64,
                        available: fb.len() as u64,
                    }));
                    break;
                }
            };
            let c = self.sensor.settings();
            let img = Image::new(
                u32::from(c.width),
                u32::from(c.height),
                c.pixformat,
                &fb[..snap.len],
            );
            if let Err(e) = sink.write_frame(&img) {
                rep.error = Some(e);
                break;
            }
            rep.written += 1;
            rep.seqs = Some(match rep.seqs {
                None => (snap.seq, snap.seq),
                Some((a, _)) => (a, snap.seq),
            });
        }
        rep.dropped = self.sensor.stats().dropped - dropped0;
        rep.end_us = self.clock.now();
        rep
    }

    /// Cut the power now: the store is dropped without flushing, and
    /// streams still holding files on it fail from now on. Call
    /// [`remount`](Self::remount) to power up and mount again.
    pub fn power_cut(&mut self) {
        self.card.power_cut();
        if let Some(s) = self.store.take() {
            self.old_store = Rc::downgrade(&s);
        }
    }

    /// Power the card up (if it was cut, by [`power_cut`](Self::power_cut)
    /// or an armed fault) and mount it again: what survives is what
    /// reached the card. Streams opened before must be dropped first
    /// (otherwise a `Card` error): closing them later would write stale
    /// file-system data to the powered card.
    pub fn remount(&mut self) -> Result<Rc<SimStore>, SimError> {
        if let Some(s) = self.store.take() {
            self.old_store = Rc::downgrade(&s);
        }
        if self.old_store.strong_count() > 0 {
            return Err(SimError::Card(
                "files of the mount before the power cut are still open: drop their streams first"
                    .into(),
            ));
        }
        self.card.power_on();
        self.mount()
    }

    /// Save the card image (a sparse file).
    pub fn save_image(&self, path: &Path) -> Result<(), SimError> {
        self.card.save_image(path)
    }
}
