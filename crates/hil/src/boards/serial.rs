//! The generic serial agent board: a [`Board`] that is an agent at the
//! other end of an `omv-link` [`Link`]. Every step is a `Run` request, the
//! trace is fetched in pages, files are downloaded in checked chunks. The
//! `qemu` board uses it over the emulator's PTY, the `h7` board over the
//! USB CDC-ACM port; nothing in it is specific to either, so any board
//! whose agent speaks `omv-proto` over a byte port can use it.

use std::io::{Read, Write};
use std::time::Duration;

use omv_link::{Link, LinkError};
use omv_proto::{Capabilities, CrashKind, Event, Hello, Op, Outcome, ProtoErrorKind};

use crate::board::{Board, BoardError, CapabilitySet, Setup, SnapshotPolicy};
use crate::boards::sections::TimingSection;
use crate::boards::tolerance;
use crate::capture::Capture;
use crate::scenario::Scenario;
use crate::timing::TimingReport;

/// How long a step may take: `base` plus the board time the step itself
/// asks for (frames at the sensor's rate, sleeps), doubled for the card's
/// write time and the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepBudget {
    /// Allowance for any step (the board file's `reply_timeout_ms`).
    pub base: Duration,
    /// The sensor's frame rate as last set by the scenario (0 = unpaced).
    pub fps: u16,
}

/// Frame period assumed for unpaced capture (one SD-card write per frame).
const UNPACED_FRAME: Duration = Duration::from_millis(50);
/// A replay without a frame count runs to the end of the stream: allow
/// this long beyond `base`.
const OPEN_ENDED: Duration = Duration::from_secs(600);

impl StepBudget {
    /// Note the sensor rate a step sets.
    pub fn observe(&mut self, op: &Op) {
        if let Op::Sensor(s) = op {
            if let Some(fps) = s.fps {
                self.fps = fps;
            }
        }
    }

    fn frames(&self, n: u32) -> Duration {
        let period = if self.fps == 0 {
            UNPACED_FRAME
        } else {
            Duration::from_micros(1_000_000 / u64::from(self.fps))
        };
        period.saturating_mul(n).saturating_mul(2)
    }

    /// The deadline for `op`.
    pub fn timeout(&self, op: &Op) -> Duration {
        let work = match op {
            Op::Record { frames } => self.frames(*frames),
            Op::Replay {
                frames: Some(n), ..
            } => self.frames(*n),
            Op::Replay { frames: None, .. } => OPEN_ENDED,
            Op::Sleep { us } => Duration::from_micros(*us).saturating_mul(2),
            _ => Duration::ZERO,
        };
        self.base.saturating_add(work)
    }
}

/// An agent reached over `P`, after a successful handshake.
pub struct AgentBoard<P> {
    name: String,
    link: Link<P>,
    hello: Hello,
    capabilities: CapabilitySet,
    policy: SnapshotPolicy,
    budget: StepBudget,
    /// Events fetched after each step (the agent keeps only
    /// `hello.event_capacity`, fewer than a long scenario makes).
    trace: Vec<Event>,
    /// Timing tolerances checked after each scenario (`None` = no check).
    tolerances: Option<TimingSection>,
    /// Agent log lines fetched and not yet taken.
    log: Vec<String>,
    /// Index of the next agent log line to fetch.
    log_next: u32,
    /// Opens the port again after the device went away (see [`Reopen`]).
    reopen: Option<Reopen<P>>,
    /// The agent's log read another way (the h7's defmt over RTT through
    /// a debug probe), if the board has one.
    probe_log: Option<Box<dyn ProbeLog>>,
    /// The scenario's overall deadline ([`Board::set_deadline`]): no step
    /// is waited for past it.
    deadline: Option<std::time::Instant>,
}

/// A second source of agent log lines, read beside the link (the h7's
/// defmt log through a debug probe): its lines go to `agent-rtt.log`.
pub trait ProbeLog {
    /// The lines read since the last call.
    fn take(&self) -> Vec<String>;
}

