//! OpenMV paths (`/sdcard/dir/name.ext`) split into 8.3 components.

use core::fmt;

/// Why a path was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathError {
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad path: {}", self.reason)
    }
}

impl core::error::Error for PathError {}

/// The most directory levels a path may have below the root.
pub const MAX_DEPTH: usize = 4;
/// Longest path accepted, in bytes.
const MAX_LEN: usize = 128;

/// A checked path: up to [`MAX_DEPTH`] directories and a file name, each a
/// non-empty component without `.`/`..`. A leading `/sdcard` (OpenMV's
/// mount point) or `/` is dropped; names are checked as 8.3 when opened.
///
/// ```
/// let p = omv_fatstore::FatPath::parse("/sdcard/rec/stream.bin").unwrap();
/// assert_eq!(p.file_name(), "stream.bin");
/// assert_eq!(p.dirs().collect::<Vec<_>>(), ["rec"]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FatPath<'a> {
    rest: &'a str,
}

impl<'a> FatPath<'a> {
    /// Check `path`.
    pub fn parse(path: &'a str) -> Result<Self, PathError> {
        let bad = |reason| Err(PathError { reason });
        if path.len() > MAX_LEN {
            return bad("longer than 128 bytes");
        }
        let rest = strip_mount(path).trim_start_matches('/');
        if rest.is_empty() {
            return bad("no file name");
        }
        let mut n = 0;
        for c in rest.split('/') {
            if c.is_empty() {
                return bad("empty component (// or a trailing /)");
            }
            if c == "." || c == ".." {
                return bad(". and .. are not supported");
            }
            n += 1;
        }
        if n > MAX_DEPTH + 1 {
            return bad("more than 4 directory levels");
        }
        Ok(FatPath { rest })
    }

    /// The directories, outermost first.
    pub fn dirs(&self) -> impl Iterator<Item = &'a str> {
        let rest = self.rest;
        let end = rest.rfind('/').unwrap_or(0);
        rest[..end].split('/').filter(|c| !c.is_empty())
    }

    /// The file name (last component).
    pub fn file_name(&self) -> &'a str {
        match self.rest.rfind('/') {
            Some(i) => &self.rest[i + 1..],
            None => self.rest,
        }
    }
}

fn strip_mount(path: &str) -> &str {
    const MOUNT: &str = "/sdcard";
    match path.get(..MOUNT.len()) {
        Some(head) if head.eq_ignore_ascii_case(MOUNT) => {
            let tail = &path[MOUNT.len()..];
            if tail.is_empty() || tail.starts_with('/') {
                tail
            } else {
                path
            }
        }
        _ => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    type P<'a> = Result<FatPath<'a>, PathError>;

    #[test]
    fn mount_point_and_slashes() {
        let p: P = FatPath::parse("/sdcard/stream.bin");
        let p = p.unwrap();
        assert_eq!(p.file_name(), "stream.bin");
        assert_eq!(p.dirs().count(), 0);
        let p: P = FatPath::parse("STREAM.BIN");
        assert_eq!(p.unwrap().file_name(), "STREAM.BIN");
        let p: P = FatPath::parse("/sdcardx/a.bin");
        let p = p.unwrap();
        assert_eq!(p.dirs().next(), Some("sdcardx"));
        let p: P = FatPath::parse("/a/b/c.bin");
        assert_eq!(p.unwrap().dirs().count(), 2);
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "/",
            "/sdcard",
            "/sdcard/",
            "/a//b",
            "/a/",
            "/../x",
            "/a/b/c/d/e/f",
        ] {
            let p: P = FatPath::parse(bad);
            assert!(p.is_err(), "{bad:?}");
        }
    }
}
