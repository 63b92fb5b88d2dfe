//! The flash plan: everything that would happen to a board, worked out and
//! checked without touching a probe. `--dry-run` prints it; a real run
//! executes it.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

use crate::board::FlashBoard;
use crate::elf::ElfImage;
use crate::error::Error;
use crate::flasher::FlashRequest;
use crate::placement::{place, Placement};
use crate::rtt::RttRequest;
use crate::sectors;
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
    /// The board, the image, what it erases and the port afterwards.
    pub placement: Placement,
    /// The chip's flash.
    pub flash_ranges: Vec<Range<u64>>,
    /// What [`crate::flash`] is asked to do: the board's `[flash]` with
    /// probe-rs' name for the chip and `--probe` applied.
    pub request: FlashRequest,
}

/// Work out and check the plan: the ELF parses and fits the chip's flash,
/// the chip is known to probe-rs, and the sectors it erases leave the
/// board's `flash.keep` area alone (unless `--erase-bootloader`). No probe
/// or port is touched.
pub fn plan(board: &FlashBoard, args: &FlashArgs) -> Result<Plan, Error> {
    let (placement, target) = place(board, args, ElfImage::load(&args.elf)?)?;
    sectors::check_keep(
        &placement.erase,
        board.flash.keep.as_ref(),
        &placement.image,
        args.erase_bootloader,
    )?;
    let mut flash = board.flash.clone();
    flash.chip.clone_from(&target.name);
    if let Some(probe) = &args.probe {
        flash.probe = Some(probe.clone());
    }
    Ok(Plan {
        flash_ranges: target::flash_ranges(&target),
        request: FlashRequest {
            elf: placement.image.path.clone(),
            flash,
            erase_bootloader: args.erase_bootloader,
        },
        placement,
    })
}

impl Plan {
    /// How to read the agent's defmt log over RTT once this plan has run.
    pub fn rtt_request(&self) -> RttRequest {
        let flash = &self.request.flash;
        RttRequest {
            elf: self.request.elf.clone(),
            chip: flash.chip.clone(),
            probe: flash.probe.clone(),
            speed_khz: flash.speed_khz,
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let img = &self.placement.image;
        let req = &self.request.flash;
        writeln!(f, "board {}", self.placement.board)?;
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
            .flash_ranges
            .iter()
            .map(|r| format!("{:#010x}..{:#010x}", r.start, r.end))
            .collect();
        writeln!(f, "  chip      {} (flash {})", req.chip, flash.join(", "))?;
        if let Some(id) = req.idcode {
            writeln!(
                f,
                "            check id: [{:#010x}] & {:#x} == {:#x}",
                id.address, id.mask, id.expect
            )?;
        }
        if let Some(r) = req.readout_protection {
            writeln!(
                f,
                "            check readout protection: ([{:#010x}] >> {}) & {:#x} == {:#x}",
                r.address, r.shift, r.mask, r.unlocked
            )?;
        }
        match &req.probe {
            Some(p) => writeln!(f, "  probe     {p}")?,
            None => writeln!(f, "  probe     the only probe attached")?,
        }
        let speed = req
            .speed_khz
            .map_or("probe default".to_owned(), |k| format!("{k} kHz"));
        let attach = if req.connect_under_reset {
            "under reset"
        } else {
            "normal"
        };
        writeln!(
            f,
            "  steps     attach ({attach}, SWD {speed}), erase, program, verify, reset and run"
        )?;
        self.placement.write_erases(f)?;
        if let Some(k) = &req.keep {
            let how = if self.request.erase_bootloader {
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
        self.placement.write_port(f, "reset")?;
        write!(f, "dry run: no probe or port was touched")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::board::repo_h7_board as board;
    use crate::testing::{agent_args, assert_contains_all};
    use std::path::Path;

    fn args(dir: &Path, segments: &[(u32, &[u8])]) -> FlashArgs {
        agent_args(dir, "agent", 0x0804_0299, segments)
    }

    #[test]
    fn the_plan_says_what_would_be_flashed_where() {
        let dir = tempfile::tempdir().unwrap();
        let args = FlashArgs {
            probe: Some("0483:374f:ABC".parse().unwrap()),
            ..args(
                dir.path(),
                &[(0x0804_0000, &[1; 0x298]), (0x0804_0298, &[2; 100])],
            )
        };
        let path = args.elf.clone();
        let p = plan(&board(), &args).unwrap();
        assert_eq!(p.request.flash.chip, "STM32H743VITx");
        assert_eq!(p.placement.image.load_bytes(), 0x298 + 100);
        assert_eq!(
            p.placement.port,
            crate::port::PortChoice::Usb(crate::selector::usb(0x1209, 0x0001))
        );
        assert_eq!(p.request.elf, path);
        assert_eq!(
            p.request.flash.probe,
            Some("0483:374f:ABC".parse().unwrap())
        );
        assert_contains_all(
            &p.to_string(),
            &[
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
            ],
        );
        let rtt = p.rtt_request();
        assert_eq!(
            (rtt.elf, rtt.chip.as_str(), rtt.speed_khz),
            (path, "STM32H743VITx", Some(4000))
        );
        assert_eq!(rtt.probe, p.request.flash.probe);
    }

    #[test]
    fn an_explicit_port_and_no_probe_selector_show_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let args = FlashArgs {
            port: Some("/dev/ttyACM4".into()),
            ..args(dir.path(), &[(0x0804_0000, &[0; 8])])
        };
        let p = plan(&board(), &args).unwrap();
        assert_eq!(p.request.flash.probe, None);
        assert_contains_all(
            &p.to_string(),
            &[
                "probe     the only probe attached",
                "port      /dev/ttyACM4,",
            ],
        );
    }

    #[test]
    fn the_plan_refuses_an_image_for_another_board() {
        let dir = tempfile::tempdir().unwrap();
        let err = plan(&board(), &args(dir.path(), &[(0, &[0; 64])])).unwrap_err();
        assert!(
            matches!(err, Error::Target(target::TargetError::OutsideFlash { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn the_plan_refuses_a_missing_image_and_an_unknown_chip() {
        let dir = tempfile::tempdir().unwrap();
        let missing = FlashArgs {
            elf: dir.path().join("nope"),
            ..Default::default()
        };
        assert!(matches!(
            plan(&board(), &missing).unwrap_err(),
            Error::Elf(_)
        ));
        let mut b = board();
        b.flash.chip = "STM32H734VITx".into();
        let err = plan(&b, &args(dir.path(), &[(0x0804_0000, &[0; 8])])).unwrap_err();
        assert_contains_all(&err.to_string(), &["did you mean STM32H743VITx"]);
    }

    #[test]
    fn the_bootloader_sectors_are_refused_unless_erase_bootloader_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let mut args = args(
            dir.path(),
            &[(0x0800_0000, &[0; 0x300]), (0x0804_0000, &[0; 8])],
        );
        let err = plan(&board(), &args).unwrap_err();
        assert!(matches!(err, Error::Keep(_)), "{err:?}");
        let sector_0 = "bank 1 sector 0 (0x08000000..0x08020000)";
        assert_contains_all(
            &err.to_string(),
            &[sector_0, "OpenMV bootloader", "--erase-bootloader"],
        );
        args.erase_bootloader = true;
        let p = plan(&board(), &args).unwrap();
        let names: Vec<u64> = p.placement.erase.iter().map(|s| s.index).collect();
        assert_eq!(names, [0, 2]);
        assert!(p.request.erase_bootloader);
        assert_contains_all(
            &p.to_string(),
            &[sector_0, "MAY be erased (--erase-bootloader)"],
        );
    }
}