/// Opens the agent's port again: a board whose USB device re-enumerates
/// when it resets (the H7 after a fault, panic or watchdog reset) gives
/// this, so a vanished port is followed by a handshake that finds out why.
pub type Reopen<P> = Box<dyn FnMut() -> Result<Link<P>, LinkError>>;

/// How long a vanished port may take to come back (USB re-enumeration
/// after a reset takes about a second).
pub const REOPEN_WAIT: Duration = Duration::from_secs(10);

impl<P> std::fmt::Debug for AgentBoard<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentBoard")
            .field("name", &self.name)
            .field("hello", &self.hello)
            .finish_non_exhaustive()
    }
}

impl<P: Read + Write> AgentBoard<P> {
    /// Shake hands within `hello_timeout`; the agent must say it is board
    /// `name` (a qemu agent on an h7's port is a wiring mistake).
    pub fn connect(
        name: &str,
        mut link: Link<P>,
        hello_timeout: Duration,
        reply_timeout: Duration,
        policy: SnapshotPolicy,
    ) -> Result<Self, BoardError> {
        let hello = link
            .handshake(hello_timeout)
            .map_err(|e| link_error(name, &e))?;
        if hello.board.as_str() != name {
            return Err(BoardError::Setup {
                board: name.into(),
                message: format!(
                    "the agent on this port says it is board `{}` ({}), not `{name}`: \
                     is --port right, and was the {name} firmware flashed?",
                    hello.board, hello.firmware
                ),
            });
        }
        link.set_timeout(reply_timeout);
        let mut log = Vec::new();
        if let Some(report) = &hello.reset {
            // From before this run (a camera that crashed last time):
            // worth knowing, but no scenario of ours caused it.
            let line = format!("before this run the agent restarted: {report}");
            eprintln!("warning: board `{name}`: {line}");
            log.push(line);
        }
        Ok(AgentBoard {
            name: name.into(),
            capabilities: CapabilitySet::from_hello(hello.capabilities),
            hello,
            link,
            policy,
            budget: StepBudget {
                base: reply_timeout,
                fps: 30,
            },
            trace: Vec::new(),
            tolerances: None,
            log,
            log_next: 0,
            reopen: None,
            probe_log: None,
            deadline: None,
        })
    }

    /// Keep the lines of `log` (the agent's defmt log over RTT) for each
    /// scenario's `agent-rtt.log`.
    pub fn with_probe_log(mut self, log: Box<dyn ProbeLog>) -> Self {
        self.probe_log = Some(log);
        self
    }

    /// Reopen the port with `reopen` when it vanishes mid-scenario, and
    /// report the agent's reset record if it has one.
    pub fn with_reopen(mut self, reopen: Reopen<P>) -> Self {
        self.reopen = Some(reopen);
        self
    }

    /// The port vanished: wait for it to come back ([`REOPEN_WAIT`]), shake
    /// hands, and give the agent's reset report if it restarted with one.
    fn reopened_report(&mut self) -> Option<String> {
        let reopen = self.reopen.as_mut()?;
        let deadline = std::time::Instant::now() + REOPEN_WAIT;
        let mut link = loop {
            match reopen() {
                Ok(link) => break link,
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(_) => return None,
            }
        };
        let hello = link.handshake(self.budget.base).ok()?;
        link.set_timeout(self.budget.base);
        self.link = link;
        self.log_next = 0;
        let report = hello.reset.as_ref()?.to_string();
        self.hello = hello;
        Some(format!(
            "{report} (the agent restarted: its USB port went away and came back)"
        ))
    }

    /// Fetch the agent's new log lines (best effort: a dead or hung agent
    /// costs one short timeout and leaves the log as it was).
    pub fn fetch_log(&mut self) {
        if let Ok((lines, next)) = self.link.logs(self.log_next) {
            self.log_next = next;
            self.log.extend(
                lines
                    .iter()
                    .map(|l| format!("[{:>10.6}] {}", l.t_us as f64 / 1e6, l.text)),
            );
        }
    }

