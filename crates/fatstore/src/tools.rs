//! Checking a card image with the Linux FAT tools (feature `std`):
//! `fsck.fat -n` (Debian `dosfstools`) on the partition and `mdir -i`
//! (`mtools`) on the whole image. Both must be installed; `.ci/run` installs
//! them.

use std::io;
use std::path::Path;
use std::process::Command;

use crate::format::{BLOCK_LEN, PARTITION_START_LBA};

/// What a tool said: whether it exited successfully, and its stdout
/// followed by its stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolReport {
    /// The tool's exit status was success.
    pub ok: bool,
    /// stdout, then stderr.
    pub text: String,
}

/// Byte offset of the partition in a card image.
const PARTITION_OFFSET: usize = PARTITION_START_LBA as usize * BLOCK_LEN;

/// Run a dosfstools/mtools program: from `PATH`, else from `/usr/sbin` or
/// `/sbin` (where Debian puts `fsck.fat`, not always on a user's `PATH`).
/// A missing tool is a `NotFound` error that names the packages.
pub fn run(tool: &str, args: &[&str]) -> io::Result<ToolReport> {
    let candidates = [
        tool.to_string(),
        format!("/usr/sbin/{tool}"),
        format!("/sbin/{tool}"),
    ];
    let out = candidates
        .iter()
        .find_map(|t| {
            Command::new(t)
                .args(args)
                .env("MTOOLS_SKIP_CHECK", "1")
                .output()
                .ok()
        })
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "{tool} not found: install dosfstools and mtools \
                     (apt-get install dosfstools mtools)"
                ),
            )
        })?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    Ok(ToolReport {
        ok: out.status.success(),
        text,
    })
}

/// `fsck.fat -n` on the partition of the card image at `image`. `fsck.fat`
/// has no offset option, so the partition is copied next to the image
/// (extension `part`) for the check and removed afterwards.
pub fn fsck(image: &Path) -> io::Result<ToolReport> {
    let data = std::fs::read(image)?;
    let part = data.get(PARTITION_OFFSET..).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{}: {} bytes, shorter than the partition offset {PARTITION_OFFSET}",
                image.display(),
                data.len()
            ),
        )
    })?;
    let part_path = image.with_extension("part");
    std::fs::write(&part_path, part)?;
    let report = run("fsck.fat", &["-n", &part_path.to_string_lossy()]);
    std::fs::remove_file(&part_path)?;
    report
}

/// `mdir -i IMAGE@@OFFSET ::/`: the root directory of the card image's
/// partition, as mtools lists it.
pub fn mdir(image: &Path) -> io::Result<ToolReport> {
    let spec = format!("{}@@{PARTITION_OFFSET}", image.display());
    run("mdir", &["-i", &spec, "::/"])
}
