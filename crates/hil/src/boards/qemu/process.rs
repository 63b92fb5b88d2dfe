//! One QEMU process: started in a scratch directory ([`scratch_dir`]), its
//! PTY found on its output, killed when dropped (a `std::process::Child` is
//! not), and killed with the harness however the harness ends
//! ([`spawn_tied`]).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

mod output;
mod scratch;

use output::watch;
pub use output::StdoutReader;
pub use scratch::{scratch_dir, scratch_dir_in, sweep_stale, PREFIX as SCRATCH_PREFIX};

/// The command that installs QEMU on Debian/Ubuntu, quoted in errors.
pub const INSTALL_HINT: &str = "sudo apt-get install qemu-system-arm";

/// How to start QEMU for the agent firmware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QemuCommand {
    /// The emulator binary (`qemu-system-arm`, or a path).
    pub program: String,
    /// The machine (`mps2-an500`).
    pub machine: String,
    /// The firmware ELF (`-kernel`).
    pub elf: PathBuf,
    /// A card image loaded into PSRAM before the CPU starts, and its address.
    pub card: Option<(PathBuf, u64)>,
    /// Working directory (semihosting paths are relative to it).
    pub workdir: PathBuf,
    /// How long QEMU may take to announce its PTY.
    pub start_timeout: Duration,
    /// Words for the firmware's semihosting command line
    /// (`-semihosting-config ...,arg=W`), e.g. `link=semihosting`.
    pub firmware_args: Vec<String>,
    /// `-icount` options (e.g. `shift=0,sleep=on`): guest time from the
    /// instruction count, so host load cannot make the firmware late.
    pub icount: Option<String>,
    /// Hand QEMU's stdout after the PTY line to the caller
    /// ([`QemuProcess::take_stdout`]) instead of the log: the firmware's
    /// semihosting output, the fast response path.
    pub forward_stdout: bool,
}

impl QemuCommand {
    /// The arguments given to the emulator.
    pub fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = [
            "-M",
            &self.machine,
            "-display",
            "none",
            "-monitor",
            "none",
            "-serial",
            "pty",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut semihosting = String::from("enable=on,target=native");
        if !self.firmware_args.is_empty() {
            // The first word is the program name, as in argv.
            semihosting.push_str(",arg=agent-qemu");
            for word in &self.firmware_args {
                semihosting.push_str(",arg=");
                semihosting.push_str(word);
            }
        }
        args.push("-semihosting-config".into());
        args.push(semihosting);
        if let Some(icount) = &self.icount {
            args.push("-icount".into());
            args.push(icount.clone());
        }
        if let Some((card, addr)) = &self.card {
            args.push("-device".into());
            args.push(format!("loader,file={},addr={addr:#x}", card.display()));
        }
        args.push("-kernel".into());
        args.push(self.elf.display().to_string());
        args
    }
}

