//! [`Executor`]: runs scenario steps ([`Op`]) with omv-imageio. The one
//! place where the meaning of every step lives; the `sim` board calls it
//! in-process, the firmware through [`serve`](crate::serve).

use embedded_sdmmc::BlockDevice;
use omv_fatstore::OpenMode;
use omv_imageio::{
    memory_stream_bytes, Error as IoError, ErrorKind, FileOptions, FileStream, Image, ImageIo,
    MemoryStream, Mode, ReadOptions, Version, Wait,
};
use omv_proto::{
    crc32, format_bounded, Capabilities, DiffSummary, ErrorName, Event, EventKind, Fault,
    FrameSummary, Op, OpError, Outcome, Query, ReadArgs, RecordSummary, ReplaySummary,
    SensorSettings, StreamKind, Value,
};

use crate::card::{Card, CardFile};
use crate::events::EventLog;
use crate::sensor::{check_config, Sensor, SensorConfig, Snapshot};

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
pub struct Executor<'a, D, C, S, const E: usize = DEFAULT_EVENTS>
where
    D: BlockDevice,
    C: Wait + Clone,
    S: Sensor<C>,
{
    clock: C,
    sensor: S,
    cfg: SensorConfig,
    card: Option<&'a Card<D>>,
    frame: &'a mut [u8],
    aux: &'a mut [u8],
    memory: Option<&'a mut [u8]>,
    memory_len: usize,
    stream: Option<Stream<'a, D, C>>,
    /// Scheduled release time of the previous frame read (see `EventKind::FrameReleased`).
    sched: Option<u64>,
    events: EventLog<'a, E>,
    step: u32,
}

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

/// What one read released.
struct Released {
    summary: FrameSummary,
    /// With a diff: (bytes compared, bytes changed, sum of |a − b|).
    diff: (u32, u32, u64),
}

