//! One `cargo xtask hil` run's own directory: `target/hil/<board>/<run-id>/`
//! holds that run's captures (`<run-id>/<scenario>/`) and its failure list,
//! so two runs in one checkout never mix their files.
//! `target/hil/<board>/latest` is a symbolic link to the newest finished run,
//! replaced atomically (a temporary link renamed over it), and only the
//! newest [`KEEP`] runs are kept.
//!
//! A run id is the run's start time in UTC and its process id,
//! `YYYYMMDD-HHMMSS.mmm-<pid>`: ids sort in start order.

use std::fs::{File, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How many run directories a board directory keeps: older ones are pruned
/// when a run finishes.
pub const KEEP: usize = 5;

/// The name of the link to the newest finished run.
pub const LATEST: &str = "latest";

/// The file in a run directory holding the run's outstanding failures
/// (read by `--only-failed`).
pub const LAST_FAILED: &str = "last-failed";

/// Held open (and locked) by a run in progress, so pruning leaves it alone.
const RUNNING: &str = ".running";

/// A run's directory under a board directory (`target/hil/<board>/`).
#[derive(Debug)]
pub struct RunDir {
    board: String,
    id: String,
    path: PathBuf,
    /// Locked while this process runs in it (only for a run it created).
    running: Option<File>,
}

impl RunDir {
    /// Create a new, empty run directory under `board_dir` for a run on
    /// `board` that starts now. It is marked as running until
    /// [`RunDir::finish`] or drop.
    pub fn create(board_dir: &Path, board: &str) -> io::Result<RunDir> {
        std::fs::create_dir_all(board_dir).map_err(|e| with_path(e, "cannot create", board_dir))?;
        let base = new_id(SystemTime::now(), std::process::id());
        for n in 0..100u32 {
            let id = if n == 0 {
                base.clone()
            } else {
                format!("{base}-{n}")
            };
            let path = board_dir.join(&id);
            match std::fs::create_dir(&path) {
                Ok(()) => {
                    let running = File::create(path.join(RUNNING))
                        .map_err(|e| with_path(e, "cannot create", &path))?;
                    // A lock we cannot take only makes the run prunable.
                    let _ = running.try_lock();
                    return Ok(RunDir {
                        board: board.to_owned(),
                        id,
                        path,
                        running: Some(running),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(with_path(e, "cannot create", &path)),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "no free run directory {base}-N under {}",
                board_dir.display()
            ),
        ))
    }

    /// The run `latest` points to under `board_dir`, if there is one.
    pub fn latest(board_dir: &Path, board: &str) -> Option<RunDir> {
        let id = read_latest(board_dir)?;
        Self::open(board_dir, board, &id)
    }

    /// The existing run `id` under `board_dir`.
    pub fn open(board_dir: &Path, board: &str, id: &str) -> Option<RunDir> {
        let path = board_dir.join(id);
        (is_run_id(id) && path.is_dir()).then(|| RunDir {
            board: board.to_owned(),
            id: id.to_owned(),
            path,
            running: None,
        })
    }

    /// Every run under `board_dir`, oldest first.
    pub fn list(board_dir: &Path, board: &str) -> Vec<RunDir> {
        let mut ids = run_ids(board_dir);
        ids.sort();
        ids.iter()
            .filter_map(|id| Self::open(board_dir, board, id))
            .collect()
    }

    /// The run's directory, `target/hil/<board>/<run-id>`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The board the run was on.
    pub fn board(&self) -> &str {
        &self.board
    }

    /// The run id (the directory's name).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Where scenario `name`'s capture goes: `<run>/<name>/`.
    pub fn scenario_dir(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// The scenarios captured in this run (their directories), sorted.
    pub fn scenarios(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.path) else {
            return Vec::new();
        };
        let mut out: Vec<String> = entries
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        out.sort();
        out
    }

    /// This run's failure list (`<run>/last-failed`).
    pub fn last_failed(&self) -> PathBuf {
        self.path.join(LAST_FAILED)
    }

    /// The run is complete: point `latest` at it unless a newer run has
    /// already finished, then prune all but the newest `keep` runs (never a
    /// run still in progress, never the one `latest` names). Returns the
    /// pruned directories.
    pub fn finish(&mut self, keep: usize) -> io::Result<Vec<PathBuf>> {
        let board_dir = self.board_dir();
        {
            // Two runs finishing at once: one compares and replaces at a time.
            let _turn = latest_turn(&board_dir)?;
            if read_latest(&board_dir).is_none_or(|cur| cur <= self.id) {
                point_latest(&board_dir, &self.id)?;
            }
        }
        self.running = None;
        let _ = std::fs::remove_file(self.path.join(RUNNING));
        prune(&board_dir, keep)
    }

    /// Nothing ran (e.g. the board was unavailable): remove the run's
    /// directory; `latest` is left as it was.
    pub fn discard(mut self) -> io::Result<()> {
        self.running = None;
        std::fs::remove_dir_all(&self.path).map_err(|e| with_path(e, "cannot remove", &self.path))
    }

    fn board_dir(&self) -> PathBuf {
        self.path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    }
}

/// Remove all but the newest `keep` runs under `board_dir`; runs in progress
/// (their `.running` file locked by a live process) and the run `latest`
/// names are kept whatever their age. What the layout before run
/// directories left there goes too ([`super::legacy`]). Returns the
/// removed directories and files.
pub fn prune(board_dir: &Path, keep: usize) -> io::Result<Vec<PathBuf>> {
    let mut ids = run_ids(board_dir);
    ids.sort();
    let latest = read_latest(board_dir);
    let old = ids.len().saturating_sub(keep);
    let mut removed = Vec::new();
    for id in &ids[..old] {
        let path = board_dir.join(id);
        if latest.as_deref() == Some(id.as_str()) || in_progress(&path) {
            continue;
        }
        std::fs::remove_dir_all(&path).map_err(|e| with_path(e, "cannot prune", &path))?;
        removed.push(path);
    }
    removed.extend(super::legacy::remove(board_dir)?);
    Ok(removed)
}

/// How long a finishing run waits for another to finish replacing `latest`
/// (which takes a few system calls).
const LATEST_WAIT: Duration = Duration::from_secs(2);

/// Take `<board_dir>/.latest.lock`, waiting at most [`LATEST_WAIT`].
fn latest_turn(board_dir: &Path) -> io::Result<File> {
    let path = board_dir.join(".latest.lock");
    let file = File::create(&path).map_err(|e| with_path(e, "cannot create", &path))?;
    let deadline = Instant::now() + LATEST_WAIT;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(TryLockError::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "{} held by another run for {} s: `latest` not updated",
                        path.display(),
                        LATEST_WAIT.as_secs()
                    ),
                ))
            }
            Err(TryLockError::Error(e)) => return Err(with_path(e, "cannot lock", &path)),
        }
    }
}