/// QEMU could not be started or stopped as asked.
#[derive(Debug, thiserror::Error)]
pub enum QemuError {
    /// The emulator binary is not installed (or not on `PATH`).
    #[error("`{program}` was not found: install QEMU with `{INSTALL_HINT}` (or set `qemu` in hil/boards/qemu.toml)")]
    NotInstalled {
        /// The binary looked for.
        program: String,
    },
    /// The emulator could not be started.
    #[error("could not start `{program}`: {source}")]
    Spawn {
        /// The binary.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// QEMU did not print its PTY path in time.
    #[error("QEMU did not announce its serial PTY within {timeout:?} (is `{program}` working? try `{INSTALL_HINT}`); its output:\n{output}")]
    StartTimeout {
        /// The binary.
        program: String,
        /// How long we waited.
        timeout: Duration,
        /// What it printed.
        output: String,
    },
    /// QEMU ended before announcing its PTY.
    #[error("QEMU exited ({status}) before announcing its serial PTY; its output:\n{output}")]
    ExitedEarly {
        /// How it ended.
        status: String,
        /// What it printed.
        output: String,
    },
    /// QEMU did not exit in time when asked to.
    #[error("QEMU did not exit within {timeout:?}")]
    ExitTimeout {
        /// How long we waited.
        timeout: Duration,
    },
    /// Waiting for the process failed.
    #[error("waiting for QEMU failed: {0}")]
    Wait(std::io::Error),
}

/// How long an emulator that exited may take to have its output read to
/// the end (a reader thread is behind only when the host is loaded).
const READERS_WAIT: Duration = Duration::from_secs(5);

/// A running QEMU, killed (and reaped) on drop.
#[derive(Debug)]
pub struct QemuProcess {
    child: Child,
    pty: PathBuf,
    output: Arc<Mutex<String>>,
    exited: Option<ExitStatus>,
    stdout: Option<StdoutReader>,
}

/// The path in QEMU's "char device redirected to /dev/pts/N (label serial0)".
pub fn parse_pty_line(line: &str) -> Option<PathBuf> {
    let rest = line.split("char device redirected to ").nth(1)?;
    let path = rest.split_whitespace().next()?;
    path.starts_with('/').then(|| PathBuf::from(path))
}

impl QemuProcess {
    /// Starts QEMU and waits (at most `start_timeout`) for its PTY path.
    /// On any failure the process is killed before returning.
    pub fn spawn(cmd: &QemuCommand) -> Result<Self, QemuError> {
        let mut command = Command::new(&cmd.program);
        command
            .args(cmd.args())
            .current_dir(&cmd.workdir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = spawn_tied(command).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => QemuError::NotInstalled {
                program: cmd.program.clone(),
            },
            _ => QemuError::Spawn {
                program: cmd.program.clone(),
                source,
            },
        })?;
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let mut stdout = None;
        if let Some(out) = child.stdout.take() {
            let (log, tx) = (output.clone(), tx.clone());
            let forward = cmd.forward_stdout.then(|| {
                let (ftx, frx) = mpsc::channel();
                stdout = Some(StdoutReader::new(frx));
                ftx
            });
            std::thread::spawn(move || watch(out, log, tx, forward));
        }
        if let Some(err) = child.stderr.take() {
            let (log, tx) = (output.clone(), tx.clone());
            std::thread::spawn(move || watch(err, log, tx, None));
        }
        drop(tx);
        let mut process = QemuProcess {
            child,
            pty: PathBuf::new(),
            output,
            exited: None,
            stdout,
        };
        let deadline = Instant::now() + cmd.start_timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left.min(Duration::from_millis(50))) {
                Ok(pty) => {
                    process.pty = pty;
                    return Ok(process);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // Both streams closed: QEMU is exiting or gone.
                    let status = process.wait_exit(Duration::from_secs(2));
                    return Err(QemuError::ExitedEarly {
                        status: match status {
                            Ok(s) => s.to_string(),
                            Err(e) => e.to_string(),
                        },
                        output: process.output(),
                    });
                }
            }
            if let Ok(Some(status)) = process.child.try_wait() {
                process.exited = Some(status);
                // The output is complete once both readers have seen the
                // end of their stream (their senders dropped): wait for
                // that, not for a guess at how long they take.
                // (A PTY line among the last output changes nothing.)
                let drained = Instant::now() + READERS_WAIT;
                while rx
                    .recv_timeout(drained.saturating_duration_since(Instant::now()))
                    .is_ok()
                {}
                return Err(QemuError::ExitedEarly {
                    status: status.to_string(),
                    output: process.output(),
                });
            }
            if left.is_zero() {
                return Err(QemuError::StartTimeout {
                    program: cmd.program.clone(),
                    timeout: cmd.start_timeout,
                    output: process.output(),
                });
            }
        }
    }

    /// The PTY of the firmware's UART0.
    pub fn pty(&self) -> &Path {
        &self.pty
    }

    /// QEMU's stdout after the PTY line (once; only with `forward_stdout`).
    pub fn take_stdout(&mut self) -> Option<StdoutReader> {
        self.stdout.take()
    }

    /// The operating-system process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// What QEMU printed so far (truncated to 16 KiB).
    pub fn output(&self) -> String {
        self.output.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The exit status if QEMU has ended.
    pub fn try_status(&mut self) -> Result<Option<ExitStatus>, QemuError> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait().map_err(QemuError::Wait)?;
        }
        Ok(self.exited)
    }

    /// Waits at most `timeout` for QEMU to exit by itself (e.g. after the
    /// firmware's semihosting exit).
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus, QemuError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_status()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                return Err(QemuError::ExitTimeout { timeout });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Kills QEMU (if still running) and reaps it.
    pub fn kill(&mut self) {
        if self.exited.is_some() {
            return;
        }
        // Fails only if it has already exited; reaping below handles both.
        let _ = self.child.kill();
        self.exited = self.child.wait().ok();
    }
}

impl Drop for QemuProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A command for the spawner thread, and where its child goes.
type SpawnJob = (Command, mpsc::Sender<std::io::Result<Child>>);

/// The spawner thread's queue (started on first use).
static SPAWNER: OnceLock<Option<mpsc::Sender<SpawnJob>>> = OnceLock::new();