/// Compare two payloads byte by byte: (compared, changed, sum of |a − b|).
fn compare(a: &[u8], b: &[u8], threshold: u8) -> (u32, u32, u64) {
    let (mut changed, mut sum, mut n) = (0u32, 0u64, 0u32);
    for (x, y) in a.iter().zip(b) {
        let d = x.abs_diff(*y);
        if d > threshold {
            changed += 1;
        }
        sum += u64::from(d);
        n += 1;
    }
    (n, changed, sum)
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
    pub fn new(clock: C, sensor: S, card: Option<&'a Card<D>>, buffers: Buffers<'a>) -> Self {
        Self::build(clock, sensor, card, buffers, EventLog::new())
    }

    /// Like [`new`](Self::new), keeping the trace in `trace` (its length is
    /// the capacity): for large traces, lend a `static` or a `Vec` and set
    /// `E = 0` so the executor itself stays small.
    pub fn with_trace(
        clock: C,
        sensor: S,
        card: Option<&'a Card<D>>,
        buffers: Buffers<'a>,
        trace: &'a mut [Event],
    ) -> Self {
        Self::build(clock, sensor, card, buffers, EventLog::borrowed(trace))
    }

    fn build(
        clock: C,
        sensor: S,
        card: Option<&'a Card<D>>,
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

    /// The sensor's current settings.
    pub fn sensor_config(&self) -> SensorConfig {
        self.cfg
    }

    /// The card, if the board has one.
    pub fn card(&self) -> Option<&'a Card<D>> {
        self.card
    }

    /// The open (or closed but not yet released) stream.
    pub fn stream(&self) -> Option<&Stream<'a, D, C>> {
        self.stream.as_ref()
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

    fn card_ref(&self) -> Result<&'a Card<D>, OpError> {
        self.card
            .ok_or_else(|| OpError::new(ErrorName::NotSupported, "this board has no card"))
    }

    /// Open a file on the card for reading (downloads, stat). Any stream
    /// is dropped first, as by [`reset`](Self::reset) (a file stream is
    /// closed, flushing it), so that its file can be read: files are
    /// fetched at the end of a scenario, and every board then sees the same
    /// bytes.
    pub fn open_file(&mut self, path: &str) -> Result<CardFile<'a, D>, OpError> {
        release(&mut self.stream, &mut self.memory);
        self.sched = None;
        let card = self.card_ref()?;
        card.open(path, OpenMode::Read)
            .map_err(|e| err(ErrorName::OpenFailed, format_args!("{path}: {e}")))
    }

    /// The length of a file as its directory entry records it.
    pub fn file_size(&mut self, path: &str) -> Result<u64, OpError> {
        let f = self.open_file(path)?;
        f.len()
            .map(u64::from)
            .map_err(|e| err(ErrorName::Io, format_args!("{path}: {e}")))
    }

    /// Write `data` at `offset` of `path`: offset 0 creates or truncates
    /// the file, any other offset must be its current length (append).
    /// Any stream is dropped first, as for [`open_file`](Self::open_file).
    pub fn upload(&mut self, path: &str, offset: u64, data: &[u8]) -> Result<(), OpError> {
        use embedded_io::Write as _;
        release(&mut self.stream, &mut self.memory);
        self.sched = None;
        let card = self.card_ref()?;
        let mode = if offset == 0 {
            OpenMode::Write
        } else {
            OpenMode::Append
        };
        let mut f = card
            .open(path, mode)
            .map_err(|e| err(ErrorName::OpenFailed, format_args!("{path}: {e}")))?;
        let len = f
            .len()
            .map_err(|e| err(ErrorName::Io, format_args!("{path}: {e}")))?;
        if u64::from(len) != offset {
            return Err(err(
                ErrorName::BadStep,
                format_args!("upload at {offset} but {path} has {len} bytes"),
            ));
        }
        f.write_all(data)
            .map_err(|e| err(ErrorName::Io, format_args!("{path}: {e}")))?;
        f.close()
            .map_err(|e| err(ErrorName::Io, format_args!("{path}: {e}")))
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
                .open_memory(*width, *height, (*pixformat).into(), *count)
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
        let mut cfg = self.cfg;
        if let Some(w) = s.width {
            cfg.width = w;
        }
        if let Some(h) = s.height {
            cfg.height = h;
        }
        if let Some(p) = s.pixformat {
            cfg.pixformat = p.into();
        }
        if let Some(f) = s.fps {
            cfg.fps = f;
        }
        if let Some(c) = s.content {
            cfg.content = c;
        }
        if let Some(seed) = s.seed {
            cfg.seed = seed;
        }
        check_config(&cfg, self.frame.len())?;
        self.sensor.configure(&cfg, &mut self.clock)?;
        self.cfg = cfg;
        Ok(())
    }

    fn open_file_stream(
        &mut self,
        path: &str,
        mode: &str,
        write_version: Option<u8>,
    ) -> Result<(), OpError> {
        let parsed = Mode::parse(mode).map_err(io)?;
        let version = match write_version {
            None | Some(20) => Version::V2_0,
            Some(21) => Version::V2_1,
            Some(v) => {
                return Err(err(
                    ErrorName::BadStep,
                    format_args!("write version {v}: expected 20 or 21"),
                ))
            }
        };
        release(&mut self.stream, &mut self.memory);
        self.sched = None;
        let card = self.card_ref()?;
        let fmode = match parsed {
            Mode::Read => OpenMode::Read,
            Mode::Write => OpenMode::Write,
        };
        let file = card
            .open(path, fmode)
            .map_err(|e| err(ErrorName::OpenFailed, format_args!("{path}: {e}")))?;
        let opts = FileOptions {
            write_version: version,
            ..FileOptions::default()
        };
        let s = FileStream::open(file, mode, self.clock.clone(), opts).map_err(io)?;
        self.stream = Some(ImageIo::File(s));
        Ok(())
    }

    fn open_memory(
        &mut self,
        width: u32,
        height: u32,
        pixformat: omv_imageio::PixFormat,
        count: u32,
    ) -> Result<(), OpError> {
        release(&mut self.stream, &mut self.memory);
        self.sched = None;
        let need = memory_stream_bytes(width, height, pixformat, count).map_err(io)?;
        let buf = self.memory.take().ok_or_else(|| {
            OpError::new(
                ErrorName::Storage,
                "the memory-stream region is unavailable",
            )
        })?;
        if buf.len() < need {
            let available = buf.len() as u64;
            self.memory = Some(buf);
            return Err(io(IoError::new(ErrorKind::BufferTooSmall {
                needed: need as u64,
                available,
            })));
        }
        let max_wait = FileOptions::default().max_wait_us;
        // Checked above: the layout is valid and fits, so `new` cannot fail.
        let m = MemoryStream::new(
            buf,
            width,
            height,
            pixformat,
            count,
            self.clock.clone(),
            max_wait,
        )
        .map_err(io)?;
        self.stream = Some(ImageIo::Memory(m));
        Ok(())
    }

    fn push(&mut self, kind: EventKind) {
        let t_us = self.clock.now_us();
        self.events.push(Event {
            t_us,
            step: self.step,
            kind,
        });
    }

    /// Take a snapshot into the frame buffer (`aux = false`) or the aux buffer.
    fn snapshot(&mut self, aux: bool) -> Result<Snapshot, OpError> {
        let fb = if aux {
            &mut *self.aux
        } else {
            &mut *self.frame
        };
        let snap = self.sensor.snapshot(&mut self.clock, fb)?;
        if snap.dropped > 0 {
            self.push(EventKind::FramesDropped {
                count: snap.dropped,
                seq: snap.seq,
            });
        }
        Ok(snap)
    }

    fn snap_summary(&self, snap: &Snapshot, data: &[u8]) -> FrameSummary {
        FrameSummary {
            index: snap.seq,
            width: u32::from(self.cfg.width),
            height: u32::from(self.cfg.height),
            pixformat: self.cfg.pixformat.into(),
            elapsed_us: 0,
            payload_len: u32::try_from(data.len()).unwrap_or(u32::MAX),
            crc32: crc32(data),
            t_us: snap.t_us,
        }
    }

    /// `stream.write(sensor.snapshot())`. The summary's `elapsed_us` is 0
    /// (the stream stores it; read it back from the file's frame table).
    fn write_one(&mut self) -> Result<FrameSummary, OpError> {
        self.write_counting().map(|(f, _)| f)
    }

    /// [`write_one`](Self::write_one), also returning the sensor frames
    /// dropped before the snapshot.
    fn write_counting(&mut self) -> Result<(FrameSummary, u32), OpError> {
        let snap = self.snapshot(false)?;
        let cfg = self.cfg;
        let data = self.frame.get(..snap.len).unwrap_or_default();
        let img = Image::new(
            u32::from(cfg.width),
            u32::from(cfg.height),
            cfg.pixformat,
            data,
        );
        let stream = current(&mut self.stream)?;
        let written = stream.write(&img).and_then(|()| stream.offset());
        self.sched = None;
        let index = match written {
            Ok(next) => next.saturating_sub(1),
            Err(e) => {
                let index = stream.offset().unwrap_or(0);
                self.push(EventKind::StepFailed { index });
                return Err(io(e));
            }
        };
        let mut summary = self.snap_summary(&snap, self.frame.get(..snap.len).unwrap_or_default());
        summary.index = index;
        summary.t_us = self.clock.now_us();
        self.push(EventKind::FrameWritten {
            index,
            seq: snap.seq,
            captured_us: snap.t_us,
            payload_len: summary.payload_len,
            crc32: summary.crc32,
        });
        Ok((summary, snap.dropped))
    }

    fn record(&mut self, frames: u32) -> Result<RecordSummary, OpError> {
        let t_start_us = self.clock.now_us();
        let mut out = RecordSummary {
            frames: 0,
            first_index: 0,
            dropped: 0,
            t_start_us,
            t_end_us: t_start_us,
        };
        for i in 0..frames {
            let (f, dropped) = self.write_counting()?;
            if i == 0 {
                out.first_index = f.index;
            }
            out.frames += 1;
            out.dropped = out.dropped.saturating_add(dropped);
        }
        out.t_end_us = self.clock.now_us();
        Ok(out)
    }

    /// One `read`: into the frame buffer (or a memory slot view), summary,
    /// schedule, trace event. `None` at the end of a file stream.
    ///
    /// With `diff = Some((len, threshold))` the frame is also compared with
    /// the first `len` bytes of the aux buffer (while a memory slot view is
    /// still borrowed, so `copy_to_fb = false` works too).
    fn read_one(
        &mut self,
        args: &ReadArgs,
        diff: Option<(usize, u8)>,
    ) -> Result<Option<Released>, OpError> {
        let opts = ReadOptions {
            loop_: args.loop_,
            pause: args.pause,
        };
        let stream = current(&mut self.stream)?;
        let aux: &[u8] = self.aux;
        let got = stream
            .read_frame(self.frame, opts, args.copy_to_fb)
            .map(|f| {
                f.map(|fr| {
                    let d = match diff {
                        Some((len, th)) => compare(aux.get(..len).unwrap_or_default(), fr.data, th),
                        None => (0, 0, 0),
                    };
                    (fr.info, crc32(fr.data), d)
                })
            });
        let (info, crc, d) = match got {
            Ok(Some(x)) => x,
            Ok(None) => return Ok(None),
            Err(e) => {
                if e.kind != ErrorKind::EndOfStream {
                    let index = stream.offset().unwrap_or(0);
                    self.push(EventKind::StepFailed { index });
                }
                return Err(io(e));
            }
        };
        let t = self.clock.now_us();
        let scheduled = match self.sched {
            None => t,
            Some(prev) => prev.saturating_add(info.elapsed_us),
        };
        self.sched = Some(scheduled);
        self.push(EventKind::FrameReleased {
            index: info.index,
            scheduled_us: scheduled,
            elapsed_us: info.elapsed_us,
            payload_len: info.payload_len,
            crc32: crc,
        });
        Ok(Some(Released {
            summary: FrameSummary {
                index: info.index,
                width: info.width,
                height: info.height,
                pixformat: info.pixformat.into(),
                elapsed_us: info.elapsed_us,
                payload_len: info.payload_len,
                crc32: crc,
                t_us: t,
            },
            diff: d,
        }))
    }

    fn replay(&mut self, frames: Option<u32>, args: &ReadArgs) -> Result<ReplaySummary, OpError> {
        if args.loop_ && frames.is_none() {
            return Err(OpError::new(
                ErrorName::BadStep,
                "replay with loop=true needs a frame count",
            ));
        }
        current(&mut self.stream)?;
        let t_start_us = self.clock.now_us();
        let mut out = ReplaySummary {
            frames: 0,
            first_index: None,
            reached_end: false,
            max_lateness_us: 0,
            t_start_us,
            t_end_us: t_start_us,
        };
        let limit = frames.unwrap_or(u32::MAX);
        while out.frames < limit {
            match self.read_one(args, None) {
                Ok(Some(r)) => {
                    out.frames += 1;
                    out.first_index.get_or_insert(r.summary.index);
                    let due = self.sched.unwrap_or(r.summary.t_us);
                    out.max_lateness_us = out.max_lateness_us.max(r.summary.t_us.abs_diff(due));
                }
                Ok(None) => {
                    out.reached_end = true;
                    break;
                }
                Err(e) if e.name == ErrorName::EndOfStream => {
                    out.reached_end = true;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        out.t_end_us = self.clock.now_us();
        Ok(out)
    }

    fn diff(&mut self, args: &ReadArgs, threshold: u8) -> Result<Value, OpError> {
        let snap = self.snapshot(true)?;
        let Some(r) = self.read_one(args, Some((snap.len, threshold)))? else {
            return Ok(Value::None);
        };
        let (compared, changed, sum) = r.diff;
        let mean = sum
            .saturating_mul(1000)
            .checked_div(u64::from(compared))
            .unwrap_or(0);
        Ok(Value::Diff(DiffSummary {
            frame: r.summary,
            snapshot_seq: snap.seq,
            compared,
            changed,
            mean_abs_diff_milli: u32::try_from(mean).unwrap_or(u32::MAX),
        }))
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
            Query::Type => Value::Stream(StreamKind::from(s.stream_type())),
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