    /// Ask a test firmware to crash: the answer is the board error that
    /// reports it (`firmware fault: ...`) within `timeout` (the agent
    /// announces itself as soon as it has rebooted; a hang lasts the
    /// watchdog's timeout first).
    pub fn crash_test(&mut self, kind: CrashKind, timeout: Duration) -> Result<(), BoardError> {
        let result = self.link.crash_test(kind, timeout);
        self.after(result)
    }

    /// On a link failure: note a restart (its log starts from 0 again) and
    /// fetch what the agent logged, then give the error.
    fn after<T>(&mut self, result: Result<T, LinkError>) -> Result<T, BoardError> {
        match result {
            Ok(v) => Ok(v),
            Err(e) => {
                if matches!(e, LinkError::AgentRestarted { .. }) {
                    self.log_next = 0;
                }
                if matches!(e, LinkError::PortGone(_)) {
                    if let Some(report) = self.reopened_report() {
                        self.fetch_log();
                        return Err(BoardError::Firmware {
                            board: self.name.clone(),
                            report,
                        });
                    }
                }
                self.fetch_log();
                Err(self.err(&e))
            }
        }
    }

    /// The agent's handshake.
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    /// Check every scenario's timing against `tol` (the board file's
    /// `[timing]`): each figure outside it fails the scenario.
    pub fn with_tolerances(mut self, tol: TimingSection) -> Self {
        self.tolerances = Some(tol);
        self
    }

    fn err(&self, e: &LinkError) -> BoardError {
        link_error(&self.name, e)
    }

    /// Move the agent's trace to the host, so its bounded buffer never
    /// overflows across steps.
    fn fetch_events(&mut self) -> Result<(), BoardError> {
        let trace = self.link.events().map_err(|e| self.err(&e))?;
        self.link.clear_events().map_err(|e| self.err(&e))?;
        if trace.lost > 0 {
            return Err(BoardError::Link {
                board: self.name.clone(),
                message: format!(
                    "one step overflowed the agent's trace ({} events lost, it keeps {}): split the step",
                    trace.lost, self.hello.event_capacity
                ),
            });
        }
        self.trace.extend(trace.events);
        // The log too, so what led up to a crash is on the host before
        // the reset wipes the agent's RAM.
        self.fetch_log();
        Ok(())
    }
}

fn link_error(board: &str, e: &LinkError) -> BoardError {
    match e {
        LinkError::Timeout { .. } | LinkError::NoAgent { .. } => BoardError::Timeout {
            board: board.into(),
            what: e.to_string(),
            timeout: Duration::ZERO,
        },
        LinkError::AgentRestarted { .. } => BoardError::Firmware {
            board: board.into(),
            report: e.to_string(),
        },
        _ => BoardError::Link {
            board: board.into(),
            message: e.to_string(),
        },
    }
}

impl<P: Read + Write> Board for AgentBoard<P> {
    fn name(&self) -> &str {
        &self.name
    }

    fn snapshot_policy(&self) -> SnapshotPolicy {
        self.policy.clone()
    }

    fn capabilities(&self) -> CapabilitySet {
        self.capabilities
    }

    fn limits(&self) -> Option<crate::limits::Limits> {
        Some(crate::limits::Limits::from_hello(&self.hello))
    }

    /// Close any stream, clear the trace, default sensor. The card is the
    /// board's real card: it is not reformatted, and the setup's card
    /// profile and capacity do not apply (scenarios truncate what they
    /// write).
    /// Reset the agent; an agent with a timing model for its card gets
    /// the scenario's profile and seed.
    fn begin(&mut self, setup: &Setup) -> Result<(), BoardError> {
        self.budget.fps = 30;
        self.trace.clear();
        let result = self.link.reset();
        self.after(result)?;
        if self.hello.capabilities.has(Capabilities::CARD_PROFILE) {
            let result = self.link.card_timing(&setup.card.profile, setup.seed);
            self.after(result)?;
        }
        Ok(())
    }

    fn set_deadline(&mut self, deadline: Option<std::time::Instant>) {
        self.deadline = deadline;
    }