/// Starts `command` so that it dies with the harness. It stays in the
/// harness's process group (a Ctrl-C in the terminal reaches it too), and
/// on Linux it gets SIGKILL when the harness ends, however it ends
/// (`PR_SET_PDEATHSIG`: a SIGKILLed harness runs no destructor, and QEMU
/// would otherwise live on until it next writes to a closed pipe).
/// Linux sends that signal when the *thread* that forked the child ends,
/// so every emulator is forked by one thread that lives as long as the
/// harness, whichever thread asks.
pub fn spawn_tied(mut command: Command) -> std::io::Result<Child> {
    #[cfg(target_os = "linux")]
    die_with_harness(&mut command);
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnJob>();
        std::thread::Builder::new()
            .name("qemu-spawner".into())
            .spawn(move || {
                for (mut command, reply) in rx {
                    // The asker gave up waiting: nobody owns the child.
                    if let Err(mpsc::SendError(Ok(mut child))) = reply.send(command.spawn()) {
                        let _ = child.kill();
                        let _ = child.wait();
                    }
                }
            })
            .ok()
            .map(|_| tx)
    });
    let gone = || std::io::Error::other("the thread that starts QEMU is gone");
    let spawner = spawner.as_ref().ok_or_else(gone)?;
    let (reply, answer) = mpsc::channel();
    spawner.send((command, reply)).map_err(|_| gone())?;
    // A fork and exec: far below this unless the host is stuck.
    const SPAWN_WAIT: Duration = Duration::from_secs(30);
    match answer.recv_timeout(SPAWN_WAIT) {
        Ok(child) => child,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("starting the process took more than {SPAWN_WAIT:?}"),
        )),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(gone()),
    }
}

/// Asks for SIGKILL in the child when its parent (the spawner thread, so
/// the harness) ends.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn die_with_harness(command: &mut Command) {
    use nix::{errno::Errno, sys::prctl, sys::signal::Signal, unistd};
    use std::os::unix::process::CommandExt;
    let harness = unistd::Pid::this();
    // SAFETY: the hook runs in the forked child before exec; it makes two
    // system calls (prctl, getppid), both async-signal-safe, and allocates
    // nothing (a raw OS error is not boxed).
    unsafe {
        command.pre_exec(move || {
            prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)?;
            // The harness died between fork and prctl: no signal will come.
            if unistd::getppid() != harness {
                return Err(Errno::ESRCH.into());
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn pty_line_is_parsed_whatever_the_number() {
        assert_eq!(
            parse_pty_line("char device redirected to /dev/pts/17 (label serial0)\n"),
            Some(PathBuf::from("/dev/pts/17"))
        );
        assert_eq!(
            parse_pty_line("qemu-system-arm: -serial pty: char device redirected to /dev/pts/3 (label serial0)"),
            Some(PathBuf::from("/dev/pts/3"))
        );
        assert_eq!(parse_pty_line("VNC server running on 127.0.0.1:5900"), None);
        assert_eq!(parse_pty_line("char device redirected to "), None);
    }

    fn command(program: &str, workdir: &Path) -> QemuCommand {
        QemuCommand {
            program: program.into(),
            machine: "mps2-an500".into(),
            elf: PathBuf::from("fw.elf"),
            card: Some((PathBuf::from("card.img"), 0x6000_0000)),
            workdir: workdir.to_path_buf(),
            start_timeout: Duration::from_secs(2),
            firmware_args: vec!["link=semihosting".into()],
            icount: Some("shift=0,sleep=on".into()),
            forward_stdout: true,
        }
    }

    #[test]
    fn args_load_the_card_into_psram_and_use_a_pty() {
        let args = command("qemu-system-arm", Path::new(".")).args().join(" ");
        assert!(args.contains("-M mps2-an500"), "{args}");
        assert!(args.contains("-serial pty"), "{args}");
        assert!(args.contains("-monitor none"), "{args}");
        assert!(
            args.contains(
                "-semihosting-config enable=on,target=native,arg=agent-qemu,arg=link=semihosting"
            ),
            "{args}"
        );
        assert!(
            args.contains("-device loader,file=card.img,addr=0x60000000"),
            "{args}"
        );
        assert!(args.contains("-icount shift=0,sleep=on"), "{args}");
        assert!(args.ends_with("-kernel fw.elf"), "{args}");
    }

    #[test]
    fn a_missing_emulator_names_the_install_command() {
        let dir = std::env::temp_dir();
        let err = QemuProcess::spawn(&command("qemu-system-arm-does-not-exist", &dir))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("apt-get install qemu-system-arm"), "{err}");
    }
}

#[cfg(all(test, unix))]
mod fake_tests;
