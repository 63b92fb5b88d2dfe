//! A loaded host cannot make the agent under QEMU late (issue 10.5): the
//! emulator is stopped (SIGSTOP) for 100 ms out of every 200 ms while it
//! replays a recording with `pause = true`, as a host too busy to schedule
//! it would; the replay still keeps the recorded schedule within the board
//! file's tolerance, in the agent's (guest) time. Under `-icount
//! shift=0,sleep=on` the guest clock runs with the host's real time while
//! the firmware sleeps, so a wake-up the host delivers late would show as
//! lateness; the agent's clock takes each wait's overshoot out
//! (firmware/qemu/src/clock.rs). Needs `qemu-system-arm`.
#![cfg(all(target_os = "linux", feature = "qemu"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod common;

use common::qemu::{config, root};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use omv_hil::boards::qemu::QemuBoard;
use omv_hil::runner;
use omv_hil::scenario::Scenario;
use omv_proto::EventKind;

/// The running QEMU children of this process (the board starts one per
/// scenario), from /proc.
fn emulators() -> Vec<i32> {
    let me = std::process::id().to_string();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            // "pid (comm) state ppid ..."
            let Some((comm, rest)) = stat.split_once(") ") else {
                return false;
            };
            let ppid = rest.split_whitespace().nth(1);
            comm.ends_with("(qemu-system-arm") && ppid == Some(me.as_str())
        })
        .collect()
}

#[test]
fn a_stalled_emulator_still_replays_on_schedule() {
    let config = config();
    let tolerance = config.timing.replay_error_us;
    let elf = common::qemu::elf();
    let scenario = Scenario::load(&root().join("hil/scenarios/seed-replay.toml")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut board = QemuBoard::start(config, elf, out.path().to_owned()).unwrap();

    let done = Arc::new(AtomicBool::new(false));
    let stalls = Arc::new(AtomicU32::new(0));
    let staller = {
        let (done, stalls) = (done.clone(), stalls.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(100));
                let pids = emulators();
                for &pid in &pids {
                    let _ = kill(Pid::from_raw(pid), Signal::SIGSTOP);
                }
                std::thread::sleep(Duration::from_millis(100));
                for &pid in &pids {
                    let _ = kill(Pid::from_raw(pid), Signal::SIGCONT);
                }
                if !pids.is_empty() {
                    stalls.fetch_add(1, Ordering::SeqCst);
                }
            }
        })
    };
    let capture = runner::capture(&mut board, &scenario, 1);
    done.store(true, Ordering::SeqCst);
    staller.join().unwrap();
    let capture = capture.unwrap();

    let late: Vec<u64> = capture
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::FrameReleased { scheduled_us, .. } => {
                Some(e.t_us.saturating_sub(scheduled_us))
            }
            _ => None,
        })
        .collect();
    assert_eq!(late.len(), 30, "every recorded frame is replayed");
    // The replay (30 frames at 30 fps) spans at least 1 s of host time.
    assert!(
        stalls.load(Ordering::SeqCst) >= 5,
        "the emulator was stalled"
    );
    let worst = late.iter().copied().max().unwrap_or(0);
    assert!(
        worst <= tolerance,
        "a frame was released {worst} µs late (tolerance {tolerance} µs): host stalls reached the agent's clock; lateness per frame: {late:?}"
    );
}
