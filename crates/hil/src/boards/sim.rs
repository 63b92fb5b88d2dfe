//! The `sim` board: the agent's [`omv_agent::Executor`] running in-process
//! on an [`imageio_sim::SimBoard`] — its virtual clock, its SD card with a
//! timing model and faults (formatted FAT, mounted by the agent behind its
//! own fault layer) and its sensor ([`imageio_sim::SimSensor`], the
//! agent's own software sensor), so a recording is byte-identical to one
//! made by the firmware.
//!
//! The sensor is the one sensor model ([`omv_agent::sensor::FrameTimer`]:
//! frame rate, start-up delay, seeded jitter, 1–3 frame buffers with
//! OpenMV's drop policy) that the firmware runs too, with the defaults
//! there; here the scenario's `[sensor]` `startup_us`, `jitter_us` and
//! `buffers` reach it ([`Board::sensor_model`], capability
//! `sensor-model`), and `source` shows footage (capability `footage`).
//! With the defaults a frame's content and the drops are the same on
//! every board, so `golden/sim` can be compared with `golden/qemu`; the
//! card's timing model makes slow cards drop frames.
//!
//! The executor borrows its card and buffers, so it lives on a worker
//! thread that owns them for the length of a scenario; the board talks to
//! it over channels (the worker: `boards/sim/worker.rs`), and every answer is
//! awaited with a timeout.

mod worker;

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use imageio_sim::{PngFrames, SimClock};
use omv_agent::SensorModel;
use omv_proto::{Event, Op, Outcome};

use crate::board::{Board, BoardError, CapabilitySet, Setup, SnapshotPolicy};
use crate::boards::BoardOptions;
use crate::scenario::Capability;

/// The board's name.
pub const NAME: &str = "sim";
/// Frame buffer (and diff buffer) bytes: VGA RGB565.
pub const FRAME_BYTES: usize = 640 * 480 * 2;
/// Memory-stream region: 8 MiB, as the OpenMV Cam H7 Plus's PSRAM allows.
pub const MEMORY_BYTES: usize = 8 << 20;
/// Trace events kept per scenario (a 30 s recording at 30 fps has 900).
pub const EVENTS: usize = 16_384;
/// The longest one step may take in wall time before the board gives up.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a step cancelled at the scenario's deadline may take to stop
/// (the executor checks between frames, so one frame's work).
pub const CANCEL_GRACE: Duration = Duration::from_secs(10);
/// The card profiles a scenario's `[card] profile` may name.
pub const PROFILES: &str = "class4, class10, uhs1_a1, worn, real_class10, ideal:<bytes per second>";

enum Request {
    Hello,
    Begin(Setup),
    Model(SensorModel),
    Footage(Arc<PngFrames>),
    Upload(String, Vec<u8>),
    Run(u32, Op),
    Events,
    Download(String),
    End,
}

enum Reply {
    Hello(omv_proto::Capabilities),
    /// The scenario runs on this clock.
    Started(SimClock),
    Begun,
    Outcome(Outcome),
    Events(Vec<Event>),
    File(Option<Vec<u8>>),
    Ended,
}

type Answer = Result<Reply, String>;

/// The harness's simulator board: a worker thread running the agent's
/// executor on an [`imageio_sim::SimBoard`].
#[derive(Debug)]
pub struct SimHarnessBoard {
    tx: Sender<Request>,
    rx: Receiver<Answer>,
    worker: Option<JoinHandle<()>>,
    timeout: Duration,
    /// A step timed out: its late answer would be taken for the next one's,
    /// so the board refuses further requests.
    stuck: Option<String>,
    /// The scenario's deadline ([`Board::set_deadline`]).
    deadline: Option<Instant>,
    /// The running scenario's clock: cancelling it stops the running
    /// step, as host bytes do on a firmware board.
    clock: Option<SimClock>,
    /// What the executor announces in its handshake, as on the firmware
    /// boards.
    capabilities: CapabilitySet,
}

/// Start the `sim` board.
pub fn open(_opts: &BoardOptions) -> Result<Box<dyn Board>, BoardError> {
    SimHarnessBoard::new().map(|b| Box::new(b) as Box<dyn Board>)
}

/// What `--dry-run` would do on the `sim` board.
pub fn dry_run(_opts: &BoardOptions) -> Result<String, BoardError> {
    Ok(format!(
        "sim: the agent's executor in-process over imageio-sim (virtual clock, FAT on a simulated SD card: {PROFILES}); nothing to flash or start"
    ))
}

fn link(message: impl Into<String>) -> BoardError {
    BoardError::Link {
        board: NAME.into(),
        message: message.into(),
    }
}

impl SimHarnessBoard {
    /// Start the worker thread.
    pub fn new() -> Result<SimHarnessBoard, BoardError> {
        Self::with_timeout(STEP_TIMEOUT)
    }

