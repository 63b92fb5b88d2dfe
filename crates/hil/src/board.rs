//! The one interface the runner uses for every board: `sim` (in-process),
//! `qemu` and `h7` (the agent over a serial line).
//!
//! A board runs a scenario as a sequence of [`omv_proto::Op`]s and answers
//! each with an [`omv_proto::Outcome`]; it keeps a timing trace of
//! [`omv_proto::Event`]s stamped with its own clock, and gives back the
//! files a scenario produced. An `Outcome::Err` is the *step* failing (an
//! expected or unexpected stream error); a [`BoardError`] is the *board*
//! failing (link down, timeout, emulator gone) and aborts the scenario.

use std::time::Duration;

use omv_proto::{Event, Op, Outcome};

use crate::capture::Capture;
use crate::scenario::{Capability, Card, Scenario};
use crate::timing::TimingReport;

/// What a board can do, as a typed set of [`Capability`]s (scenarios'
/// `needs = [...]`). A firmware board's set is its agent's own `hello`
/// ([`CapabilitySet::from_hello`]), so a firmware that cannot do
/// something never claims it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CapabilitySet(u32);

/// Each capability an agent's `hello` can announce, by its flag.
const HELLO_FLAGS: [(u32, Capability); 7] = [
    (omv_proto::Capabilities::FILES, Capability::Files),
    (omv_proto::Capabilities::MEMORY, Capability::Memory),
    (omv_proto::Capabilities::POWER_CUT, Capability::PowerCut),
    (omv_proto::Capabilities::WRITE_LIMIT, Capability::WriteLimit),
    (omv_proto::Capabilities::UPLOAD, Capability::Upload),
    (omv_proto::Capabilities::JPEG, Capability::Jpeg),
    (
        omv_proto::Capabilities::CARD_PROFILE,
        Capability::CardProfile,
    ),
];

impl CapabilitySet {
    /// No capability.
    pub const EMPTY: CapabilitySet = CapabilitySet(0);

    fn bit(c: Capability) -> u32 {
        let i = Capability::ALL.iter().position(|x| *x == c).unwrap_or(0);
        1 << i
    }

    /// The capabilities an agent's handshake announces.
    pub fn from_hello(c: omv_proto::Capabilities) -> CapabilitySet {
        HELLO_FLAGS
            .iter()
            .filter(|(flag, _)| c.has(*flag))
            .map(|(_, cap)| *cap)
            .collect()
    }

    /// This set and `c`.
    pub fn with(self, c: Capability) -> CapabilitySet {
        CapabilitySet(self.0 | Self::bit(c))
    }

    /// Whether the set holds `c`.
    pub fn contains(self, c: Capability) -> bool {
        self.0 & Self::bit(c) != 0
    }

    /// The capabilities held, in [`Capability::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Capability> {
        Capability::ALL
            .iter()
            .copied()
            .filter(move |c| self.contains(*c))
    }
}

impl FromIterator<Capability> for CapabilitySet {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        iter.into_iter()
            .fold(CapabilitySet::EMPTY, CapabilitySet::with)
    }
}

impl std::fmt::Display for CapabilitySet {
    /// The names, comma-separated (`files, memory`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.iter().map(Capability::name).collect();
        f.write_str(&names.join(", "))
    }
}

/// What a board needs to know before the first step of a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    /// The scenario's name (for logs and scratch directories).
    pub scenario: String,
    /// The content seed (`--seed` or the scenario's `seed`).
    pub seed: u64,
    /// The SD card: timing profile and capacity. Boards with a real or
    /// fixed card use what they can (a RAM disk ignores the profile).
    pub card: Card,
}

/// How a board's captured values are turned into stable snapshot text.
/// The simulator is exact; emulators and hardware redact or bucket what
/// legitimately varies.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotPolicy {
    /// Timing figures (times, fps, lateness) in snapshots.
    pub timing: TimingPolicy,
    /// Payload hashes are kept (`true`) or replaced by `[redacted]`, e.g. a
    /// live camera image on hardware.
    pub content_hashes: bool,
}

