//! The `qemu` board: the agent firmware (`firmware/qemu`, package
//! `agent-qemu`) under `qemu-system-arm -M mps2-an500`, driven over UART0
//! exposed as a PTY.
//!
//! Per scenario the board formats a fresh card image (`omv-fatstore`, the
//! simulator's geometry for the scenario's capacity; its first 8 MiB are
//! loaded into PSRAM, the rest lives in the image file, which the firmware
//! reads and writes through semihosting), sends the scenario's card timing
//! profile (the agent's RAM disk applies the simulator's `omv-sdtiming`
//! model on its clock),
//! starts QEMU in a scratch directory with the image loaded into the first half of the PSRAM,
//! finds the PTY on QEMU's output, opens it with `serialport` and speaks
//! `omv-proto` to the agent through `omv-link` (the same [`AgentBoard`] as
//! the `h7` board). QEMU is killed when the scenario ends, when anything
//! fails and when the board is dropped; it never outlives the board.
//!
//! Responses travel back over the PTY or, by default, over QEMU's stdout
//! through batched semihosting writes (`[serial] responses` in
//! `hil/boards/qemu.toml`): a 4.6 MB stream downloads in ~1 s instead of
//! ~18 s. Requests always use the UART.

pub mod card;
pub mod config;
#[cfg(test)]
mod fault_tests;
pub mod port;
pub mod process;
#[cfg(test)]
mod size;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

use omv_proto::{Event, Op, Outcome};

use crate::board::{Board, BoardError, Setup, SnapshotPolicy, TimingPolicy};
use crate::boards::firmware;
use crate::boards::serial::AgentBoard;
use crate::boards::{tolerance, BoardFile, BoardOptions};
use crate::capture::Capture;
use crate::scenario::Scenario;
use crate::timing::TimingReport;

pub use config::{QemuConfig, Responses};
pub use port::QemuPort;
pub use process::{QemuCommand, QemuError, QemuProcess, INSTALL_HINT};

/// The board's name.
pub const NAME: &str = "qemu";

/// The firmware's semihosting command-line word that sends responses over
/// QEMU's stdout (`firmware/qemu/src/link.rs`).
pub const SEMIHOSTING_RESPONSES_ARG: &str = "link=semihosting";

/// The firmware's semihosting command-line word giving the card's size in
/// blocks and its image file, `card=<blocks>@<file>`
/// (`firmware/qemu/src/ramdisk.rs`): blocks past the PSRAM live in the file.
pub const CARD_ARG: &str = "card=";

fn setup_error(message: impl std::fmt::Display) -> BoardError {
    BoardError::Setup {
        board: NAME.into(),
        message: message.to_string(),
    }
}

/// How long [`QemuBoard::crash_test`] waits for the firmware's report: a
/// hang first spins through the watchdog's 4 s of guest time, which under
/// `-icount` can take several times that on a loaded host.
pub const CRASH_TIMEOUT: Duration = Duration::from_secs(90);

/// One QEMU run: the agent behind its link, the emulator, its scratch
/// directory. Fields drop in order: port closed, QEMU killed, files removed.
struct Session {
    agent: AgentBoard<QemuPort>,
    qemu: QemuProcess,
    scratch: tempfile::TempDir,
    card_kib: u64,
    /// [`QemuBoard::preload`] generation the card was made with.
    files_gen: u64,
    /// A step ran since the start: the card is no longer fresh.
    used: bool,
}

