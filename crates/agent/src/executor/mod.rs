//! [`Executor`]: runs scenario steps ([`Op`]) with omv-imageio. The one
//! place where the meaning of every step lives; the `sim` board calls it
//! in-process, the firmware through [`serve`](crate::serve()).

use embedded_sdmmc::BlockDevice;
use omv_fatstore::OpenMode;
use omv_imageio::{
    memory_stream_bytes, Error as IoError, ErrorKind, FileOptions, FileStream, Image, ImageIo,
    Mode, ReadOptions, Version, Wait,
};
use omv_proto::{
    crc32, format_bounded, Capabilities, DiffSummary, ErrorName, Event, EventKind, Fault,
    FrameSummary, Op, OpError, Outcome, Query, ReadArgs, RecordSummary, ReplaySummary,
    SensorSettings, Value,
};

use crate::card::{CardFile, FatCard};
use crate::events::EventLog;
use crate::sensor::{check_config, Sensor, SensorConfig};

mod frames;
mod open;

/// The stream type the executor holds: a file stream on the card or a
/// memory stream in the platform's memory region.
pub type Stream<'a, D, C> = ImageIo<'a, CardFile<'a, D>, C>;

/// The longest `Sleep` step (10 minutes): every wait on the board is bounded.
pub const MAX_SLEEP_US: u64 = 600_000_000;

/// Default number of trace events kept.
pub const DEFAULT_EVENTS: usize = 2048;

/// The memory the platform gives the executor.
#[derive(Debug)]
pub struct Buffers<'a> {
    /// The frame buffer: snapshots and `copy_to_fb` reads land here. Must
    /// hold the largest frame (QVGA RGB565: 153 600 bytes).
    pub frame: &'a mut [u8],
    /// A second frame buffer for frame differencing (the snapshot goes
    /// here while the stream's frame is read into `frame`). May be empty if
    /// `Diff` is not needed.
    pub aux: &'a mut [u8],
    /// The region memory streams are created in (OpenMV allocates them in
    /// RAM or PSRAM). May be empty if memory streams are not needed.
    pub memory: &'a mut [u8],
}

/// Runs [`Op`]s: at most one stream open at a time, a sensor, an optional
/// FAT card, and a bounded trace of `E` events.
///
/// * `D`: the card's block device (any `embedded_sdmmc::BlockDevice`; use
///   [`NoCard`](crate::NoCard) with `card = None` for memory streams only).
/// * `C`: the board's clock. **Clones must share one time** (a ZST over a
///   hardware timer, or a handle to a shared simulated clock): the executor
///   gives a clone to each stream and to the sensor's waits.
/// * `S`: the sensor, e.g. [`PatternSensor`](crate::PatternSensor).
///
/// # Aborting a long step
///
/// Every wait of a step (paced snapshots in `Record`, `pause` in reads and
/// `Replay`, `Sleep`) goes through `C::wait_until`. A board whose clock
/// returns `Err(Cancelled)` from `wait_until` while host bytes are waiting
/// on the serial line lets the host abort a runaway step by sending its
/// next request (a `Reset` after a timeout): the step ends with a
/// `Cancelled` error and `serve` then handles the request.
pub struct Executor<'a, D, C, S, const E: usize = DEFAULT_EVENTS>
where
    D: BlockDevice,
    C: Wait + Clone,
    S: Sensor<C>,
{
    clock: C,
    sensor: S,
    cfg: SensorConfig,
    card: Option<&'a FatCard<D>>,
    frame: &'a mut [u8],
    aux: &'a mut [u8],
    memory: Option<&'a mut [u8]>,
    memory_len: usize,
    stream: Option<Stream<'a, D, C>>,
    /// Scheduled release time of the previous frame read (see `EventKind::FrameReleased`).
    sched: Option<u64>,
    events: EventLog<'a, E>,
    step: u32,
    /// Sets the card's timing profile and seed (`RequestBody::CardTiming`);
    /// `None` for a real card.
    card_timing: Option<CardTimingFn>,
}

