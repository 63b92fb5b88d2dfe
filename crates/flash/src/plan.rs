//! The flash plan: everything that would happen to a board, worked out and
//! checked without touching a probe. `--dry-run` prints it; a real run
//! executes it.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

use crate::board::{FlashBoard, IdCheck, RdpCheck};
use crate::elf::ElfImage;
use crate::error::Error;
use crate::flasher::FlashRequest;
use crate::port::{PortChoice, WaitPolicy};
use crate::sectors::{self, KeepArea, Sector};
use crate::selector::DebugProbeSelector;
use crate::target;

/// What the user asked for on the command line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlashArgs {
    /// The agent ELF to flash.
    pub elf: PathBuf,
    /// `--probe VID:PID[:SERIAL]`, overriding the board file.
    pub probe: Option<DebugProbeSelector>,
    /// `--port PATH`, instead of finding the port by USB ids.
    pub port: Option<String>,
    /// `--erase-bootloader`: the board's `flash.keep` area may be erased.
    pub erase_bootloader: bool,
}

/// A checked plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Board name.
    pub board: String,
    /// The image, parsed.
    pub image: ElfImage,
    /// probe-rs' name for the chip.
    pub chip: String,
    /// The chip's flash.
    pub flash: Vec<Range<u64>>,
    /// The probe; `None` = the only one attached.
    pub probe: Option<DebugProbeSelector>,
    /// SWD clock.
    pub speed_khz: Option<u32>,
    /// Attach under reset.
    pub connect_under_reset: bool,
    /// Identity check.
    pub idcode: Option<IdCheck>,
    /// Protection check.
    pub readout_protection: Option<RdpCheck>,
    /// The agent's port.
    pub port: PortChoice,
    /// How long to wait for it.
    pub wait: WaitPolicy,
    /// The sectors programming erases, in address order.
    pub erase: Vec<Sector>,
    /// The area left alone (unless `erase_bootloader`).
    pub keep: Option<KeepArea>,
    /// `--erase-bootloader` was given.
    pub erase_bootloader: bool,
}

/// Work out and check the plan: the ELF parses and fits the chip's flash,
/// the chip is known to probe-rs, and the sectors it erases leave the
/// board's `flash.keep` area alone (unless `--erase-bootloader`). No probe
/// or port is touched.
pub fn plan(board: &FlashBoard, args: &FlashArgs) -> Result<Plan, Error> {
    let image = ElfImage::load(&args.elf)?;
    let target = target::lookup(&board.flash.chip)?;
    target::check_fits(&target, &image)?;
    let erase = sectors::touched(&sectors::chip_sectors(&target), &image);
    let keep = board.flash.keep.clone();
    sectors::check_keep(&erase, keep.as_ref(), &image, args.erase_bootloader)?;
    Ok(Plan {
        board: board.name.clone(),
        image,
        chip: target.name.clone(),
        flash: target::flash_ranges(&target),
        probe: args.probe.clone().or_else(|| board.flash.probe.clone()),
        speed_khz: board.flash.speed_khz,
        connect_under_reset: board.flash.connect_under_reset,
        idcode: board.flash.idcode,
        readout_protection: board.flash.readout_protection,
        port: match &args.port {
            Some(p) => PortChoice::Path(p.clone()),
            None => PortChoice::Usb(board.usb.selector()),
        },
        wait: WaitPolicy::from_board(&board.usb),
        erase,
        keep,
        erase_bootloader: args.erase_bootloader,
    })
}