/// How timing values appear in snapshots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimingPolicy {
    /// Exact values (deterministic boards: `sim`).
    Exact,
    /// Rounded to multiples of `quantum_us` (times) and `fps_step` (rates).
    Bucket {
        /// Time quantum in µs.
        quantum_us: u64,
        /// Rate quantum in frames per second.
        fps_step: f64,
    },
    /// Replaced by `[redacted]` in the golden text; the runner still judges
    /// them against the board's tolerances ([`Board::timing`]) and the
    /// capture's `summary.txt` shows them as measured.
    Redact,
}

impl Default for SnapshotPolicy {
    fn default() -> Self {
        SnapshotPolicy {
            timing: TimingPolicy::Exact,
            content_hashes: true,
        }
    }
}

/// A board failed (not a step): the scenario is aborted and reported as an
/// error with this message.
#[derive(Debug, thiserror::Error)]
pub enum BoardError {
    /// The board does not exist or is not implemented yet.
    #[error("board `{board}` is not supported yet: {reason}")]
    NotSupported {
        /// The board's name.
        board: String,
        /// What is missing.
        reason: String,
    },
    /// The board could not be started or prepared for a scenario.
    #[error("board `{board}` could not be set up: {message}")]
    Setup {
        /// The board's name.
        board: String,
        /// What failed and how to fix it.
        message: String,
    },
    /// No answer within the allowed time.
    #[error("board `{board}`: no answer to {what} within {timeout:?}")]
    Timeout {
        /// The board's name.
        board: String,
        /// What was waited for.
        what: String,
        /// How long.
        timeout: Duration,
    },
    /// The firmware faulted, panicked or was reset by its watchdog: what it
    /// recorded before the reset (`firmware fault: HardFault at PC ...`).
    #[error("board `{board}`: {report}")]
    Firmware {
        /// The board's name.
        board: String,
        /// The firmware's report and what the host was waiting for.
        report: String,
    },
    /// The link to the board failed (serial error, protocol error, process gone).
    #[error("board `{board}`: link failed: {message}")]
    Link {
        /// The board's name.
        board: String,
        /// What failed.
        message: String,
    },
}

/// A board the runner can drive.
pub trait Board {
    /// The board's name, as in `hil/boards/<name>.toml` (`sim`, `qemu`, `h7`).
    fn name(&self) -> &str;

    /// How this board's captures are made stable for snapshots.
    fn snapshot_policy(&self) -> SnapshotPolicy {
        SnapshotPolicy::default()
    }

    /// Capabilities a scenario may need (`needs = [...]`): files (a card),
    /// memory (memory streams), power-cut, write-limit, upload,
    /// card-profile (the card's timing follows the scenario's `[card]
    /// profile`, so recording rates mean something), as the board's agent
    /// announces them. Scenarios needing one the board lacks are skipped on it.
    fn capabilities(&self) -> CapabilitySet {
        CapabilitySet::EMPTY
    }

    /// The frame buffer and memory-stream region of the board's agent, if
    /// it has fixed ones (the firmware boards; `sim` has none): scenarios
    /// that need more are skipped ([`crate::limits`]).
    fn limits(&self) -> Option<crate::limits::Limits> {
        None
    }

    /// Prepare a fresh run: a newly formatted card, a reset clock and
    /// sensor, no open stream, an empty trace.
    fn begin(&mut self, setup: &Setup) -> Result<(), BoardError>;

    /// Use `model` (the scenario's `[sensor]` `startup_us`, `jitter_us`,
    /// `buffers`) for the sensor from the next configuration on; called
    /// after [`begin`](Self::begin), before the setup step. Boards whose
    /// sensor cannot take one (no `sensor-model` capability) accept only
    /// the agent's default model.
    fn sensor_model(&mut self, model: &omv_agent::SensorModel) -> Result<(), BoardError> {
        if *model == omv_agent::SensorModel::default() {
            return Ok(());
        }
        Err(BoardError::NotSupported {
            board: self.name().to_owned(),
            reason: "its sensor has no start-up delay, jitter or buffer setting (capability `sensor-model`)".into(),
        })
    }

