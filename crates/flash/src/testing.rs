//! Fixtures the crate's unit tests share: an ELF on disk (and the
//! arguments naming it), a listed probe,
//! the host's probes when none is attached, and a text check.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use crate::elf::test_elf;
use crate::plan::FlashArgs;
use crate::probe::{ProbeEntry, ProbeLister, SystemProbes};

/// [`test_elf`] written to `dir/name`; its path.
pub(crate) fn write_test_elf(
    dir: &Path,
    name: &str,
    entry: u32,
    segments: &[(u32, &[u8])],
) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, test_elf(entry, segments)).unwrap();
    path
}

/// `--elf` only: an agent ELF of `segments` written to `dir/name`.
pub(crate) fn agent_args(
    dir: &Path,
    name: &str,
    entry: u32,
    segments: &[(u32, &[u8])],
) -> FlashArgs {
    FlashArgs {
        elf: write_test_elf(dir, name, entry, segments),
        ..Default::default()
    }
}

/// An accessible ST-LINK V3 with these ids, as listed.
pub(crate) fn test_probe(vid: u16, pid: u16, serial: &str) -> ProbeEntry {
    ProbeEntry {
        name: "STLink V3".into(),
        vid,
        pid,
        serial: Some(serial.into()),
        accessible: true,
    }
}

/// The host's probes when none is attached, for the checks that must stop
/// at the no-probe error; `None` (and a note) on a machine with a probe.
pub(crate) fn system_probes_if_none() -> Option<SystemProbes> {
    let probes = SystemProbes::new();
    if probes.probes().is_empty() {
        Some(probes)
    } else {
        eprintln!("a probe is attached; skipping the no-probe check");
        None
    }
}

/// Panics, showing `text`, unless it contains every one of `needles`.
pub(crate) fn assert_contains_all<S: AsRef<str>>(text: &str, needles: &[S]) {
    for needle in needles {
        let needle = needle.as_ref();
        assert!(text.contains(needle), "lacks {needle:?}:\n{text}");
    }
}