    /// The step's own budget, cut short by the scenario's deadline: a step
    /// still running then is cancelled (the link's bytes after the deadline
    /// stop the agent's wait) and fails with [`BoardError::Timeout`].
    fn run(&mut self, step: u32, op: &Op) -> Result<Outcome, BoardError> {
        let budget = self.budget.timeout(op);
        let left = self
            .deadline
            .map(|d| d.saturating_duration_since(std::time::Instant::now()));
        let (timeout, cut) = match left {
            Some(left) if left < budget => (left, true),
            _ => (budget, false),
        };
        let result = self.link.run(step, op, timeout);
        if cut && matches!(result, Err(LinkError::Timeout { .. })) {
            self.fetch_log();
            return Err(BoardError::Timeout {
                board: self.name.clone(),
                what: format!(
                    "step {step}: cancelled at the scenario's overall timeout (timeout_s)"
                ),
                timeout,
            });
        }
        let result = self.after(result)?;
        self.budget.observe(op);
        self.fetch_events()?;
        Ok(result.outcome)
    }

    fn take_events(&mut self) -> Result<Vec<Event>, BoardError> {
        self.fetch_events()?;
        Ok(std::mem::take(&mut self.trace))
    }

    fn download(&mut self, path: &str) -> Result<Option<Vec<u8>>, BoardError> {
        match self.link.stat(path) {
            Ok(_) => {}
            Err(LinkError::Agent(e)) if e.kind == ProtoErrorKind::File => return Ok(None),
            Err(e) => return Err(self.err(&e)),
        }
        self.link.download(path).map(Some).map_err(|e| self.err(&e))
    }

    /// `[[upload]]`: the agent writes the file in `MAX_UPLOAD_CHUNK` pieces.
    fn upload(&mut self, path: &str, data: &[u8]) -> Result<(), BoardError> {
        self.link.upload(path, data).map_err(|e| self.err(&e))
    }

    /// Timing figures (redacted in snapshots) against the tolerances.
    fn timing(&self, scenario: &Scenario, capture: &Capture) -> Option<TimingReport> {
        let tol = self.tolerances.as_ref()?;
        let source = format!("hil/boards/{}.toml [timing]", self.name);
        Some(tolerance::report(&source, tol, scenario, capture))
    }

    fn take_log(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }

    fn take_probe_log(&mut self) -> Vec<String> {
        self.probe_log
            .as_ref()
            .map(|log| log.take())
            .unwrap_or_default()
    }