impl Plan {
    /// The flash request this plan executes.
    pub fn request(&self) -> FlashRequest {
        FlashRequest {
            elf: self.image.path.clone(),
            chip: self.chip.clone(),
            probe: self.probe.clone(),
            speed_khz: self.speed_khz,
            connect_under_reset: self.connect_under_reset,
            idcode: self.idcode,
            readout_protection: self.readout_protection,
            keep: self.keep.clone(),
            erase_bootloader: self.erase_bootloader,
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let img = &self.image;
        writeln!(f, "board {}", self.board)?;
        writeln!(f, "  firmware  {}", img.path.display())?;
        writeln!(
            f,
            "            {} bytes to flash in {} segment(s), entry {:#010x} ({} bytes on disk)",
            img.load_bytes(),
            img.segments.len(),
            img.entry,
            img.file_size
        )?;
        for s in &img.segments {
            writeln!(f, "            {:#010x}  {} bytes", s.address, s.size)?;
        }
        writeln!(
            f,
            "  writes    {:#010x}..{:#010x}",
            img.lowest_address(),
            img.end_address()
        )?;
        let flash: Vec<String> = self
            .flash
            .iter()
            .map(|r| format!("{:#010x}..{:#010x}", r.start, r.end))
            .collect();
        writeln!(f, "  chip      {} (flash {})", self.chip, flash.join(", "))?;
        if let Some(id) = self.idcode {
            writeln!(
                f,
                "            check id: [{:#010x}] & {:#x} == {:#x}",
                id.address, id.mask, id.expect
            )?;
        }
        if let Some(r) = self.readout_protection {
            writeln!(
                f,
                "            check readout protection: ([{:#010x}] >> {}) & {:#x} == {:#x}",
                r.address, r.shift, r.mask, r.unlocked
            )?;
        }
        match &self.probe {
            Some(p) => writeln!(f, "  probe     {p}")?,
            None => writeln!(f, "  probe     the only probe attached")?,
        }
        let speed = self
            .speed_khz
            .map_or("probe default".to_owned(), |k| format!("{k} kHz"));
        let attach = if self.connect_under_reset {
            "under reset"
        } else {
            "normal"
        };
        writeln!(
            f,
            "  steps     attach ({attach}, SWD {speed}), erase, program, verify, reset and run"
        )?;
        writeln!(
            f,
            "  erases    {} sector(s), nothing else:",
            self.erase.len()
        )?;
        for s in &self.erase {
            writeln!(f, "            {s}")?;
        }
        if let Some(k) = &self.keep {
            let how = if self.erase_bootloader {
                "MAY be erased (--erase-bootloader)"
            } else {
                "kept"
            };
            writeln!(
                f,
                "  keeps     {:#010x}..{:#010x} {}: {how}",
                k.start, k.end, k.name
            )?;
        }
        writeln!(
            f,
            "  port      {}, waited for up to {} ms after reset",
            self.port,
            self.wait.timeout_us / 1000
        )?;
        write!(f, "dry run: no probe or port was touched")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::elf::test_elf;
    use std::path::Path;

    use crate::board::repo_h7_board as board;

    fn elf(dir: &Path, segments: &[(u32, &[u8])]) -> PathBuf {
        let p = dir.join("agent");
        std::fs::write(&p, test_elf(0x0804_0299, segments)).unwrap();
        p
    }

    #[test]
    fn the_plan_says_what_would_be_flashed_where() {
        let dir = tempfile::tempdir().unwrap();
        let path = elf(
            dir.path(),
            &[(0x0804_0000, &[1; 0x298]), (0x0804_0298, &[2; 100])],
        );
        let args = FlashArgs {
            elf: path.clone(),
            probe: Some("0483:374f:ABC".parse().unwrap()),
            port: None,
            erase_bootloader: false,
        };
        let p = plan(&board(), &args).unwrap();
        assert_eq!(p.chip, "STM32H743VITx");
        assert_eq!(p.image.load_bytes(), 0x298 + 100);
        assert_eq!(
            p.port,
            PortChoice::Usb(crate::selector::usb(0x1209, 0x0001))
        );
        let req = p.request();
        assert_eq!(req.elf, path);
        assert_eq!(req.probe, Some("0483:374f:ABC".parse().unwrap()));
        let text = p.to_string();
        for needle in [
            "board h7",
            &format!("firmware  {}", path.display()),
            "764 bytes to flash in 2 segment(s), entry 0x08040299",
            "0x08040298  100 bytes",
            "writes    0x08040000..0x080402fc",
            "erases    1 sector(s), nothing else:\n            bank 1 sector 2 (0x08040000..0x08060000)\n",
            "keeps     0x08000000..0x08040000 the OpenMV bootloader",
            "chip      STM32H743VITx (flash 0x08000000..0x08200000)",
            "check id: [0x5c001000] & 0xfff == 0x450",
            "probe     0483:374f:ABC",
            "attach (normal, SWD 4000 kHz), erase, program, verify, reset and run",
            "port      USB 1209:0001 (any serial), waited for up to 10000 ms",
            "dry run",
        ] {
            assert!(text.contains(needle), "plan lacks {needle:?}:\n{text}");
        }
    }

    #[test]
    fn an_explicit_port_and_no_probe_selector_show_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let args = FlashArgs {
            elf: elf(dir.path(), &[(0x0804_0000, &[0; 8])]),
            probe: None,
            port: Some("/dev/ttyACM4".into()),
            erase_bootloader: false,
        };
        let p = plan(&board(), &args).unwrap();
        assert_eq!(p.probe, None);
        let text = p.to_string();
        assert!(text.contains("probe     the only probe attached"), "{text}");
        assert!(text.contains("port      /dev/ttyACM4,"), "{text}");
    }

    #[test]
    fn the_plan_refuses_an_image_for_another_board() {
        let dir = tempfile::tempdir().unwrap();
        let args = FlashArgs {
            elf: elf(dir.path(), &[(0, &[0; 64])]),
            ..Default::default()
        };
        let err = plan(&board(), &args).unwrap_err();
        assert!(
            matches!(err, Error::Target(target::TargetError::OutsideFlash { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn the_plan_refuses_a_missing_image_and_an_unknown_chip() {
        let dir = tempfile::tempdir().unwrap();
        let args = FlashArgs {
            elf: dir.path().join("nope"),
            ..Default::default()
        };
        assert!(matches!(plan(&board(), &args).unwrap_err(), Error::Elf(_)));
        let mut b = board();
        b.flash.chip = "STM32H734VITx".into();
        let args = FlashArgs {
            elf: elf(dir.path(), &[(0x0804_0000, &[0; 8])]),
            ..Default::default()
        };
        let err = plan(&b, &args).unwrap_err();
        assert!(
            err.to_string().contains("did you mean STM32H743VITx"),
            "{err}"
        );
    }

    #[test]
    fn the_bootloader_sectors_are_refused_unless_erase_bootloader_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let mut args = FlashArgs {
            elf: elf(
                dir.path(),
                &[(0x0800_0000, &[0; 0x300]), (0x0804_0000, &[0; 8])],
            ),
            ..Default::default()
        };
        let err = plan(&board(), &args).unwrap_err();
        assert!(matches!(err, Error::Keep(_)), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains("bank 1 sector 0 (0x08000000..0x08020000)")
                && msg.contains("OpenMV bootloader")
                && msg.contains("--erase-bootloader"),
            "{msg}"
        );
        args.erase_bootloader = true;
        let p = plan(&board(), &args).unwrap();
        let names: Vec<u64> = p.erase.iter().map(|s| s.index).collect();
        assert_eq!(names, [0, 2]);
        assert!(p.request().erase_bootloader);
        let text = p.to_string();
        assert!(
            text.contains("bank 1 sector 0 (0x08000000..0x08020000)"),
            "{text}"
        );
        assert!(
            text.contains("MAY be erased (--erase-bootloader)"),
            "{text}"
        );
    }
}
