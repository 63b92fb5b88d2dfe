//! The flashing options of `cargo xtask hil` for a probe-flashed board
//! (`--board h7 ...`), flattened into its `clap` command, and the
//! `indicatif` bars that show a flash in progress. The library takes them
//! as plain [`FlashOptions`] and a [`FlashObserver`].

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use hil_flash::{DebugProbeSelector, FlashEvent, FlashObserver, Operation};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use omv_hil::boards::{FlashOptions, FlashPath, FlashProgress};

/// How the agent gets onto the board.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum FlashArg {
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
    #[arg(long, value_enum, default_value_t = FlashArg::Probe)]
    pub flash: FlashArg,
    /// Allow the probe to erase the OpenMV bootloader's sectors (0x0800_0000-0x0803_FFFF).
    #[arg(long)]
    pub erase_bootloader: bool,
    /// Debug probe to use, as VID:PID[:SERIAL] (needed when several are attached).
    // `[:SERIAL]` is the help text's optional part, not a link.
    #[allow(rustdoc::broken_intra_doc_links)]
    #[arg(long, value_name = "VID:PID[:SERIAL]")]
    pub probe: Option<DebugProbeSelector>,
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
    /// The options as the boards take them.
    pub fn options(&self) -> FlashOptions {
        FlashOptions {
            flash: match self.flash {
                FlashArg::Probe => FlashPath::Probe,
                FlashArg::Dfu => FlashPath::Dfu,
            },
            erase_bootloader: self.erase_bootloader,
            probe: self.probe.clone(),
            port: self.port.clone(),
            elf: self.elf.clone(),
            dry_run: self.dry_run,
        }
    }
}

/// Bars on stderr for a flash (hidden when stderr is not a terminal).
pub fn progress() -> FlashProgress {
    FlashProgress(Arc::new(Mutex::new(ProgressBars::default())))
}

/// One `indicatif` bar per operation.
pub struct ProgressBars {
    multi: MultiProgress,
    bars: [Option<ProgressBar>; 4],
}

impl Default for ProgressBars {
    fn default() -> Self {
        Self::new(ProgressDrawTarget::stderr())
    }
}

impl ProgressBars {
    /// Bars drawn to `target`.
    pub fn new(target: ProgressDrawTarget) -> Self {
        ProgressBars {
            multi: MultiProgress::with_draw_target(target),
            bars: Default::default(),
        }
    }

    /// The bar of `op`, once planned or started.
    #[cfg(test)]
    fn bar(&self, op: Operation) -> Option<&ProgressBar> {
        self.bars[op.index()].as_ref()
    }

    fn style() -> ProgressStyle {
        ProgressStyle::with_template(
            "{prefix:>10} [{bar:40}] {bytes:>9}/{total_bytes:9} {binary_bytes_per_sec:>11} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
    }

    fn get_or_add(&mut self, op: Operation, total: Option<u64>) -> &ProgressBar {
        let slot = &mut self.bars[op.index()];
        let multi = &self.multi;
        slot.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden())
                .with_style(Self::style())
                .with_prefix(op.label());
            multi.add(bar)
        })
    }
}

impl FlashObserver for ProgressBars {
    fn event(&mut self, ev: FlashEvent) {
        match ev {
            FlashEvent::Planned { op, total } => {
                let bar = self.get_or_add(op, total);
                if let Some(t) = total {
                    bar.set_length(t);
                }
            }
            FlashEvent::Started(op) => {
                self.get_or_add(op, None).reset_elapsed();
            }
            FlashEvent::Progress { op, bytes } => self.get_or_add(op, None).inc(bytes),
            FlashEvent::Finished(op) => self.get_or_add(op, None).finish_with_message("done"),
            FlashEvent::Failed(op) => self.get_or_add(op, None).abandon_with_message("FAILED"),
            FlashEvent::Message(m) => {
                // A hidden target refuses to print; nothing to do then.
                let _ = self.multi.println(m);
            }
        }
    }
}

impl Drop for ProgressBars {
    fn drop(&mut self) {
        for op in Operation::ALL {
            if let Some(bar) = &self.bars[op.index()] {
                if !bar.is_finished() {
                    bar.abandon();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use clap::{Args, FromArgMatches};

    /// `args` parsed as the flattened options of a command named `hil`.
    fn parse(args: &[&str]) -> Result<ProbeArgs, clap::Error> {
        let command = ProbeArgs::augment_args(clap::Command::new("hil"));
        let matches =
            command.try_get_matches_from(std::iter::once("hil").chain(args.iter().copied()))?;
        ProbeArgs::from_arg_matches(&matches)
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
        let o = a.options();
        assert_eq!(o.flash, FlashPath::Dfu);
        assert!(o.erase_bootloader && o.dry_run);
        let probe = o.probe.unwrap();
        assert_eq!((probe.vendor_id, probe.product_id), (0x0483, 0x374f));
        assert_eq!(probe.serial_number.as_deref(), Some("0671FF38"));
        assert_eq!(o.port.as_deref(), Some("/dev/ttyACM0"));
        assert_eq!(o.elf, Some(PathBuf::from("fw.elf")));
    }

    #[test]
    fn nothing_given_means_defaults() {
        let a = parse(&[]).unwrap();
        assert_eq!(a, ProbeArgs::default());
        assert_eq!(a.options(), FlashOptions::default());
        assert_eq!(a.options().flash, FlashPath::Probe);
    }

    #[test]
    fn a_bad_probe_selector_is_a_usage_error_saying_why() {
        let err = parse(&["--probe", "0483"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
        let msg = err.to_string();
        assert!(msg.contains("--probe") && msg.contains("VID:PID"), "{msg}");
        let err = parse(&["--probe", "xyz:374f"]).unwrap_err();
        assert!(err.to_string().contains("VID or PID"), "{err}");
        let err = parse(&["--flash", "jtag"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::InvalidValue);
        assert!(err.to_string().contains("probe, dfu"), "{err}");
    }

    fn feed(o: &mut dyn FlashObserver) {
        use FlashEvent::{Failed, Finished, Started};
        use Operation::*;
        let planned = |op, total| FlashEvent::Planned {
            op,
            total: Some(total),
        };
        let progress = |op, bytes| FlashEvent::Progress { op, bytes };
        for ev in [
            planned(Erase, 131_072),
            planned(Program, 40_000),
            Started(Erase),
            progress(Erase, 131_072),
            Finished(Erase),
            Started(Program),
            progress(Program, 32_768),
            progress(Program, 7_232),
            Finished(Program),
            Started(Verify),
            progress(Verify, 20_000),
            Failed(Verify),
        ] {
            o.event(ev);
        }
    }

    #[test]
    fn bars_track_each_operation() {
        let mut bars = ProgressBars::new(ProgressDrawTarget::hidden());
        feed(&mut bars);
        let erase = bars.bar(Operation::Erase).unwrap();
        assert_eq!((erase.position(), erase.length()), (131_072, Some(131_072)));
        assert!(erase.is_finished());
        assert_eq!(erase.message(), "done");
        let prog = bars.bar(Operation::Program).unwrap();
        assert_eq!((prog.position(), prog.length()), (40_000, Some(40_000)));
        let verify = bars.bar(Operation::Verify).unwrap();
        assert_eq!((verify.position(), verify.length()), (20_000, None));
        assert_eq!(verify.message(), "FAILED");
        assert!(bars.bar(Operation::Fill).is_none());
        bars.event(FlashEvent::Message("algorithm says hi".into()));
    }
}
