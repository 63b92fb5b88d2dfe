//! Who owns a board's review files (`golden/<board>/*.snap.new`): the run
//! holding `target/hil/<board>/review.lock`. The lock is the operating
//! system's advisory file lock (`flock` on Linux), so it is released when
//! its run ends, however it ends (a killed run leaves no stale lock).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

/// The lock file's name, under `target/hil/<board>/`.
pub const REVIEW_LOCK: &str = "review.lock";

/// Held by the one run that may write and remove `golden/<board>/*.snap.new`;
/// released on drop.
#[derive(Debug)]
pub struct ReviewLock {
    path: PathBuf,
    _file: File,
}

impl ReviewLock {
    /// `<root>/target/hil/<board>/review.lock`: beside the board's runs in
    /// the checkout whose `golden/` it guards, wherever `--out` puts them.
    pub fn path(root: &Path, board: &str) -> PathBuf {
        root.join("target/hil").join(board).join(REVIEW_LOCK)
    }

    /// Take the review lock of `board` in the checkout at `root` for run
    /// `run_id`, without waiting. `Ok(Err(owner))` if another run holds it:
    /// `owner` is what that run wrote in the file (its run id and process
    /// id).
    pub fn try_acquire(root: &Path, board: &str, run_id: &str) -> io::Result<Result<Self, String>> {
        let path = Self::path(root, board);
        let context = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(context)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(context)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut owner = String::new();
                let _ = file.read_to_string(&mut owner);
                let owner = owner.trim();
                return Ok(Err(if owner.is_empty() {
                    "another run".to_owned()
                } else {
                    owner.to_owned()
                }));
            }
            Err(TryLockError::Error(e)) => return Err(context(e)),
        }
        file.set_len(0).map_err(context)?;
        file.rewind().map_err(context)?;
        writeln!(file, "run {run_id} (pid {})", std::process::id()).map_err(context)?;
        Ok(Ok(ReviewLock { path, _file: file }))
    }

    /// The lock file.
    pub fn file(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn one_run_at_a_time_owns_a_boards_review_files() {
        let root = tempfile::tempdir().unwrap();
        let first = ReviewLock::try_acquire(root.path(), "sim", "run-a")
            .unwrap()
            .unwrap();
        assert_eq!(first.file(), root.path().join("target/hil/sim/review.lock"));
        let owner = ReviewLock::try_acquire(root.path(), "sim", "run-b")
            .unwrap()
            .unwrap_err();
        assert!(owner.starts_with("run run-a (pid "), "{owner}");
        // Another board's files are another lock.
        assert!(ReviewLock::try_acquire(root.path(), "qemu", "run-b")
            .unwrap()
            .is_ok());
        drop(first);
        let second = ReviewLock::try_acquire(root.path(), "sim", "run-b").unwrap();
        assert!(second.is_ok());
    }
}
