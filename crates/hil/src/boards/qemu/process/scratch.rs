//! Scratch directories of QEMU runs, named `omv-qemu-<pid>-XXXXXX` after
//! the harness process that owns them. A harness killed before it could
//! clean up (SIGKILL: no destructor runs) leaves its directory behind; the
//! next run finds its owner gone and removes it.

use std::io;
use std::path::{Path, PathBuf};

/// The start of every scratch directory's name.
pub const PREFIX: &str = "omv-qemu-";

/// A fresh scratch directory in the system's temporary directory, after
/// removing the stale ones there ([`sweep_stale`]).
pub fn scratch_dir() -> io::Result<tempfile::TempDir> {
    scratch_dir_in(&std::env::temp_dir())
}

/// [`scratch_dir`] in `parent`.
pub fn scratch_dir_in(parent: &Path) -> io::Result<tempfile::TempDir> {
    sweep_stale(parent);
    tempfile::Builder::new()
        .prefix(&format!("{PREFIX}{}-", std::process::id()))
        .tempdir_in(parent)
}

/// Removes every `omv-qemu-<pid>-*` directory in `parent` whose owner
/// `pid` is no longer running, and returns the ones removed. Directories
/// of running harnesses (this one, or another run at the same time) and
/// anything else are left alone, as are those that cannot be removed
/// (another user's). A dead owner's pid taken by a new process keeps its
/// directory until that process ends too.
pub fn sweep_stale(parent: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(owner) else {
            continue;
        };
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if is_dir && !running(pid) && std::fs::remove_dir_all(entry.path()).is_ok() {
            removed.push(entry.path());
        }
    }
    removed
}

/// The owner's pid in a scratch directory's name (`omv-qemu-<pid>-...`).
fn owner(name: &str) -> Option<u32> {
    let (pid, rest) = name.strip_prefix(PREFIX)?.split_once('-')?;
    let pid: u32 = pid.parse().ok()?;
    // Process 0 is no one's: `kill(0, ..)` means the process group.
    (pid > 0 && !rest.is_empty()).then_some(pid)
}

/// Whether process `pid` exists (signal 0: nothing is sent). A process of
/// another user (`EPERM`) is running.
#[cfg(unix)]
fn running(pid: u32) -> bool {
    use nix::errno::Errno;
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(raw), None) {
        Ok(()) | Err(Errno::EPERM) => true,
        Err(_) => false,
    }
}

/// Without a way to ask, every owner is taken to be running.
#[cfg(not(unix))]
fn running(_pid: u32) -> bool {
    true
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn owners_are_read_from_names_of_this_form_only() {
        assert_eq!(owner("omv-qemu-1234-a1B2c3"), Some(1234));
        assert_eq!(owner("omv-qemu-a1B2c3"), None, "an unnamed (old) directory");
        assert_eq!(owner("omv-qemu-0-a1B2c3"), None);
        assert_eq!(owner("omv-qemu-12x-a1B2c3"), None);
        assert_eq!(owner("omv-qemu-1234-"), None);
        assert_eq!(owner("other-1234-a1B2c3"), None);
    }

    /// A pid no process has: one of a child that has exited and been reaped.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    #[test]
    fn only_directories_of_dead_owners_are_swept() {
        let parent = tempfile::tempdir().unwrap();
        let dead = dead_pid();
        let stale = parent.path().join(format!("{PREFIX}{dead}-abcdef"));
        std::fs::create_dir(&stale).unwrap();
        std::fs::write(stale.join("card.img"), b"old").unwrap();
        let live = parent
            .path()
            .join(format!("{PREFIX}{}-abcdef", std::process::id()));
        std::fs::create_dir(&live).unwrap();
        let unnamed = parent.path().join(format!("{PREFIX}abcdef"));
        std::fs::create_dir(&unnamed).unwrap();
        let file = parent.path().join(format!("{PREFIX}{dead}-file"));
        std::fs::write(&file, b"not a directory").unwrap();

        let fresh = scratch_dir_in(parent.path()).unwrap();
        assert!(!stale.exists(), "the dead owner's directory is removed");
        assert!(live.is_dir() && unnamed.is_dir() && file.is_file());
        let name = fresh.path().file_name().unwrap().to_str().unwrap();
        assert_eq!(owner(name), Some(std::process::id()), "{name}");
        assert_eq!(sweep_stale(parent.path()), Vec::<PathBuf>::new());
    }
}