impl Session {
    fn start(
        config: &QemuConfig,
        elf: &Path,
        card_kib: u64,
        files: &[(String, Vec<u8>)],
        files_gen: u64,
    ) -> Result<Session, BoardError> {
        // Named by this process; stale ones of killed runs are swept.
        let scratch = process::scratch_dir()
            .map_err(|e| setup_error(format!("cannot create a scratch directory: {e}")))?;
        let image =
            card::image_with_files(card_kib, config.card.max_kib, files).map_err(setup_error)?;
        let card = scratch.path().join("card.img");
        std::fs::write(&card, image)
            .map_err(|e| setup_error(format!("cannot write {}: {e}", card.display())))?;
        let mut command = config.command(elf, Some(&card), scratch.path());
        // The card's full size, and the image file holding what is past
        // the PSRAM (firmware/qemu/src/ramdisk.rs).
        command
            .firmware_args
            .push(format!("{CARD_ARG}{}@card.img", card_kib.saturating_mul(2)));
        let mut qemu = QemuProcess::spawn(&command).map_err(setup_error)?;
        let stdout = qemu.take_stdout();
        let port = QemuPort::open(qemu.pty(), config.serial.baud, stdout).map_err(|e| {
            setup_error(format!(
                "QEMU announced {} but it cannot be opened: {e}",
                qemu.pty().display()
            ))
        })?;
        let link = omv_link::Link::new(port);
        let agent = AgentBoard::connect(
            NAME,
            link,
            Duration::from_millis(config.serial.hello_timeout_ms),
            Duration::from_millis(config.serial.reply_timeout_ms),
            snapshot_policy(config),
        )
        .map_err(|e| with_emulator_state(e, &mut qemu))?;
        Ok(Session {
            agent,
            qemu,
            scratch,
            card_kib,
            files_gen,
            used: false,
        })
    }
}

/// If QEMU has died, say so (with its exit code and output: a firmware
/// panic prints there) instead of a bare link error.
fn with_emulator_state(e: BoardError, qemu: &mut QemuProcess) -> BoardError {
    // Give a dying emulator a moment to be reaped.
    let status = qemu
        .wait_exit(Duration::from_millis(200))
        .ok()
        .map(|s| s.to_string());
    match status {
        Some(status) => BoardError::Link {
            board: NAME.into(),
            message: format!(
                "{e}; QEMU exited ({status}; 3 = idle for minutes, 4 = setup failed, 5 = host link closed; faults and panics reset and are reported in the next hello). Its output:\n{}",
                qemu.output()
            ),
        },
        None => e,
    }
}

/// How `qemu` captures become snapshots: content is deterministic (the
/// pattern sensor), timing is the host's real time, bucketed or redacted.
pub fn snapshot_policy(config: &QemuConfig) -> SnapshotPolicy {
    SnapshotPolicy {
        timing: if config.timing.quantum_us == 0 {
            TimingPolicy::Redact
        } else {
            TimingPolicy::Bucket {
                quantum_us: config.timing.quantum_us,
                fps_step: config.timing.fps_step,
            }
        },
        content_hashes: true,
    }
}

/// Where the `qemu` board's tolerances are read from.
pub const TOLERANCES: &str = "hil/boards/qemu.toml [timing]";

/// The timing figures of `capture` against the board file's tolerances.
pub fn timing_report(
    timing: &config::TimingSection,
    scenario: &Scenario,
    capture: &Capture,
) -> TimingReport {
    tolerance::report(TOLERANCES, timing, scenario, capture)
}

/// The `qemu` board.
pub struct QemuBoard {
    config: QemuConfig,
    elf: PathBuf,
    out_dir: PathBuf,
    capabilities: crate::board::CapabilitySet,
    /// The agent's frame buffer and memory region (from its hello).
    limits: crate::limits::Limits,
    session: Option<Session>,
    scenario: String,
    /// Files written into every card image from the next `begin` on.
    files: Vec<(String, Vec<u8>)>,
    /// Bumped by every `preload`, so a card made before it is not reused.
    files_gen: u64,
    /// Agent log lines of stopped sessions, not yet taken.
    log: Vec<String>,
    /// The scenario's overall deadline, handed to every session's agent.
    deadline: Option<std::time::Instant>,
}

impl std::fmt::Debug for QemuBoard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QemuBoard")
            .field("elf", &self.elf)
            .field("running", &self.session.is_some())
            .finish_non_exhaustive()
    }
}

