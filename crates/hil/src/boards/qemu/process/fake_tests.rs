//! [`QemuProcess`] against stand-in emulators (shell scripts): start
//! timeouts, early exits, the PTY line, forwarding, and dying with a
//! SIGKILLed harness.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;

/// A stand-in emulator: a shell script with the given body.
fn fake(dir: &Path, body: &str) -> String {
    let path = dir.join("fake-qemu");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

fn command(program: String, dir: &Path, timeout_ms: u64) -> QemuCommand {
    QemuCommand {
        program,
        machine: "mps2-an500".into(),
        elf: dir.join("fw.elf"),
        card: None,
        workdir: dir.to_path_buf(),
        start_timeout: Duration::from_millis(timeout_ms),
        firmware_args: Vec::new(),
        icount: None,
        forward_stdout: true,
    }
}

/// A stand-in emulator running `body` in a fresh directory (its workdir),
/// started with a start timeout of `timeout_ms`; keep the directory while
/// the process runs.
fn start(body: &str, timeout_ms: u64) -> (tempfile::TempDir, Result<QemuProcess, QemuError>) {
    let dir = tempfile::tempdir().unwrap();
    let program = fake(dir.path(), body);
    let started = QemuProcess::spawn(&command(program, dir.path(), timeout_ms));
    (dir, started)
}

fn alive(pid: u32) -> bool {
    // A reaped process has no /proc entry; a zombie would say "Z".
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.contains(") Z "))
        .unwrap_or(false)
}

/// The start timeout of stand-ins that are expected to print the PTY line
/// or exit: far beyond what a shell takes even on a loaded host, so only a
/// hang trips it.
const START: u64 = 30_000;

/// A stand-in that never prints the PTY line: a typed error that quotes
/// its output (and says how to install QEMU, or how it exited). The hang's
/// timeout is the one the test expects to pass, but its output must be
/// read before it does: seconds, so that a shell slow to start on a loaded
/// host has printed by then.
#[rstest::rstest]
#[case::a_start_that_hangs_times_out_and_leaves_nothing_running(
    "echo starting; exec sleep 30",
    3000,
    |e: &QemuError| matches!(e, QemuError::StartTimeout { .. }),
    &["starting", "apt-get install qemu-system-arm"]
)]
#[case::an_early_exit_reports_status_and_output(
    "echo 'qemu: unsupported machine' >&2; exit 3",
    START,
    |e: &QemuError| matches!(e, QemuError::ExitedEarly { .. }),
    &["unsupported machine", "3"]
)]
// Output still being read when the exit is seen (a reader thread behind,
// here a child that writes after its parent exited) is quoted too.
#[case::an_early_exit_quotes_its_output_to_the_end(
    "(sleep 0.5; echo 'qemu: last words' >&2) & exit 3",
    START,
    |e: &QemuError| matches!(e, QemuError::ExitedEarly { .. }),
    &["last words", "3"]
)]
fn a_start_without_a_pty_line_fails(
    #[case] body: &str,
    #[case] timeout_ms: u64,
    #[case] is: fn(&QemuError) -> bool,
    #[case] quoted: &[&str],
) {
    let (_dir, started) = start(body, timeout_ms);
    let err = started.unwrap_err();
    let text = err.to_string();
    assert!(is(&err), "{text}");
    for q in quoted {
        assert!(text.contains(q), "{q:?} is not quoted: {text}");
    }
}

#[test]
fn the_pty_is_found_and_drop_kills_the_emulator() {
    let (_dir, started) = start(
        "echo 'char device redirected to /dev/pts/42 (label serial0)'; exec sleep 30",
        START,
    );
    let process = started.unwrap();
    assert_eq!(process.pty(), Path::new("/dev/pts/42"));
    let pid = process.id();
    assert!(alive(pid));
    drop(process);
    assert!(!alive(pid), "the emulator must not outlive its guard");
}

