//! The h7's probe log: while scenarios run on a board flashed with
//! `--flash probe`, a thread reads agent-h7's defmt log over RTT
//! ([`hil_flash::read_log`]) and keeps its lines until the runner takes
//! them for the scenario's `agent-rtt.log`. Without a probe it is never
//! started, and the board's log is the one carried over USB only.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hil_flash::{read_log, RttRequest, SystemProbes};

use crate::boards::serial::ProbeLog;

/// The longest a reader runs (a whole `cargo xtask hil` run is far
/// shorter); it stops earlier when the board is dropped.
pub const MAX_READ: Duration = Duration::from_secs(4 * 3600);

/// A running RTT reader and the lines it has decoded.
#[derive(Debug)]
pub struct RttLog {
    lines: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RttLog {
    /// Start reading from the agent described by `req` (flashed, running).
    /// A reader that cannot attach or stops on an error leaves one line
    /// saying why in the log.
    pub fn start(req: RttRequest) -> Self {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (l, s) = (Arc::clone(&lines), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let push = |line: String| {
                l.lock().unwrap_or_else(PoisonError::into_inner).push(line);
            };
            let deadline = Instant::now() + MAX_READ;
            let result = read_log(&req, &SystemProbes::new(), &s, deadline, &mut |line| {
                push(line)
            });
            match result {
                Ok(sum) if sum.malformed > 0 => push(format!(
                    "(rtt reader: {} malformed defmt frames dropped)",
                    sum.malformed
                )),
                Ok(_) => {}
                Err(e) => push(format!(
                    "(rtt reader stopped: {})",
                    hil_flash::error::chain(&e)
                )),
            }
        });
        RttLog {
            lines,
            stop,
            thread: Some(thread),
        }
    }
}

impl ProbeLog for RttLog {
    /// The lines decoded since the last call.
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.lines.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Drop for RttLog {
    /// Stop the reader; it checks the flag at least every 100 ms.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