    /// Show the pictures of host folder `dir` (PNG/JPEG, `[sensor] source`)
    /// instead of the pattern content, from the next configuration on;
    /// called after [`begin`](Self::begin). Only boards with the `footage`
    /// capability can.
    fn footage(&mut self, _dir: &std::path::Path) -> Result<(), BoardError> {
        Err(BoardError::NotSupported {
            board: self.name().to_owned(),
            reason: "its sensor cannot show host pictures (capability `footage`)".into(),
        })
    }

    /// Write `data` to the file `path` on the board's card (created or
    /// truncated), after [`begin`](Self::begin): `[[upload]]`. Only boards
    /// with the `upload` capability can.
    fn upload(&mut self, _path: &str, _data: &[u8]) -> Result<(), BoardError> {
        Err(BoardError::NotSupported {
            board: self.name().to_owned(),
            reason: "it cannot put files on its card (capability `upload`)".into(),
        })
    }

    /// The scenario must be over by `deadline` (its overall timeout): a
    /// step still running then is cancelled and fails with
    /// [`BoardError::Timeout`]. Boards that cannot cancel a step ignore it
    /// (the runner still stops before the next step).
    fn set_deadline(&mut self, _deadline: Option<std::time::Instant>) {}

    /// Run one step. `step` is its 1-based number in the scenario (0 for
    /// the runner's own setup steps) and tags the trace events it causes.
    fn run(&mut self, step: u32, op: &Op) -> Result<Outcome, BoardError>;

    /// The trace events since the last call, in board-time order.
    fn take_events(&mut self) -> Result<Vec<Event>, BoardError>;

    /// The bytes of a file on the board's card, `None` if it does not exist.
    fn download(&mut self, path: &str) -> Result<Option<Vec<u8>>, BoardError>;

    /// Board-specific checks of a finished capture. Each returned line
    /// fails the scenario and is shown as is.
    fn check(&self, _scenario: &Scenario, _capture: &Capture) -> Vec<String> {
        Vec::new()
    }

    /// The capture's timing figures against the tolerances in the board
    /// file, for boards whose snapshots redact or bucket timing (`qemu`,
    /// `h7`); `None` where snapshots keep it exact (`sim`). The runner
    /// fails the scenario on each figure outside its tolerance and shows
    /// every figure with its margin in the capture's `summary.txt`, on the
    /// verdict line and in JUnit.
    fn timing(&self, _scenario: &Scenario, _capture: &Capture) -> Option<TimingReport> {
        None
    }

    /// The agent's log lines since the last call (`[seconds] text`, board
    /// time), fetched over the link; saved beside the capture, and their
    /// tail shown when a scenario fails. Boards without a log give none.
    fn take_log(&mut self) -> Vec<String> {
        Vec::new()
    }

    /// The agent's log read through a debug probe since the last call
    /// (the h7's defmt over RTT), if the board reads one; saved beside
    /// the capture as `agent-rtt.log`.
    fn take_probe_log(&mut self) -> Vec<String> {
        Vec::new()
    }

    /// The scenario is over (passed or not): release what `begin` took.
    fn end(&mut self) -> Result<(), BoardError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn capabilities_come_from_the_hello_flags() {
        use omv_proto::Capabilities as C;
        let c = CapabilitySet::from_hello(C(C::FILES | C::MEMORY | C::POWER_CUT));
        assert_eq!(c.to_string(), "files, memory, power-cut");
        assert!(c.contains(Capability::Memory) && !c.contains(Capability::Upload));
        assert_eq!(CapabilitySet::from_hello(C(0)), CapabilitySet::EMPTY);
        // Every flag the protocol has maps to its own capability.
        let all = CapabilitySet::from_hello(C(u32::MAX));
        assert_eq!(all.iter().count(), HELLO_FLAGS.len());
        assert_eq!(
            all.with(Capability::Jpeg),
            all,
            "adding a held capability changes nothing"
        );
    }
}
