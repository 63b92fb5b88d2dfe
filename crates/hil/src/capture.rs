//! What a scenario run leaves behind: each step's result, the timing trace,
//! and the stream files it produced, saved under
//! `target/hil/<board>/<run-id>/<scenario>/` (a [`RunDir`] per run;
//! `target/hil/<board>/latest` links to the newest).

pub mod legacy;
mod run_dir;

pub use run_dir::{is_run_id, new_id, prune, RunDir, KEEP, LAST_FAILED, LATEST};

/// Each step's result, one line a step ([`Capture::steps_text`]).
pub const STEPS_FILE: &str = "steps.txt";
/// The timing trace ([`Capture::trace_csv`]).
pub const TRACE_FILE: &str = "trace.csv";
/// The snapshot text with timing as measured (the runner writes it).
pub const SUMMARY_FILE: &str = "summary.txt";
/// The agent's own log, when the board keeps one.
pub const AGENT_LOG_FILE: &str = "agent.log";
/// The agent's defmt log read over RTT (h7 through a probe).
pub const AGENT_RTT_LOG_FILE: &str = "agent-rtt.log";

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use omv_proto::{Event, EventKind, Op, Outcome};

use crate::scenario::Expect;
use crate::stream::StreamTable;

/// One step as it ran.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    /// 1-based step number (0 = the runner's sensor setup).
    pub number: u32,
    /// Line of the step in the scenario file (0 for setup).
    pub line: usize,
    /// The operation.
    pub op: Op,
    /// The operation was repeated for this long (`record` for `seconds`).
    pub for_us: Option<u64>,
    /// What was expected.
    pub expect: Expect,
    /// What the board answered.
    pub outcome: Outcome,
    /// Why the outcome does not meet the expectation, if it does not.
    pub failure: Option<String>,
}

/// A file the scenario produced, downloaded from the board.
#[derive(Debug, Clone, PartialEq)]
pub struct CapturedFile {
    /// Path on the board (`/sdcard/stream.bin`).
    pub board_path: String,
    /// The bytes, or `None` if the file does not exist on the board.
    pub bytes: Option<Vec<u8>>,
}

impl CapturedFile {
    /// The parsed frame table (version, frames, truncated tail), if the file exists.
    pub fn table(&self) -> Option<StreamTable> {
        self.bytes.as_deref().map(StreamTable::parse)
    }

    /// A file name for the local copy: the board path's last component.
    pub fn local_name(&self) -> String {
        let base = self
            .board_path
            .rsplit('/')
            .find(|s| !s.is_empty())
            .unwrap_or("file");
        base.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }
}

/// Everything captured from one scenario run on one board.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    /// The scenario's name.
    pub scenario: String,
    /// The board's name.
    pub board: String,
    /// The content seed used.
    pub seed: u64,
    /// Every step that ran, in order.
    pub steps: Vec<StepRecord>,
    /// The timing trace, board clock.
    pub events: Vec<Event>,
    /// Files the scenario wrote (every path opened with `"w"`).
    pub files: Vec<CapturedFile>,
}

impl Capture {
    /// Write the capture to `dir` (created): each stream file under its own
    /// name, `steps.txt` (each step's result) and `trace.csv` (the timing trace).
    /// Returns the paths written.
    pub fn save(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let mut written = Vec::new();
        for f in &self.files {
            if let Some(bytes) = &f.bytes {
                let p = dir.join(f.local_name());
                std::fs::write(&p, bytes)?;
                written.push(p);
            }
        }
        let p = dir.join(STEPS_FILE);
        std::fs::write(&p, self.steps_text())?;
        written.push(p);
        let p = dir.join(TRACE_FILE);
        std::fs::write(&p, self.trace_csv())?;
        written.push(p);
        Ok(written)
    }

    /// One line per step: number, line, op, outcome, failure.
    pub fn steps_text(&self) -> String {
        let mut out = String::new();
        for s in &self.steps {
            let _ = writeln!(
                out,
                "step {} (line {}): {:?} -> {:?}{}",
                s.number,
                s.line,
                s.op,
                s.outcome,
                s.failure
                    .as_ref()
                    .map(|f| format!("  FAILED: {f}"))
                    .unwrap_or_default()
            );
        }
        out
    }

    /// The trace as CSV: `t_us,step,event,index,seq_or_scheduled_us,payload_len,crc32,captured_us`
    /// (`captured_us`: a written frame's sensor capture time; the run report
    /// plots capture-to-written latency from it).
    pub fn trace_csv(&self) -> String {
        let mut out = String::from(
            "t_us,step,event,index,seq_or_scheduled_us,payload_len,crc32,captured_us\n",
        );
        for e in &self.events {
            let _ = match e.kind {
                EventKind::FrameWritten {
                    index,
                    seq,
                    payload_len,
                    crc32,
                    captured_us,
                } => writeln!(
                    out,
                    "{},{},written,{index},{seq},{payload_len},{crc32:08x},{captured_us}",
                    e.t_us, e.step
                ),
                EventKind::FrameReleased {
                    index,
                    scheduled_us,
                    payload_len,
                    crc32,
                    ..
                } => writeln!(
                    out,
                    "{},{},released,{index},{scheduled_us},{payload_len},{crc32:08x},",
                    e.t_us, e.step
                ),
                EventKind::FramesDropped { count, seq } => {
                    writeln!(out, "{},{},dropped,{count},{seq},,,", e.t_us, e.step)
                }
                EventKind::StepFailed { index } => {
                    writeln!(out, "{},{},failed,{index},,,,", e.t_us, e.step)
                }
            };
        }
        out
    }

    /// Failures of the expectations, in step order.
    pub fn failures(&self) -> Vec<String> {
        self.steps
            .iter()
            .filter_map(|s| {
                s.failure
                    .as_ref()
                    .map(|f| format!("step {} (line {}): {f}", s.number, s.line))
            })
            .collect()
    }
}