    /// Start the worker thread; each answer is awaited at most `timeout`.
    pub fn with_timeout(timeout: Duration) -> Result<SimHarnessBoard, BoardError> {
        Self::with_worker(timeout, worker::serve)
    }

    /// The board's side of the channels with `serve` answering on the
    /// worker thread (the executor, or a test's stand-in).
    fn with_worker(
        timeout: Duration,
        serve: fn(&Receiver<Request>, &Sender<Answer>),
    ) -> Result<SimHarnessBoard, BoardError> {
        let (tx, worker_rx) = mpsc::channel();
        let (worker_tx, rx) = mpsc::channel();
        let worker = std::thread::Builder::new()
            .name("hil-sim".into())
            // The executor keeps its trace inline (no heap in the agent).
            .stack_size(64 << 20)
            .spawn(move || serve(&worker_rx, &worker_tx))
            .map_err(|e| BoardError::Setup {
                board: NAME.into(),
                message: format!("cannot start the simulator thread: {e}"),
            })?;
        let mut board = SimHarnessBoard {
            tx,
            rx,
            worker: Some(worker),
            // The handshake gets the usual step timeout; `timeout` applies
            // from the first request of a scenario on.
            timeout: STEP_TIMEOUT,
            stuck: None,
            deadline: None,
            clock: None,
            capabilities: CapabilitySet::EMPTY,
        };
        board.capabilities = match board.ask("the executor's hello", Request::Hello)? {
            // The sensor model and footage are the board's to set
            // (Board::sensor_model, the footage request), not something
            // the agent's handshake announces.
            Reply::Hello(c) => CapabilitySet::from_hello(c)
                .with(Capability::SensorModel)
                .with(Capability::Footage),
            _ => return Err(unexpected("the executor's hello")),
        };
        board.timeout = timeout;
        Ok(board)
    }

    fn ask(&mut self, what: &str, req: Request) -> Result<Reply, BoardError> {
        if let Some(earlier) = &self.stuck {
            return Err(link(format!(
                "the simulator is still busy with {earlier}, which timed out; start a new run"
            )));
        }
        self.tx
            .send(req)
            .map_err(|_| link("the simulator thread has stopped (it panicked?)"))?;
        let wait = self.deadline.map_or(self.timeout, |d| {
            d.saturating_duration_since(Instant::now())
                .min(self.timeout)
        });
        match self.rx.recv_timeout(wait) {
            Ok(Ok(reply)) => Ok(reply),
            Err(RecvTimeoutError::Timeout) if wait < self.timeout => {
                // The scenario's deadline: cancel the step and take its
                // (cancelled) answer, so the board stays usable.
                let cancel = |c: &Option<SimClock>, on| c.iter().for_each(|c| c.set_cancelled(on));
                cancel(&self.clock, true);
                let late = self.rx.recv_timeout(CANCEL_GRACE);
                cancel(&self.clock, false);
                match late {
                    Ok(Ok(Reply::Started(c))) => self.clock = Some(c),
                    Ok(_) => {}
                    Err(_) => self.stuck = Some(what.to_owned()),
                }
                Err(BoardError::Timeout {
                    board: NAME.into(),
                    what: format!(
                        "{what}: cancelled at the scenario's overall timeout (timeout_s)"
                    ),
                    timeout: wait,
                })
            }
            Ok(Err(message)) => Err(BoardError::Setup {
                board: NAME.into(),
                message,
            }),
            Err(RecvTimeoutError::Timeout) => {
                self.stuck = Some(what.to_owned());
                Err(BoardError::Timeout {
                    board: NAME.into(),
                    what: what.into(),
                    timeout: self.timeout,
                })
            }
            Err(RecvTimeoutError::Disconnected) => {
                Err(link("the simulator thread has stopped (it panicked?)"))
            }
        }
    }
}

impl Drop for SimHarnessBoard {
    fn drop(&mut self) {
        // Closing the channel ends the worker; it is not waited for, so a
        // step stuck past its timeout cannot hang the harness.
        let (tx, _) = mpsc::channel();
        drop(std::mem::replace(&mut self.tx, tx));
        drop(self.worker.take());
    }
}

fn unexpected(what: &str) -> BoardError {
    link(format!("unexpected answer to {what}"))
}

impl Board for SimHarnessBoard {
    fn name(&self) -> &str {
        NAME
    }

    fn snapshot_policy(&self) -> SnapshotPolicy {
        // Virtual time: every figure is exact and repeatable.
        SnapshotPolicy::default()
    }

    /// The executor's own: what its handshake would announce (the same
    /// code as the firmware's `hello`).
    fn capabilities(&self) -> CapabilitySet {
        self.capabilities
    }

    fn footage(&mut self, dir: &std::path::Path) -> Result<(), BoardError> {
        let frames = PngFrames::load_dir(dir).map_err(|e| BoardError::Setup {
            board: NAME.into(),
            message: format!("cannot load the footage: {e}"),
        })?;
        match self.ask("the footage", Request::Footage(Arc::new(frames)))? {
            Reply::Begun => Ok(()),
            _ => Err(unexpected("the footage")),
        }
    }

