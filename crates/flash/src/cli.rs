//! Command-line options for a probe-flashed board, ready to flatten into
//! the harness's `clap` command (`cargo xtask hil --board h7 ...`).

use std::path::PathBuf;

use crate::plan::FlashArgs;
use crate::selector::UsbSelector;

/// How the agent gets onto the board.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum FlashPath {
    /// probe-rs over SWD (a debug probe wired to the board).
    #[default]
    Probe,
    /// dfu-util over USB through the board's bootloader (no probe).
    Dfu,
}

/// `--flash`, `--erase-bootloader`, `--probe`, `--port`, `--elf`, `--dry-run`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct ProbeArgs {
    /// How to flash: `probe` (SWD) or `dfu` (USB, through the OpenMV bootloader).
    #[arg(long, value_enum, default_value_t = FlashPath::Probe)]
    pub flash: FlashPath,
    /// Allow the probe to erase the OpenMV bootloader's sectors (0x0800_0000-0x0803_FFFF).
    #[arg(long)]
    pub erase_bootloader: bool,
    /// Debug probe to use, as VID:PID[:SERIAL] (needed when several are attached).
    #[arg(long, value_name = "VID:PID[:SERIAL]")]
    pub probe: Option<UsbSelector>,
    /// The agent's serial port, instead of finding it by its USB ids.
    #[arg(long, value_name = "PATH")]
    pub port: Option<String>,
    /// Firmware to flash instead of the agent built for the board.
    #[arg(long, value_name = "ELF")]
    pub elf: Option<PathBuf>,
    /// Show what would be flashed and run, without touching a probe or port.
    #[arg(long)]
    pub dry_run: bool,
}

impl ProbeArgs {
    /// The flash arguments, with `default_elf` unless `--elf` was given.
    pub fn flash_args(&self, default_elf: PathBuf) -> FlashArgs {
        FlashArgs {
            elf: self.elf.clone().unwrap_or(default_elf),
            probe: self.probe.clone(),
            port: self.port.clone(),
            erase_bootloader: self.erase_bootloader,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        probe: ProbeArgs,
    }

    fn parse(args: &[&str]) -> Result<ProbeArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("hil").chain(args.iter().copied())).map(|c| c.probe)
    }

    #[test]
    fn all_options_parse() {
        let a = parse(&[
            "--probe",
            "0483:374f:0671FF38",
            "--port",
            "/dev/ttyACM0",
            "--elf",
            "fw.elf",
            "--dry-run",
            "--flash",
            "dfu",
            "--erase-bootloader",
        ])
        .unwrap();
        assert_eq!(a.flash, FlashPath::Dfu);
        assert!(a.erase_bootloader);
        assert_eq!(
            a.probe,
            Some(UsbSelector {
                vid: 0x0483,
                pid: 0x374f,
                serial: Some("0671FF38".into())
            })
        );
        assert_eq!(a.port.as_deref(), Some("/dev/ttyACM0"));
        assert!(a.dry_run);
        let f = a.flash_args(PathBuf::from("default.elf"));
        assert_eq!(f.elf, PathBuf::from("fw.elf"));
        assert_eq!(f.probe, a.probe);
        assert!(f.erase_bootloader);
    }

    #[test]
    fn nothing_given_means_defaults() {
        let a = parse(&[]).unwrap();
        assert_eq!(a, ProbeArgs::default());
        assert_eq!((a.flash, a.erase_bootloader), (FlashPath::Probe, false));
        assert_eq!(
            a.flash_args(PathBuf::from("agent")).elf,
            PathBuf::from("agent")
        );
    }

    #[test]
    fn a_bad_probe_selector_is_a_usage_error_saying_why() {
        let err = parse(&["--probe", "0483"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
        let msg = err.to_string();
        assert!(
            msg.contains("--probe") && msg.contains("`0483` is not VID:PID[:SERIAL]"),
            "{msg}"
        );
        let err = parse(&["--probe", "xyz:374f"]).unwrap_err();
        assert!(err.to_string().contains("vendor id `xyz`"), "{err}");
        let err = parse(&["--flash", "jtag"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::InvalidValue);
        assert!(err.to_string().contains("probe, dfu"), "{err}");
    }
}
