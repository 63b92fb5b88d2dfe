//! The probe's log channel: defmt frames that agent-h7 writes into its RTT
//! buffer (`defmt-rtt`), read through probe-rs while a scenario runs, the
//! way `probe-rs run` does, and decoded with `defmt-decoder` from the
//! ELF's defmt table.
//!
//! [`DefmtTable`] (the ELF's table and the control block's address) is
//! plain code tested without hardware. [`read_log`] opens the probe,
//! attaches without halting or resetting the running agent, finds the
//! control block at the ELF's `_SEGGER_RTT` symbol and polls up channel 0
//! until told to stop or its deadline passes. Every wait has a deadline;
//! without a probe it returns [`ProbeError::NoProbe`](crate::ProbeError::NoProbe) at once.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use defmt_decoder::{DecodeError, Table};
use object::{Object, ObjectSymbol};
use probe_rs::probe::{DebugProbeError, Probe};
use probe_rs::rtt::{Rtt, ScanRegion};
use probe_rs::Permissions;

use crate::error::{chain, Error};
use crate::flasher::{apply_speed, classify_attach_error, SessionError};
use crate::probe::{classify_open_error, select_probe, ProbeEntry, ProbeLister, SystemProbes};
use crate::selector::DebugProbeSelector;
use crate::target;

/// How long to look for the control block after attaching (the agent may
/// still be starting after its reset).
pub const ATTACH_WINDOW: Duration = Duration::from_secs(5);
/// Pause between polls when the channel was empty.
const POLL_IDLE: Duration = Duration::from_millis(10);

/// The defmt log could not be set up from the ELF.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RttError {
    /// The ELF could not be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The ELF.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The ELF has no usable defmt table.
    #[error("{path} has no defmt table{}: was it linked with -Tdefmt.x?", reason_text(.reason))]
    NoTable {
        /// The ELF.
        path: PathBuf,
        /// Why parsing failed, if it did.
        reason: Option<String>,
    },
    /// The ELF has no `_SEGGER_RTT` symbol (no defmt-rtt).
    #[error("{path} has no _SEGGER_RTT symbol: the firmware does not link defmt-rtt")]
    NoControlBlock {
        /// The ELF.
        path: PathBuf,
    },
    /// The control block was not found on the running chip in time.
    #[error("no RTT control block at {address:#010x} within {window:?}: {reason} (is the flashed firmware this ELF?)")]
    NotFound {
        /// Where the ELF says it is.
        address: u64,
        /// How long we looked.
        window: Duration,
        /// probe-rs' last answer.
        reason: String,
    },
    /// Reading the channel failed mid-run.
    #[error("reading RTT failed after {lines} lines: {reason}")]
    Channel {
        /// Lines decoded before.
        lines: u64,
        /// Why.
        reason: String,
    },
}

fn reason_text(reason: &Option<String>) -> String {
    reason
        .as_ref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default()
}

/// The ELF's defmt table and where its RTT control block lives.
#[derive(Debug)]
pub struct DefmtTable {
    /// The decoder's table.
    pub table: Table,
    /// Address of `_SEGGER_RTT`.
    pub control_block: u64,
}