    fn upload(&mut self, path: &str, data: &[u8]) -> Result<(), BoardError> {
        let what = format!("upload {path}");
        match self.ask(&what, Request::Upload(path.into(), data.to_vec()))? {
            Reply::Outcome(Outcome::Ok(_)) => Ok(()),
            Reply::Outcome(Outcome::Err(e)) => Err(BoardError::Setup {
                board: NAME.into(),
                message: format!("{what}: {e}"),
            }),
            _ => Err(unexpected("an upload")),
        }
    }

    fn sensor_model(&mut self, model: &SensorModel) -> Result<(), BoardError> {
        match self.ask("the sensor model", Request::Model(*model))? {
            Reply::Begun => Ok(()),
            _ => Err(unexpected("the sensor model")),
        }
    }

    fn begin(&mut self, setup: &Setup) -> Result<(), BoardError> {
        match self.ask("begin", Request::Begin(setup.clone()))? {
            Reply::Started(clock) => {
                self.clock = Some(clock);
                Ok(())
            }
            _ => Err(unexpected("begin")),
        }
    }

    fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
    }

    fn run(&mut self, step: u32, op: &Op) -> Result<Outcome, BoardError> {
        match self.ask(&format!("step {step}"), Request::Run(step, op.clone()))? {
            Reply::Outcome(o) => Ok(o),
            _ => Err(unexpected("a step")),
        }
    }

    fn take_events(&mut self) -> Result<Vec<Event>, BoardError> {
        match self.ask("the trace", Request::Events)? {
            Reply::Events(e) => Ok(e),
            _ => Err(unexpected("the trace request")),
        }
    }

    fn download(&mut self, path: &str) -> Result<Option<Vec<u8>>, BoardError> {
        match self.ask(&format!("download {path}"), Request::Download(path.into()))? {
            Reply::File(f) => Ok(f),
            _ => Err(unexpected("a download")),
        }
    }

    fn end(&mut self) -> Result<(), BoardError> {
        self.clock = None;
        match self.ask("end", Request::End)? {
            Reply::Ended => Ok(()),
            _ => Err(unexpected("end")),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::scenario::Card;
    use omv_proto::{Query, Value};

    fn setup(profile: &str) -> Setup {
        Setup {
            scenario: "t".into(),
            seed: 1,
            card: Card {
                profile: profile.into(),
                capacity_kib: 8192,
            },
        }
    }

    /// The set is the executor's own handshake (with the simulated
    /// card's profile timing), not a list kept beside it: it has `upload`,
    /// which the executor supports on any card.
    #[test]
    fn capabilities_are_the_executors_hello() {
        let b = SimHarnessBoard::new().unwrap();
        assert_eq!(
            b.capabilities().to_string(),
            "files, memory, power-cut, write-limit, upload, card-profile, sensor-model, footage"
        );
    }

    #[test]
    fn an_unknown_card_profile_names_the_known_ones() {
        let mut b = SimHarnessBoard::new().unwrap();
        let e = b.begin(&setup("turbo")).unwrap_err().to_string();
        assert!(e.contains("unknown card profile \"turbo\""), "{e}");
        assert!(e.contains("class4, class10, uhs1_a1"), "{e}");
        // The board is usable again afterwards.
        b.begin(&setup("class10")).unwrap();
        assert_eq!(
            b.run(1, &Op::Query(Query::IsClosed)).unwrap(),
            Outcome::Ok(Value::Bool(true))
        );
        assert_eq!(b.download("/sdcard/none.bin").unwrap(), None);
        b.end().unwrap();
    }

    /// A worker that answers the handshake as the executor does and then
    /// never answers again (it takes requests until the board goes).
    fn hangs_after_hello(rx: &Receiver<Request>, tx: &Sender<Answer>) {
        if let Ok(Request::Hello) = rx.recv() {
            let _ = tx.send(worker::hello().map(Reply::Hello));
        }
        while rx.recv().is_ok() {}
    }

    #[test]
    fn a_step_past_its_timeout_stops_the_board_with_a_clear_message() {
        let mut b =
            SimHarnessBoard::with_worker(Duration::from_millis(50), hangs_after_hello).unwrap();
        let e = b.begin(&setup("class10")).unwrap_err().to_string();
        assert!(e.contains("no answer to begin within 50ms"), "{e}");
        let e = b.run(1, &Op::Sync).unwrap_err().to_string();
        assert!(e.contains("still busy with begin, which timed out"), "{e}");
    }

    #[test]
    fn requests_before_begin_are_refused() {
        let mut b = SimHarnessBoard::new().unwrap();
        let e = b.run(1, &Op::Sync).unwrap_err().to_string();
        assert!(e.contains("no scenario has begun"), "{e}");
    }
}