#[test]
fn stdout_after_the_pty_line_is_forwarded_raw() {
    let (_dir, started) = start("printf 'char device redirected to /dev/pts/9 (label serial0)\\n\\000\\001\\nxyz'; exec sleep 30", START);
    let mut process = started.unwrap();
    let mut out = process.take_stdout().unwrap();
    // Waits that expect bytes (or the end) are a safety net against a
    // hang; the one that expects nothing (the stand-in sleeps) is short.
    let expect_bytes = Duration::from_secs(30);
    out.set_timeout(expect_bytes);
    let mut got = Vec::new();
    let mut buf = [0u8; 16];
    while got.len() < 6 {
        let n = out.read(&mut buf).unwrap();
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, b"\x00\x01\nxyz");
    out.set_timeout(Duration::from_millis(300));
    let err = out.read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    out.set_timeout(expect_bytes);
    drop(process);
    // QEMU gone: end of stream.
    assert_eq!(out.read(&mut buf).unwrap(), 0);
}

#[test]
fn wait_exit_times_out_on_a_running_emulator() {
    let (_dir, started) = start(
        "echo 'char device redirected to /dev/pts/1 (label serial0)'; exec sleep 30",
        START,
    );
    let mut process = started.unwrap();
    let err = process.wait_exit(Duration::from_millis(50)).unwrap_err();
    assert!(matches!(err, QemuError::ExitTimeout { .. }), "{err}");
}

/// Set for [`harness_child`]: the directory it makes its scratch dir in.
const HARNESS_ENV: &str = "OMV_HIL_TEST_HARNESS_DIR";

/// Not run by itself (ignored): the harness that
/// [`a_sigkilled_harness_takes_its_emulator_along_and_its_dir_is_swept`]
/// starts as a child process and kills. Makes a scratch directory, starts
/// a stand-in emulator from another thread (which then ends), writes the
/// emulator's pid, and waits to be killed (at most 60 s).
#[test]
#[ignore = "run as a child process by a_sigkilled_harness_takes_its_emulator_along_and_its_dir_is_swept"]
fn harness_child() {
    let parent = PathBuf::from(std::env::var_os(HARNESS_ENV).expect("run by the parent test"));
    let scratch = scratch_dir_in(&parent).unwrap();
    let program = fake(
        scratch.path(),
        "echo 'char device redirected to /dev/pts/42 (label serial0)'; exec sleep 60",
    );
    let cmd = command(program, scratch.path(), START);
    // Started from a thread that ends: the emulator must outlive it.
    let process = std::thread::spawn(move || QemuProcess::spawn(&cmd).unwrap())
        .join()
        .unwrap();
    let tmp = parent.join("emulator.pid.tmp");
    std::fs::write(&tmp, process.id().to_string()).unwrap();
    std::fs::rename(&tmp, parent.join("emulator.pid")).unwrap();
    std::thread::sleep(Duration::from_secs(60));
}

/// Waits (at most `limit`) for `done`.
fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

#[test]
fn a_sigkilled_harness_takes_its_emulator_along_and_its_dir_is_swept() {
    use nix::unistd::{getpgid, Pid};
    let parent = tempfile::tempdir().unwrap();
    let mut harness = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "boards::qemu::process::fake_tests::harness_child",
        ])
        .env(HARNESS_ENV, parent.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid_file = parent.path().join("emulator.pid");
    let started = wait_for(Duration::from_secs(30), || {
        pid_file.exists() || harness.try_wait().ok().flatten().is_some()
    });
    assert!(
        started && pid_file.exists(),
        "the child harness did not start an emulator"
    );
    let emulator: u32 = std::fs::read_to_string(&pid_file).unwrap().parse().unwrap();
    assert!(
        alive(emulator),
        "the emulator outlives the thread that started it"
    );
    let group = |pid: u32| getpgid(Some(Pid::from_raw(pid as i32))).unwrap();
    assert_eq!(
        group(emulator),
        group(harness.id()),
        "the emulator is in the harness's process group"
    );
    harness.kill().unwrap(); // SIGKILL: no destructor runs.
    harness.wait().unwrap();
    assert!(
        wait_for(Duration::from_secs(10), || !alive(emulator)),
        "the emulator (pid {emulator}) outlived its SIGKILLed harness"
    );
    let stale = format!("{SCRATCH_PREFIX}{}-", harness.id());
    let left: Vec<PathBuf> = std::fs::read_dir(parent.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&stale))
        .map(|e| e.path())
        .collect();
    assert_eq!(left.len(), 1, "the killed harness left its scratch dir");
    // The next start sweeps it.
    let next = scratch_dir_in(parent.path()).unwrap();
    assert!(!left[0].exists(), "{} was not swept", left[0].display());
    assert!(next.path().is_dir());
}