impl DefmtTable {
    /// Parse the table and find `_SEGGER_RTT` in the ELF at `path`.
    pub fn load(path: &Path) -> Result<Self, RttError> {
        let bytes = std::fs::read(path).map_err(|e| RttError::Read {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        Self::parse(path, &bytes)
    }

    /// As [`DefmtTable::load`], from the ELF's bytes (`path` names it in errors).
    pub fn parse(path: &Path, elf: &[u8]) -> Result<Self, RttError> {
        let table = match Table::parse(elf) {
            Ok(Some(t)) => t,
            Ok(None) => {
                return Err(RttError::NoTable {
                    path: path.to_owned(),
                    reason: None,
                })
            }
            Err(e) => {
                return Err(RttError::NoTable {
                    path: path.to_owned(),
                    reason: Some(format!("{e:#}")),
                })
            }
        };
        let no_block = || RttError::NoControlBlock {
            path: path.to_owned(),
        };
        let file = object::File::parse(elf).map_err(|_| no_block())?;
        let control_block = file
            .symbols()
            .find(|s| s.name() == Ok("_SEGGER_RTT"))
            .map(|s| s.address())
            .ok_or_else(no_block)?;
        Ok(DefmtTable {
            table,
            control_block,
        })
    }

    /// One log line per decoded frame in `frames` (raw, unencoded defmt
    /// frames back to back, as `Table::decode` reads them): `LEVEL text`,
    /// or the text alone for `println!` frames.
    pub fn decode_raw(&self, mut frames: &[u8]) -> Result<Vec<String>, DecodeError> {
        let mut lines = Vec::new();
        while !frames.is_empty() {
            let (frame, used) = self.table.decode(frames)?;
            lines.push(line_text(&frame));
            frames = &frames[used..];
        }
        Ok(lines)
    }
}

fn line_text(frame: &defmt_decoder::Frame<'_>) -> String {
    match frame.level() {
        Some(level) => format!(
            "{} {}",
            level.as_str().to_uppercase(),
            frame.display_message()
        ),
        None => frame.display_message().to_string(),
    }
}

/// Where and how to read.
#[derive(Debug, Clone)]
pub struct RttRequest {
    /// The firmware ELF that is running on the chip.
    pub elf: PathBuf,
    /// probe-rs target name.
    pub chip: String,
    /// Which probe; `None` = the only one attached.
    pub probe: Option<DebugProbeSelector>,
    /// SWD clock, kHz.
    pub speed_khz: Option<u32>,
}

/// What a finished read saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RttSummary {
    /// Lines written to the sink.
    pub lines: u64,
    /// Frames that did not decode (dropped, the stream resynchronised).
    pub malformed: u64,
}

/// Whether any probe is attached (listing only: nothing is opened).
pub fn probe_attached(probes: &dyn ProbeLister) -> bool {
    !probes.probes().is_empty()
}

/// Lists probes and opens the one chosen.
pub trait OpenProbe: ProbeLister {
    /// Open `entry`.
    fn open(&self, entry: &ProbeEntry) -> Result<Probe, DebugProbeError>;
}

impl OpenProbe for SystemProbes {
    fn open(&self, entry: &ProbeEntry) -> Result<Probe, DebugProbeError> {
        self.lister().open(entry.selector())
    }
}

/// Read the agent's defmt log over RTT, giving `on_line` one line per frame,
/// until `stop` is set or `deadline` passes. Returns at once with
/// [`ProbeError::NoProbe`](crate::ProbeError::NoProbe) when `probes`
/// lists none, before reading anything else. The read itself is not
/// tested here: it needs a probe and a running agent-h7.
pub fn read_log(
    req: &RttRequest,
    probes: &dyn OpenProbe,
    stop: &AtomicBool,
    deadline: Instant,
    on_line: &mut dyn FnMut(String),
) -> Result<RttSummary, Error> {
    let entry = select_probe(&probes.probes(), req.probe.as_ref())?;
    let defmt = DefmtTable::load(&req.elf)?;
    let target = target::lookup(&req.chip)?;
    let mut probe = probes
        .open(&entry)
        .map_err(|e| classify_open_error(&entry, &e))?;
    apply_speed(&mut probe, &entry, req.speed_khz)?;
    let chip = target.name.clone();
    // A plain attach: the agent keeps running (no halt, no reset).
    let mut session = probe
        .attach(target, Permissions::default())
        .map_err(|e| classify_attach_error(&chip, &entry, &e))?;
    let mut core = session.core(0).map_err(|e| SessionError::Attach {
        chip: chip.clone(),
        reason: chain(&e),
    })?;
    let region = ScanRegion::Exact(defmt.control_block);
    let window_end = (Instant::now() + ATTACH_WINDOW).min(deadline);
    let mut rtt = loop {
        match Rtt::attach_region(&mut core, &region) {
            Ok(rtt) => break rtt,
            Err(e) if Instant::now() >= window_end || stop.load(Ordering::Relaxed) => {
                return Err(RttError::NotFound {
                    address: defmt.control_block,
                    window: ATTACH_WINDOW,
                    reason: chain(&e),
                }
                .into())
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    let mut decoder = defmt.table.new_stream_decoder();
    let recover = defmt.table.encoding().can_recover();
    let mut summary = RttSummary {
        lines: 0,
        malformed: 0,
    };
    let mut buf = vec![0u8; 4096];
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        let Some(up) = rtt.up_channel(0) else {
            return Err(RttError::Channel {
                lines: 0,
                reason: "the control block has no up channel 0".into(),
            }
            .into());
        };
        let n = up
            .read(&mut core, &mut buf)
            .map_err(|e| RttError::Channel {
                lines: summary.lines,
                reason: chain(&e),
            })?;
        if n == 0 {
            std::thread::sleep(POLL_IDLE);
            continue;
        }
        decoder.received(&buf[..n]);
        loop {
            match decoder.decode() {
                Ok(frame) => {
                    summary.lines += 1;
                    on_line(line_text(&frame));
                }
                Err(DecodeError::UnexpectedEof) => break,
                Err(DecodeError::Malformed) if recover => summary.malformed += 1,
                Err(DecodeError::Malformed) => {
                    return Err(RttError::Channel {
                        lines: summary.lines,
                        reason: "a malformed defmt frame in a raw stream (cannot resynchronise)"
                            .into(),
                    }
                    .into())
                }
            }
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::ProbeError;

    /// A machine with no probe: listing gives nothing, opening is refused.
    struct NoProbes;
    impl ProbeLister for NoProbes {
        fn probes(&self) -> Vec<ProbeEntry> {
            Vec::new()
        }
    }
    impl OpenProbe for NoProbes {
        fn open(&self, _: &ProbeEntry) -> Result<Probe, DebugProbeError> {
            Err(DebugProbeError::ProbeCouldNotBeCreated(
                probe_rs::probe::ProbeCreationError::NotFound,
            ))
        }
    }

    fn request(elf: &Path) -> RttRequest {
        RttRequest {
            elf: elf.to_owned(),
            chip: "STM32H743VITx".into(),
            probe: None,
            speed_khz: None,
        }
    }

    #[test]
    fn without_a_probe_the_reader_says_no_probe_and_does_not_wait() {
        // The ELF does not exist and the deadline is an hour away: the
        // reader must stop at the probe list, before the ELF or any wait.
        let stop = AtomicBool::new(false);
        let mut out: Vec<String> = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(3600);
        let err = read_log(
            &request(Path::new("/nonexistent/agent-h7")),
            &NoProbes,
            &stop,
            deadline,
            &mut |l| out.push(l),
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::Probe(ProbeError::NoProbe)),
            "got {err}"
        );
        assert!(out.is_empty());
        assert!(!probe_attached(&NoProbes));
    }

    #[test]
    fn an_elf_without_a_defmt_table_is_refused_with_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("not-an-elf");
        std::fs::write(&path, b"\x7fELF but not really").unwrap();
        let err = DefmtTable::load(&path).unwrap_err();
        assert!(matches!(err, RttError::NoTable { .. }), "got {err}");
        let missing = DefmtTable::load(&dir.path().join("missing")).unwrap_err();
        assert!(matches!(missing, RttError::Read { .. }), "got {missing}");
    }
}
