//! The probe-less flash plan: what `dfu-util` would be asked to write
//! where, worked out and checked without a device. `--dry-run --flash dfu`
//! prints it; a real run executes it ([`crate::bring_up_dfu`]).

use std::fmt;
use std::path::PathBuf;

use crate::board::FlashBoard;
use crate::dfu::{self, DfuError, DfuSection};
use crate::elf::ElfImage;
use crate::error::Error;
use crate::placement::{place, Placement};
use crate::plan::FlashArgs;

/// The program run.
pub const DFU_UTIL: &str = "dfu-util";

/// A checked DFU plan.
#[derive(Debug, Clone, PartialEq)]
pub struct DfuPlan {
    /// The board, the image, the sectors the bootloader erases on the way
    /// and the agent's port after the bootloader has started it.
    pub placement: Placement,
    /// The flat binary sent (from the partition start).
    pub binary: Vec<u8>,
    /// Where the binary is written before dfu-util runs.
    pub binary_path: PathBuf,
    /// The bootloader and its partition.
    pub dfu: DfuSection,
}

/// Work out and check the DFU plan: the ELF parses, lies inside the
/// bootloader's firmware partition, and becomes a flat binary from the
/// partition start. No device is touched and no file is written.
pub fn dfu_plan(board: &FlashBoard, args: &FlashArgs) -> Result<DfuPlan, Error> {
    let dfu = board.dfu.clone().ok_or_else(|| DfuError::NotSupported {
        board: board.name.clone(),
    })?;
    let bytes = std::fs::read(&args.elf).map_err(|source| crate::elf::ElfError::Io {
        path: args.elf.clone(),
        source,
    })?;
    let (placement, _) = place(board, args, ElfImage::parse(&bytes, &args.elf)?)?;
    Ok(DfuPlan {
        binary: dfu::binary(&bytes, &placement.image, &dfu)?,
        binary_path: dfu::binary_path(&args.elf),
        dfu,
        placement,
    })
}

impl DfuPlan {
    /// dfu-util's arguments.
    pub fn arguments(&self) -> Vec<String> {
        dfu::arguments(&self.dfu, &self.binary_path)
    }

    /// The address range written.
    pub fn range(&self) -> std::ops::Range<u64> {
        self.dfu.start..self.dfu.start + self.binary.len() as u64
    }
}

impl fmt::Display for DfuPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let img = &self.placement.image;
        let d = &self.dfu;
        let r = self.range();
        writeln!(
            f,
            "board {} (USB DFU through the OpenMV bootloader, no probe)",
            self.placement.board
        )?;
        writeln!(f, "  firmware  {}", img.path.display())?;
        writeln!(
            f,
            "            {} bytes in {} segment(s), entry {:#010x}",
            img.load_bytes(),
            img.segments.len(),
            img.entry
        )?;
        writeln!(
            f,
            "  binary    {} ({} bytes, gaps 0xff)",
            self.binary_path.display(),
            self.binary.len()
        )?;
        writeln!(
            f,
            "  writes    {:#010x}..{:#010x} through alt setting {} ({:#010x}..{:#010x}) of USB {}",
            r.start,
            r.end,
            d.alt,
            d.start,
            d.end,
            d.device()
        )?;
        self.placement.write_erases(f)?;
        writeln!(f, "  command   {DFU_UTIL} {}", self.arguments().join(" "))?;
        writeln!(
            f,
            "            first waits up to {} s for a camera in bootloader mode (polling USB), then {} s for the download",
            d.wait_for_device_s, d.transfer_timeout_s
        )?;
        self.placement
            .write_port(f, "the bootloader starts the agent")?;
        write!(f, "dry run: no device or port was touched, no file written")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::board::repo_h7_board as board;
    use crate::testing::{agent_args, assert_contains_all};
    use std::path::Path;

    /// The DFU plan on `board` for an agent ELF of `segments` in `dir`.
    fn planned(
        board: &FlashBoard,
        dir: &Path,
        segments: &[(u32, &[u8])],
    ) -> Result<DfuPlan, Error> {
        dfu_plan(board, &agent_args(dir, "agent-h7", 0x0804_0299, segments))
    }

    #[test]
    fn the_dfu_plan_names_dfu_util_the_device_the_address_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = planned(
            &board(),
            dir.path(),
            &[(0x0804_0000, &[5; 0x298]), (0x0806_0000, &[6; 4])],
        )
        .unwrap();
        assert_eq!(p.range(), 0x0804_0000..0x0806_0004);
        assert_eq!(p.binary.len(), 0x2_0004);
        assert_eq!(p.binary[0x298], 0xFF);
        assert_eq!(p.binary[0x2_0000], 6);
        let bin = dir.path().join("agent-h7.bin");
        let text = p.to_string();
        assert_contains_all(&text, &[
            format!("binary    {} (131076 bytes, gaps 0xff)", bin.display()),
            "writes    0x08040000..0x08060004 through alt setting FIRMWARE (0x08040000..0x081e0000) of USB 37c5:9204".into(),
            "erases    2 sector(s), nothing else:\n            bank 1 sector 2 (0x08040000..0x08060000)\n            bank 1 sector 3".into(),
            format!("command   dfu-util -d 37c5:9204 -a FIRMWARE -D {} -R", bin.display()),
            "first waits up to 30 s for a camera in bootloader mode (polling USB), then 120 s".into(),
            "port      USB 1209:0001 (any serial)".into(),
        ]);
        assert!(!text.contains("sector 0 "), "{text}");
        assert!(!bin.exists(), "a plan writes no file");
    }

    #[test]
    fn the_dfu_plan_refuses_an_image_over_the_bootloader() {
        let dir = tempfile::tempdir().unwrap();
        let err = planned(&board(), dir.path(), &[(0x0800_0000, &[0; 64])]).unwrap_err();
        assert!(
            matches!(err, Error::Dfu(DfuError::BelowPartition { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn a_board_without_dfu_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = board();
        b.dfu = None;
        let err = planned(&b, dir.path(), &[(0x0804_0000, &[0; 8])]).unwrap_err();
        assert!(err.to_string().contains("no [dfu] section"), "{err}");
    }
}