    fn end(&mut self) -> Result<(), BoardError> {
        self.fetch_log();
        let result = self.link.reset();
        self.after(result)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use omv_proto::{ReadArgs, SensorSettings};

    #[test]
    fn step_deadlines_grow_with_the_board_time_a_step_asks_for() {
        let mut b = StepBudget {
            base: Duration::from_secs(10),
            fps: 30,
        };
        assert_eq!(b.timeout(&Op::Sync), Duration::from_secs(10));
        // 900 frames at 30 fps = 30 s of board time, doubled.
        let rec = Op::Record { frames: 900 };
        let t = b.timeout(&rec);
        assert!(
            t >= Duration::from_secs(69) && t <= Duration::from_secs(71),
            "{t:?}"
        );
        b.observe(&Op::Sensor(SensorSettings {
            fps: Some(0),
            ..Default::default()
        }));
        assert_eq!(b.fps, 0);
        assert_eq!(
            b.timeout(&Op::Record { frames: 10 }),
            Duration::from_secs(11)
        );
        // A settings step without fps keeps the rate.
        b.observe(&Op::Sensor(SensorSettings::default()));
        assert_eq!(b.fps, 0);
        assert_eq!(
            b.timeout(&Op::Sleep { us: 2_000_000 }),
            Duration::from_secs(14)
        );
        let open = Op::Replay {
            frames: None,
            args: ReadArgs::default(),
        };
        assert_eq!(b.timeout(&open), Duration::from_secs(610));
    }

    /// The real agent loop (`omv_agent::serve`, as flashed on the H7) on
    /// one end of a PTY pair, with a RAM card; `board` is its hello name.
    fn agent(port: serialport::TTYPort, board: &'static str) -> std::thread::JoinHandle<()> {
        use omv_agent::{serve, BoardInfo, HostRig};
        use omv_imageio::ManualClock;
        std::thread::spawn(move || {
            let mut rig = HostRig::new(16 << 20, 160 * 1024, 256 * 1024);
            let mut ex = rig.executor(ManualClock::new(0));
            let info = BoardInfo {
                board,
                firmware: "agent-h7 (host test)",
            };
            let _ = serve(&mut omv_link::EmbeddedIo(port), &mut ex, &info);
        })
    }

    fn connect(board: &'static str) -> Result<AgentBoard<serialport::TTYPort>, BoardError> {
        let (mut host, dev) = serialport::TTYPort::pair().unwrap();
        serialport::SerialPort::set_timeout(&mut host, Duration::from_millis(20)).unwrap();
        let _agent = agent(dev, board);
        AgentBoard::connect(
            "h7",
            Link::new(host),
            Duration::from_secs(5),
            Duration::from_secs(10),
            SnapshotPolicy::default(),
        )
    }

    #[test]
    fn a_scenario_runs_through_the_board_interface_against_the_real_agent() {
        use omv_proto::bounded;
        let mut b = connect("h7").unwrap();
        assert_eq!(b.name(), "h7");
        assert_eq!(
            b.capabilities().to_string(),
            "files, memory, power-cut, write-limit, upload"
        );
        b.begin(&Setup {
            scenario: "t".into(),
            seed: 1,
            card: Default::default(),
        })
        .unwrap();
        let steps = [
            Op::Sensor(SensorSettings {
                width: Some(32),
                height: Some(24),
                fps: Some(0),
                ..Default::default()
            }),
            Op::OpenFile {
                path: bounded("/sdcard/h7.bin"),
                mode: bounded("w"),
                write_version: None,
            },
            Op::Record { frames: 3 },
            Op::Close,
        ];
        for (i, op) in steps.iter().enumerate() {
            let out = b.run(i as u32 + 1, op).unwrap();
            assert!(matches!(out, Outcome::Ok(_)), "step {i}: {out:?}");
        }
        let events = b.take_events().unwrap();
        assert!(!events.is_empty());
        assert!(b.take_events().unwrap().is_empty(), "events are taken once");
        let file = b.download("/sdcard/h7.bin").unwrap().unwrap();
        assert_eq!(&file[..11], b"OMV IMG STR");
        assert_eq!(b.download("/sdcard/none.bin").unwrap(), None);
        b.end().unwrap();
    }

    #[test]
    fn the_runner_captures_a_seed_scenario_and_its_timing_is_within_tolerance() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let scenario = Scenario::load(&root.join("hil/scenarios/seed-record.toml")).unwrap();
        let tol = TimingSection {
            quantum_us: 0,
            fps_step: 1.0,
            frame_interval_us: 0,
            replay_error_us: 0,
            // The sensor period is a whole number of µs (33 333 at 30 fps).
            fps_percent: 0.01,
            dropped_frames: Some(0),
        };
        let mut b = connect("h7").unwrap().with_tolerances(tol);
        let cap = crate::runner::capture(&mut b, &scenario, 0).unwrap();
        let written = cap
            .events
            .iter()
            .filter(|e| matches!(e.kind, omv_proto::EventKind::FrameWritten { .. }))
            .count();
        assert_eq!(written, 30);
        let file = cap.files[0].bytes.as_ref().unwrap();
        assert_eq!(&file[..11], b"OMV IMG STR");
        // The agent's clock is exact here, so even (near) zero tolerances hold.
        let timing = b.timing(&scenario, &cap).unwrap();
        assert_eq!(timing.failures(), Vec::<String>::new());
        assert_eq!(timing.source, "hil/boards/h7.toml [timing]");
        assert_eq!(timing.figures.len(), 3, "{}", timing.text());
    }

    #[test]
    fn an_agent_that_is_another_board_is_refused() {
        let err = connect("qemu").unwrap_err().to_string();
        assert!(
            err.contains("says it is board `qemu`") && err.contains("--port"),
            "{err}"
        );
    }
}