/// True if a process holds `<run>/.running` locked.
fn in_progress(run: &Path) -> bool {
    match File::open(run.join(RUNNING)) {
        Ok(f) => f.try_lock_shared().is_err(),
        Err(_) => false,
    }
}

/// The run id `latest` names, if it is a link (or, where links are not
/// available, a file) naming a run directory.
fn read_latest(board_dir: &Path) -> Option<String> {
    let link = board_dir.join(LATEST);
    let target = match std::fs::read_link(&link) {
        Ok(t) => t.to_string_lossy().into_owned(),
        Err(_) => std::fs::read_to_string(&link).ok()?.trim().to_owned(),
    };
    let id = Path::new(&target)
        .file_name()?
        .to_string_lossy()
        .into_owned();
    is_run_id(&id).then_some(id)
}

/// Point `<board_dir>/latest` at run `id`: a new relative link beside it,
/// renamed over the old one (a reader sees the old run or the new one,
/// never none).
fn point_latest(board_dir: &Path, id: &str) -> io::Result<()> {
    let link = board_dir.join(LATEST);
    let tmp = board_dir.join(format!(".{LATEST}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    #[cfg(unix)]
    std::os::unix::fs::symlink(id, &tmp).map_err(|e| with_path(e, "cannot create", &tmp))?;
    #[cfg(not(unix))]
    std::fs::write(&tmp, id).map_err(|e| with_path(e, "cannot create", &tmp))?;
    std::fs::rename(&tmp, &link).map_err(|e| with_path(e, "cannot replace", &link))
}

/// The names under `board_dir` that are run ids.
fn run_ids(board_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(board_dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| is_run_id(n))
        .collect()
}

/// True for `YYYYMMDD-HHMMSS.mmm-<pid>` (with an optional `-N`).
pub fn is_run_id(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() > 20
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'-'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'.'
        && b[16..19].iter().all(u8::is_ascii_digit)
        && b[19] == b'-'
        && b[20..].iter().all(|c| c.is_ascii_digit() || *c == b'-')
}

/// The run id of a run started at `at` by process `pid`.
pub fn new_id(at: SystemTime, pid: u32) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (y, m, d) = civil_from_days(secs / 86_400);
    let t = secs % 86_400;
    format!(
        "{y:04}{m:02}{d:02}-{:02}{:02}{:02}.{:03}-{pid}",
        t / 3600,
        t / 60 % 60,
        t % 60,
        since.subsec_millis()
    )
}

/// Year, month, day of the day `days` after 1970-01-01 (the proleptic
/// Gregorian calendar; H. Hinnant's `civil_from_days`, for days ≥ 0).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

fn with_path(e: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ids_are_utc_start_times_and_sort_in_start_order() {
        let at = UNIX_EPOCH + Duration::from_millis(1_764_584_365_042);
        assert_eq!(new_id(at, 77), "20251201-101925.042-77");
        assert_eq!(new_id(UNIX_EPOCH, 1), "19700101-000000.000-1");
        // 2024-02-29, a leap day.
        assert_eq!(
            new_id(UNIX_EPOCH + Duration::from_secs(1_709_164_800), 5),
            "20240229-000000.000-5"
        );
        let later = new_id(at + Duration::from_millis(1), 3);
        assert!(new_id(at, 77) < later);
        assert!(is_run_id(&later) && is_run_id("20251201-101925.042-77-2"));
        for not in ["latest", "seed-record", "20251201-101925-77", ""] {
            assert!(!is_run_id(not), "{not}");
        }
    }

    #[test]
    fn latest_names_the_newest_finished_run_and_old_runs_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let mut runs: Vec<RunDir> = (0..4)
            .map(|_| RunDir::create(dir.path(), "sim").unwrap())
            .collect();
        assert_eq!(RunDir::list(dir.path(), "sim").len(), 4);
        assert!(RunDir::latest(dir.path(), "sim").is_none());
        std::fs::create_dir(runs[3].scenario_dir("b")).unwrap();
        std::fs::create_dir(runs[3].scenario_dir("a")).unwrap();
        // The newest finishes first; an older one finishing later does not
        // take `latest` from it, and the runs still in progress stay.
        assert!(runs[3].finish(1).unwrap().is_empty());
        assert!(runs[0].finish(1).unwrap().contains(&runs[0].path));
        let latest = RunDir::latest(dir.path(), "sim").unwrap();
        assert_eq!(latest.id(), runs[3].id());
        assert_eq!(latest.scenarios(), ["a", "b"]);
        assert!(runs[1].path().is_dir() && runs[2].path().is_dir());
        runs[1].finish(1).unwrap();
        runs[2].finish(1).unwrap();
        let left: Vec<String> = RunDir::list(dir.path(), "sim")
            .iter()
            .map(|r| r.id().to_owned())
            .collect();
        assert_eq!(left, [runs[3].id()]);
        assert!(std::fs::read_link(dir.path().join(LATEST)).is_ok());
    }
}