impl QemuBoard {
    /// Starts QEMU once with `elf` (a fresh default card) to learn the
    /// agent's capabilities; that session serves the first scenario.
    pub fn start(config: QemuConfig, elf: PathBuf, out_dir: PathBuf) -> Result<Self, BoardError> {
        let kib = crate::scenario::Card::default().capacity_kib;
        let session = Session::start(&config, &elf, kib, &[], 0)?;
        let capabilities = session.agent.capabilities();
        let limits = crate::limits::Limits::from_hello(session.agent.hello());
        Ok(QemuBoard {
            config,
            elf,
            out_dir,
            capabilities,
            limits,
            session: Some(session),
            scenario: String::new(),
            files: Vec::new(),
            files_gen: 0,
            log: Vec::new(),
            deadline: None,
        })
    }

    /// Ask a firmware built with `fault-test` to crash (see
    /// [`AgentBoard::crash_test`]); QEMU is stopped after it.
    pub fn crash_test(&mut self, kind: omv_proto::CrashKind) -> Result<(), BoardError> {
        let result = self.with_agent(|a| a.crash_test(kind, CRASH_TIMEOUT));
        self.stop();
        result
    }

    /// Puts `bytes` at `path` (e.g. `/sdcard/replay.bin`) on the card of
    /// every scenario from the next [`begin`](Board::begin) on, written on
    /// the host into the card image: the fast way to hand the firmware a
    /// stream to replay (the emulated UART carries ~10 KB/s towards it).
    pub fn preload(&mut self, path: impl Into<String>, bytes: Vec<u8>) {
        let path = path.into();
        self.files.retain(|(p, _)| *p != path);
        self.files.push((path, bytes));
        self.files_gen = self.files_gen.wrapping_add(1);
    }

    /// The PTY of the running emulator, if any (for tests and logs).
    pub fn pty(&self) -> Option<&Path> {
        self.session.as_ref().map(|s| s.qemu.pty())
    }

    /// The running emulator's process id, if any.
    pub fn qemu_pid(&self) -> Option<u32> {
        self.session.as_ref().map(|s| s.qemu.id())
    }

    /// The running agent's handshake, if any.
    pub fn hello(&self) -> Option<&omv_proto::Hello> {
        self.session.as_ref().map(|s| s.agent.hello())
    }

    fn session(&mut self) -> Result<&mut Session, BoardError> {
        self.session.as_mut().ok_or_else(|| BoardError::Link {
            board: NAME.into(),
            message: "QEMU is not running (begin() was not called or failed)".into(),
        })
    }

    /// Runs `f` on the agent; a failure stops QEMU (after reading its state).
    fn with_agent<T>(
        &mut self,
        f: impl FnOnce(&mut AgentBoard<QemuPort>) -> Result<T, BoardError>,
    ) -> Result<T, BoardError> {
        let deadline = self.deadline;
        let session = self.session()?;
        session.used = true;
        session.agent.set_deadline(deadline);
        match f(&mut session.agent) {
            Ok(v) => Ok(v),
            Err(e) => {
                let e = with_emulator_state(e, &mut session.qemu);
                self.stop();
                Err(e)
            }
        }
    }

    /// Saves QEMU's output next to the captures, then kills it.
    fn stop(&mut self) {
        if let Some(mut session) = self.session.take() {
            self.log.extend(session.agent.take_log());
            session.qemu.kill();
            if !self.scenario.is_empty() && std::fs::create_dir_all(&self.out_dir).is_ok() {
                let log = self.out_dir.join(format!("{}.qemu.log", self.scenario));
                // A missing log only loses diagnostics.
                let _ = std::fs::write(log, session.qemu.output());
            }
            drop(session.scratch);
        }
    }
}

impl Board for QemuBoard {
    fn name(&self) -> &str {
        NAME
    }

    fn snapshot_policy(&self) -> SnapshotPolicy {
        snapshot_policy(&self.config)
    }

    fn capabilities(&self) -> crate::board::CapabilitySet {
        self.capabilities
    }

    fn limits(&self) -> Option<crate::limits::Limits> {
        Some(self.limits)
    }

    /// Timing figures (redacted in snapshots) against `[timing]` in
    /// `hil/boards/qemu.toml`.
    fn timing(&self, scenario: &Scenario, capture: &Capture) -> Option<TimingReport> {
        Some(timing_report(&self.config.timing, scenario, capture))
    }