/// A board's hook that times its card by a named `omv-sdtiming` profile
/// and a seed; `false` if the profile is unknown.
pub type CardTimingFn = fn(profile: &str, seed: u64) -> bool;

impl<D, C, S, const E: usize> core::fmt::Debug for Executor<'_, D, C, S, E>
where
    D: BlockDevice,
    C: Wait + Clone,
    S: Sensor<C>,
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Executor")
            .field("cfg", &self.cfg)
            .field("card", &self.card.is_some())
            .field("frame", &self.frame.len())
            .field("memory", &self.memory_len)
            .field("stream_open", &self.stream.is_some())
            .field("events", &self.events.total())
            .finish_non_exhaustive()
    }
}

fn err(name: ErrorName, args: core::fmt::Arguments<'_>) -> OpError {
    OpError {
        name,
        offset: None,
        message: format_bounded(args),
    }
}

fn io(e: IoError) -> OpError {
    OpError::from(e)
}

/// Give a stream's resources back: a memory stream's region to `memory`,
/// a file stream's file to the card (dropping it closes it).
fn release<'a, D: BlockDevice, C: Wait>(
    stream: &mut Option<Stream<'a, D, C>>,
    memory: &mut Option<&'a mut [u8]>,
) {
    match stream.take() {
        Some(ImageIo::Memory(m)) => *memory = Some(m.into_buffer()),
        Some(ImageIo::File(f)) => drop(f),
        None => {}
    }
}

fn current<'s, 'a, D: BlockDevice, C: Wait>(
    stream: &'s mut Option<Stream<'a, D, C>>,
) -> Result<&'s mut Stream<'a, D, C>, OpError> {
    stream
        .as_mut()
        .ok_or_else(|| OpError::new(ErrorName::NoStream, "no stream is open"))
}

impl<'a, D, C, S, const E: usize> Executor<'a, D, C, S, E>
where
    D: BlockDevice,
    C: Wait + Clone,
    S: Sensor<C>,
{
    /// An executor over the platform's clock, sensor, optional card and
    /// buffers. The sensor is configured with [`SensorConfig::default`].
    ///
    /// The trace is kept inline (`E` events inside the executor: mind the
    /// stack, 48 bytes per event); [`with_trace`](Self::with_trace) keeps it
    /// in a slice the platform lends instead.
    pub fn new(clock: C, sensor: S, card: Option<&'a FatCard<D>>, buffers: Buffers<'a>) -> Self {
        Self::build(clock, sensor, card, buffers, EventLog::new())
    }

    /// Like [`new`](Self::new), keeping the trace in `trace` (its length is
    /// the capacity): for large traces, lend a `static` or a `Vec` and set
    /// `E = 0` so the executor itself stays small.
    pub fn with_trace(
        clock: C,
        sensor: S,
        card: Option<&'a FatCard<D>>,
        buffers: Buffers<'a>,
        trace: &'a mut [Event],
    ) -> Self {
        Self::build(clock, sensor, card, buffers, EventLog::borrowed(trace))
    }

    fn build(
        clock: C,
        sensor: S,
        card: Option<&'a FatCard<D>>,
        buffers: Buffers<'a>,
        events: EventLog<'a, E>,
    ) -> Self {
        let memory_len = buffers.memory.len();
        let mut ex = Executor {
            clock,
            sensor,
            cfg: SensorConfig::default(),
            card,
            frame: buffers.frame,
            aux: buffers.aux,
            memory: Some(buffers.memory),
            memory_len,
            stream: None,
            sched: None,
            events,
            step: 0,
            card_timing: None,
        };
        let cfg = ex.cfg;
        let _ = ex.sensor.configure(&cfg, &mut ex.clock);
        ex
    }

    /// Run one step. `step` is the step's index in the scenario, recorded
    /// in the trace events it causes.
    pub fn run(&mut self, step: u32, op: &Op) -> Outcome {
        self.step = step;
        match self.exec(op) {
            Ok(v) => Outcome::Ok(v),
            Err(e) => Outcome::Err(e),
        }
    }

    /// The trace.
    pub fn events(&self) -> &EventLog<'a, E> {
        &self.events
    }

    /// Forget the trace.
    pub fn clear_events(&mut self) {
        self.events.clear();
    }

    /// Back to the start of a scenario: drop any stream (closing a file
    /// stream's file), forget the trace, default sensor settings, no card
    /// write limit. Files on the card stay.
    pub fn reset(&mut self) {
        release(&mut self.stream, &mut self.memory);
        self.events.clear();
        self.sched = None;
        self.cfg = SensorConfig::default();
        let cfg = self.cfg;
        let _ = self.sensor.configure(&cfg, &mut self.clock);
        if let Some(card) = self.card {
            let _ = card.with_faults(|d| {
                d.set_write_limit(None);
                d.set_powered(true);
            });
        }
    }

    /// The board's clock.
    pub fn clock(&mut self) -> &mut C {
        &mut self.clock
    }

    /// The sensor (e.g. to set a [`SensorModel`](crate::SensorModel) on a
    /// [`SoftSensor`](crate::SoftSensor) before the next configuration).
    pub fn sensor_mut(&mut self) -> &mut S {
        &mut self.sensor
    }

    /// The sensor's current settings.
    pub fn sensor_config(&self) -> SensorConfig {
        self.cfg
    }

    /// The card, if the board has one.
    pub fn card(&self) -> Option<&'a FatCard<D>> {
        self.card
    }

    /// The open (or closed but not yet released) stream.
    pub fn stream(&self) -> Option<&Stream<'a, D, C>> {
        self.stream.as_ref()
    }

    /// Let the host time the card by a profile: `set` applies a named
    /// `omv-sdtiming` profile and seed to the board's card (a stand-in such
    /// as qemu's RAM disk); the handshake then says `CARD_PROFILE`.
    pub fn enable_card_timing(&mut self, set: CardTimingFn) {
        self.card_timing = Some(set);
    }

    /// Apply a card timing profile through the board's hook; `false` if
    /// the board has none or does not know the profile.
    pub fn set_card_timing(&mut self, profile: &str, seed: u64) -> bool {
        self.card.is_some() && self.card_timing.is_some_and(|set| set(profile, seed))
    }

    /// What this executor can do (for the handshake).
    pub fn capabilities(&self) -> Capabilities {
        let mut c = 0;
        if self.card.is_some() {
            c |= Capabilities::FILES
                | Capabilities::POWER_CUT
                | Capabilities::WRITE_LIMIT
                | Capabilities::UPLOAD;
        }
        if self.memory_len > 0 {
            c |= Capabilities::MEMORY;
        }
        if self.card.is_some() && self.card_timing.is_some() {
            c |= Capabilities::CARD_PROFILE;
        }
        Capabilities(c)
    }

    /// Bytes of the frame buffer.
    pub fn frame_buffer_len(&self) -> usize {
        self.frame.len()
    }

    /// Bytes of the memory-stream region.
    pub fn memory_len(&self) -> usize {
        self.memory_len
    }

    fn card_ref(&self) -> Result<&'a FatCard<D>, OpError> {
        self.card
            .ok_or_else(|| OpError::new(ErrorName::NotSupported, "this board has no card"))
    }

    fn exec(&mut self, op: &Op) -> Result<Value, OpError> {
        match op {
            Op::Sensor(s) => self.configure(s).map(|()| Value::Unit),
            Op::OpenFile {
                path,
                mode,
                write_version,
            } => self
                .open_file_stream(path, mode, *write_version)
                .map(|()| Value::Unit),
            Op::OpenMemory {
                width,
                height,
                pixformat,
                count,
            } => self
                .open_memory(*width, *height, *pixformat, *count)
                .map(|()| Value::Unit),
            Op::Write => self.write_one().map(Value::Frame),
            Op::Record { frames } => self.record(*frames).map(Value::Record),
            Op::Read(args) => Ok(match self.read_one(args, None)? {
                Some(r) => Value::Frame(r.summary),
                None => Value::None,
            }),
            Op::Replay { frames, args } => self.replay(*frames, args).map(Value::Replay),
            Op::Seek { offset } => {
                current(&mut self.stream)?.seek(*offset).map_err(io)?;
                self.sched = None;
                Ok(Value::Unit)
            }
            Op::Sync => current(&mut self.stream)?
                .sync()
                .map(|()| Value::Unit)
                .map_err(io),
            Op::Close => {
                let r = current(&mut self.stream)?.close().map_err(io);
                self.sched = None;
                r.map(|()| Value::Unit)
            }
            Op::Query(q) => self.query(*q),
            Op::Snapshot => {
                let snap = self.snapshot(false)?;
                let data = self.frame.get(..snap.len).unwrap_or_default();
                Ok(Value::Frame(self.snap_summary(&snap, data)))
            }
            Op::Diff { args, threshold } => self.diff(args, *threshold),
            Op::Sleep { us } => {
                if *us > MAX_SLEEP_US {
                    return Err(err(
                        ErrorName::BadStep,
                        format_args!("sleep of {us} µs exceeds the {MAX_SLEEP_US} µs limit"),
                    ));
                }
                let now = self.clock.now_us();
                self.clock
                    .wait_until(now.saturating_add(*us))
                    .map_err(|_| OpError::new(ErrorName::Cancelled, "sleep cancelled"))?;
                Ok(Value::Unit)
            }
            Op::Fault(f) => self.fault(*f).map(|()| Value::Unit),
        }
    }

    fn configure(&mut self, s: &SensorSettings) -> Result<(), OpError> {
        // Each setting given replaces the current one.
        let mut cfg = self.cfg;
        cfg.width = s.width.unwrap_or(cfg.width);
        cfg.height = s.height.unwrap_or(cfg.height);
        cfg.pixformat = s.pixformat.unwrap_or(cfg.pixformat);
        cfg.fps = s.fps.unwrap_or(cfg.fps);
        cfg.content = s.content.unwrap_or(cfg.content);
        cfg.seed = s.seed.unwrap_or(cfg.seed);
        check_config(&cfg, self.frame.len())?;
        self.sensor.configure(&cfg, &mut self.clock)?;
        self.cfg = cfg;
        Ok(())
    }

    fn query(&mut self, q: Query) -> Result<Value, OpError> {
        if q == Query::IsClosed {
            return Ok(Value::Bool(
                self.stream.as_ref().is_none_or(|s| s.is_closed()),
            ));
        }
        let s = current(&mut self.stream)?;
        Ok(match q {
            Query::Count => Value::Number(u64::from(s.count().map_err(io)?)),
            Query::Offset => Value::Number(u64::from(s.offset().map_err(io)?)),
            Query::Size => Value::Number(s.size().map_err(io)?),
            Query::Version => match s.version().map_err(io)? {
                Some(v) => Value::Number(u64::from(v.number())),
                None => Value::None,
            },
            Query::BufferSize => match s.buffer_size().map_err(io)? {
                Some(n) => Value::Number(n),
                None => Value::None,
            },
            Query::Type => Value::Stream(s.stream_type()),
            Query::IsClosed => Value::Bool(s.is_closed()),
        })
    }

    fn fault(&mut self, f: Fault) -> Result<(), OpError> {
        let card = self.card_ref()?;
        match f {
            Fault::PowerCut => {
                let (stream, memory) = (&mut self.stream, &mut self.memory);
                self.sched = None;
                card.power_cut(|| release(stream, memory))
                    .map_err(|e| err(ErrorName::Storage, format_args!("remount failed: {e}")))
            }
            Fault::WriteLimit { blocks } => card
                .with_faults(|d| d.set_write_limit(blocks))
                .ok_or_else(|| OpError::new(ErrorName::Storage, "no card mounted")),
        }
    }
}