    /// A fresh card formatted for the scenario's capacity (stored up to the
    /// PSRAM's size, see [`card`]), a freshly booted agent: QEMU is
    /// restarted unless the running one is unused and has the right card.
    fn begin(&mut self, setup: &Setup) -> Result<(), BoardError> {
        let kib = setup.card.capacity_kib;
        let reusable = self
            .session
            .as_ref()
            .is_some_and(|s| !s.used && s.card_kib == kib && s.files_gen == self.files_gen);
        if !reusable {
            self.stop();
        }
        self.scenario = setup.scenario.clone();
        if self.session.is_none() {
            self.session = Some(Session::start(
                &self.config,
                &self.elf,
                kib,
                &self.files,
                self.files_gen,
            )?);
        }
        let setup = setup.clone();
        self.with_agent(|a| a.begin(&setup))
    }

    /// A step still running at the deadline is cancelled and QEMU stopped.
    fn set_deadline(&mut self, deadline: Option<std::time::Instant>) {
        self.deadline = deadline;
    }

    fn run(&mut self, step: u32, op: &Op) -> Result<Outcome, BoardError> {
        self.with_agent(|a| a.run(step, op))
    }

    fn take_events(&mut self) -> Result<Vec<Event>, BoardError> {
        self.with_agent(|a| a.take_events())
    }

    fn download(&mut self, path: &str) -> Result<Option<Vec<u8>>, BoardError> {
        self.with_agent(|a| a.download(path))
    }

    /// `[[upload]]`: written by the running agent onto its card (the
    /// agent's hello says `upload`).
    fn upload(&mut self, path: &str, data: &[u8]) -> Result<(), BoardError> {
        self.with_agent(|a| a.upload(path, data))
    }

    fn take_log(&mut self) -> Vec<String> {
        if let Some(session) = &mut self.session {
            self.log.extend(session.agent.take_log());
        }
        std::mem::take(&mut self.log)
    }

    /// Stops QEMU (after fetching the agent's log): the next scenario gets
    /// a fresh emulator and card.
    fn end(&mut self) -> Result<(), BoardError> {
        if let Some(session) = &mut self.session {
            session.agent.fetch_log();
        }
        self.stop();
        Ok(())
    }
}

impl Drop for QemuBoard {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Builds the firmware (a no-op when up to date) and starts the board.
pub fn open(file: &BoardFile, opts: &BoardOptions) -> Result<Box<dyn Board>, BoardError> {
    let config = QemuConfig::read(file).map_err(setup_error)?;
    let elf = match &opts.probe.elf {
        Some(elf) => elf.clone(),
        None => firmware::build(&config.firmware_build(&opts.root)).map_err(setup_error)?,
    };
    Ok(Box::new(QemuBoard::start(
        config,
        elf,
        opts.out_dir.clone(),
    )?))
}

/// What `--dry-run` would do on the `qemu` board: the build and the
/// emulator command line.
pub fn dry_run(file: &BoardFile, opts: &BoardOptions) -> Result<String, BoardError> {
    let config = QemuConfig::read(file).map_err(setup_error)?;
    let build = config.firmware_build(&opts.root);
    let (build_line, elf) = match &opts.probe.elf {
        Some(elf) => (format!("none (--elf {})", elf.display()), elf.clone()),
        None => (build.command_line(), build.elf()),
    };
    let scratch = Path::new("<scratch>");
    let command = config.command(&elf, Some(&scratch.join("card.img")), scratch);
    let responses = match config.serial.responses {
        Responses::Uart => "the PTY",
        Responses::Semihosting => "QEMU's stdout (semihosting)",
    };
    Ok(format!(
        "build:  {build_line}\n\
         start:  per scenario, in a scratch directory with a fresh card image (omv-fatstore, the scenario's capacity, stored up to {} KiB):\n        \
         {} {}\n\
         link:   requests to the PTY QEMU announces, responses from {responses}; omv-proto, hello within {} ms, each step within {} ms\n\
         stop:   QEMU is killed at the end of each scenario and on any failure\n\
         dry run: nothing was built or started\n",
        config.card.max_kib,
        command.program,
        command.args().join(" "),
        config.serial.hello_timeout_ms,
        config.serial.reply_timeout_ms,
    ))
}
