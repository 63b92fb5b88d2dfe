//! The `h7` board: an OpenMV Cam H7 (STM32H743VI) flashed with the agent
//! into OpenMV's firmware slot (the OpenMV bootloader is kept), either
//! through an SWD probe (`--flash probe`: `hil-flash`, probe-rs as a
//! library) or through the OpenMV bootloader over USB (`--flash dfu`:
//! `dfu-util`), then driven over the agent's USB CDC-ACM port with the same
//! protocol as `qemu`.
//!
//! `open` builds the agent (`firmware/h7`, package `agent-h7`) unless
//! `--elf` is given, checks the flash plan, flashes, resets, waits
//! (bounded) for the port to re-enumerate, then speaks `omv-proto`.
//! `dry_run` shows all of that without touching a probe, a device or a port.

pub mod config;
pub mod rtt;

use std::fmt::Write as _;
use std::path::PathBuf;

use hil_flash::dfu_plan::DFU_UTIL;
use hil_flash::{
    bring_up, bring_up_dfu, dfu_plan, plan, probe_attached, FlashArgs, FlashEvent, FlashObserver,
    Plan, Ready, RttRequest, SystemPorts, SystemProbes,
};
use omv_imageio::StdClock;

use omv_link::Link;

use crate::board::{Board, BoardError};
use crate::boards::firmware::{build, FirmwareBuild};
use crate::boards::serial::AgentBoard;
use crate::boards::tolerance;
use crate::boards::{BoardFile, BoardOptions, FlashOptions, FlashPath};

pub use config::H7Config;

/// The board's name.
pub const NAME: &str = "h7";

fn setup_error(message: impl std::fmt::Display) -> BoardError {
    BoardError::Setup {
        board: NAME.into(),
        message: message.to_string(),
    }
}

/// The board file's h7 sections, or the error naming file, line and field.
pub fn read_config(file: &BoardFile) -> Result<H7Config, BoardError> {
    H7Config::read(file).map_err(setup_error)
}

/// The ELF to flash: `--elf`, or the board's firmware build.
fn firmware(opts: &BoardOptions, config: &H7Config) -> (Option<FirmwareBuild>, PathBuf) {
    match &opts.probe.elf {
        Some(elf) => (None, elf.clone()),
        None => {
            let b = config.firmware_build(&opts.root);
            let elf = b.elf();
            (Some(b), elf)
        }
    }
}

/// The flash arguments of the command line, with `default_elf` unless
/// `--elf` was given.
fn flash_args(opts: &FlashOptions, default_elf: PathBuf) -> FlashArgs {
    FlashArgs {
        elf: opts.elf.clone().unwrap_or(default_elf),
        probe: opts.probe.clone(),
        port: opts.port.clone(),
        erase_bootloader: opts.erase_bootloader,
    }
}

/// Tells the CLI's observer (its progress bars), if it gave one.
struct Progress<'a>(Option<&'a crate::boards::FlashProgress>);

impl FlashObserver for Progress<'_> {
    fn event(&mut self, ev: FlashEvent) {
        if let Some(p) = self.0 {
            p.0.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .event(ev);
        }
    }
}

fn flash_error(e: hil_flash::Error) -> BoardError {
    setup_error(hil_flash::error::chain(&e))
}

/// Build (if needed): the ELF to flash. The board's own agent build must
/// have its vector table where the bootloader looks and a HardFault
/// handler of its own; an `--elf` is the user's choice and is not checked.
fn built_elf(opts: &BoardOptions, config: &H7Config) -> Result<PathBuf, BoardError> {
    let (spec, default_elf) = firmware(opts, config);
    match spec {
        Some(spec) => {
            let elf = build(&spec).map_err(setup_error)?;
            check_vectors(config, &elf)?;
            Ok(elf)
        }
        None => Ok(default_elf),
    }
}

/// The vector-table check of the agent build, as the dry run prints it.
fn check_vectors(config: &H7Config, elf: &std::path::Path) -> Result<String, BoardError> {
    let Some(at) = config.probe.flash.vector_table else {
        return Ok("not checked (no flash.vector_table in the board file)".into());
    };
    let r = hil_flash::vectors::check_file(elf, at).map_err(setup_error)?;
    Ok(format!(
        "table at {:#010x}: SP {:#010x}, Reset {:#010x}, HardFault {:#010x} ({})",
        r.address,
        r.initial_sp,
        r.reset,
        r.hard_fault,
        r.hard_fault_symbols.join(", ")
    ))
}

/// Build (if needed), then work out and check the probe flash plan.
pub fn prepare(opts: &BoardOptions, config: &H7Config) -> Result<Plan, BoardError> {
    let elf = built_elf(opts, config)?;
    plan(&config.probe, &flash_args(&opts.probe, elf)).map_err(flash_error)
}

/// Flash the agent (`--flash probe` or `dfu`) and wait for its port: the
/// board is then ready for the serial protocol. Flashed through a probe
/// that is still attached, also where to read its defmt log over RTT.
pub fn flash_and_find_port(
    opts: &BoardOptions,
    config: &H7Config,
) -> Result<(Ready, Option<RttRequest>), BoardError> {
    let mut bars = Progress(opts.flash_progress.as_ref());
    let mut clock = StdClock::new();
    match opts.probe.flash {
        FlashPath::Probe => {
            let plan = prepare(opts, config)?;
            let probes = SystemProbes::new();
            let ready = bring_up(&plan, &probes, &mut SystemPorts, &mut clock, &mut bars)
                .map_err(flash_error)?;
            let rtt = probe_attached(&probes).then(|| plan.rtt_request());
            Ok((ready, rtt))
        }
        FlashPath::Dfu => {
            let elf = built_elf(opts, config)?;
            let plan =
                dfu_plan(&config.probe, &flash_args(&opts.probe, elf)).map_err(flash_error)?;
            let mut usb = hil_flash::dfu::SystemUsb;
            bring_up_dfu(
                &plan,
                DFU_UTIL,
                &mut usb,
                &mut SystemPorts,
                &mut clock,
                &mut bars,
            )
            .map(|ready| (ready, None))
            .map_err(flash_error)
        }
    }
}

/// The line rate asked for; a USB CDC-ACM port ignores it.
const BAUD: u32 = 115_200;

/// Flash the agent, wait for its port, shake hands.
pub fn open(file: &BoardFile, opts: &BoardOptions) -> Result<Box<dyn Board>, BoardError> {
    let config = read_config(file)?;
    let (ready, rtt) = flash_and_find_port(opts, &config)?;
    let link = Link::open_serial(&ready.port, BAUD).map_err(|e| {
        setup_error(format!(
            "flashed {} bytes with {}, but cannot open {}: {e} (is the runner's user in group `dialout`?)",
            ready.bytes, ready.via, ready.port
        ))
    })?;
    let board = AgentBoard::connect(
        NAME,
        link,
        config.serial.hello_timeout(),
        config.serial.reply_timeout(),
        tolerance::snapshot_policy(&config.content),
    )?
    .with_tolerances(config.timing.clone())
    // After a fault, panic or watchdog reset the CDC port re-enumerates.
    .with_reopen(Box::new(move || Link::open_serial(&ready.port, BAUD)));
    // With a probe attached, its defmt log too (agent-rtt.log); without
    // one, only the log carried over USB (agent.log).
    let board = match rtt {
        Some(req) => board.with_probe_log(Box::new(rtt::RttLog::start(req))),
        None => board,
    };
    Ok(Box::new(board))
}

/// What `--dry-run` would flash and run on the `h7` board, without a probe
/// or a port. Nothing is built: if the agent ELF is not there yet, the
/// build command is shown instead of its segments.
pub fn dry_run(file: &BoardFile, opts: &BoardOptions) -> Result<String, BoardError> {
    let config = read_config(file)?;
    let (spec, elf) = firmware(opts, &config);
    let mut out = String::new();
    let line = |out: &mut String, text: String| {
        let _ = writeln!(out, "{text}");
    };
    match &spec {
        Some(spec) => line(&mut out, format!("build:  {}", spec.command_line())),
        None => line(&mut out, format!("build:  none (--elf {})", elf.display())),
    }
    if elf.is_file() {
        let args = flash_args(&opts.probe, elf);
        let text = match opts.probe.flash {
            FlashPath::Probe => plan(&config.probe, &args).map_err(flash_error)?.to_string(),
            FlashPath::Dfu => dfu_plan(&config.probe, &args)
                .map_err(flash_error)?
                .to_string(),
        };
        if spec.is_some() {
            line(
                &mut out,
                format!("vectors: {}", check_vectors(&config, &args.elf)?),
            );
        }
        // The plan's own closing "dry run" line is said once, below.
        let text: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with("dry run:"))
            .collect();
        line(&mut out, format!("flash:  {}", indent(&text.join("\n"))));
    } else if opts.probe.flash == FlashPath::Dfu {
        let dfu = config
            .probe
            .dfu
            .as_ref()
            .ok_or_else(|| setup_error("the board file has no [dfu] section"))?;
        line(
            &mut out,
            format!(
                "flash:  {} (not built yet: checked against the DFU partition after the build)\n        \
                 as a flat binary from {:#010x} with {DFU_UTIL} -d {} -a {} (the OpenMV bootloader)",
                elf.display(),
                dfu.start,
                dfu.device(),
                dfu.alt
            ),
        );
    } else {
        let probe = config
            .probe
            .flash
            .probe
            .as_ref()
            .or(opts.probe.probe.as_ref())
            .map_or("the only probe attached".to_owned(), |p| p.to_string());
        line(
            &mut out,
            format!(
                "flash:  {} (not built yet: its segments are checked against {}'s flash after the build)\n        onto {} through {probe}, then verify, reset and run",
                elf.display(),
                config.probe.flash.chip,
                config.probe.flash.chip
            ),
        );
    }
    let usb = &config.probe.usb;
    let port = opts.probe.port.clone().unwrap_or_else(|| {
        format!(
            "the USB CDC-ACM port {:04x}:{:04x}{} (re-enumeration waited for up to {} ms)",
            usb.vid,
            usb.pid,
            usb.serial
                .as_ref()
                .map_or(String::new(), |s| format!(":{s}")),
            usb.reenumeration_timeout_ms
        )
    });
    line(
        &mut out,
        format!(
            "run:    the selected scenarios over omv-proto on {port}; hello within {} ms, \
             each step within {} ms plus twice the board time it asks for",
            config.serial.hello_timeout_ms, config.serial.reply_timeout_ms
        ),
    );
    let t = &config.timing;
    let policy = tolerance::snapshot_policy(&config.content);
    line(
        &mut out,
        format!(
            "golden: golden/h7/ with payload hashes {} (deterministic content: {}); timing redacted and checked against \
             frame interval ±{} µs, replay error ≤ {} µs, fps ±{} %, dropped frames {}",
            if policy.content_hashes { "kept" } else { "redacted" },
            config.content.deterministic.join(", "),
            t.frame_interval_us,
            t.replay_error_us,
            t.fps_percent,
            t.dropped_frames
                .map_or("not checked".to_owned(), |n| format!("≤ {n}"))
        ),
    );
    out.push_str("dry run: nothing was built, flashed or opened\n");
    Ok(out)
}

/// Indent continuation lines to line up under a `label:  ` prefix.
fn indent(text: &str) -> String {
    text.lines().collect::<Vec<_>>().join("\n        ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::boards::testing::{assert_contains_all, assert_dry_run_mentions};
    use std::path::Path;

    fn opts(dir: &Path) -> BoardOptions {
        BoardOptions {
            root: dir.to_owned(),
            out_dir: dir.join("out"),
            ..Default::default()
        }
    }

    /// The repository's `hil/boards/h7.toml`.
    fn h7_file() -> BoardFile {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        BoardFile::load(&root.join("hil/boards/h7.toml")).unwrap()
    }

    /// The dry run with the repository's board file.
    fn dry_run(o: &BoardOptions) -> Result<String, BoardError> {
        super::dry_run(&h7_file(), o)
    }

    /// `dir/name`: an ELF of `data` at `addr` (entry `addr`, Thumb).
    fn write_elf(dir: &Path, name: &str, addr: u32, data: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, hil_flash::elf::test_elf(addr | 1, &[(addr, data)])).unwrap();
        path
    }

    /// [`opts`] with `--elf` set to `dir/name`, written by [`write_elf`].
    fn opts_with_elf(dir: &Path, name: &str, addr: u32, data: &[u8]) -> (BoardOptions, PathBuf) {
        let path = write_elf(dir, name, addr, data);
        let mut o = opts(dir);
        o.probe.elf = Some(path.clone());
        (o, path)
    }

    #[test]
    fn dry_run_without_a_built_agent_shows_the_build_and_what_would_happen() {
        let dir = tempfile::tempdir().unwrap();
        let text = dry_run(&opts(dir.path())).unwrap();
        assert_dry_run_mentions(
            &text,
            [
                "build:  cd ",
                "cargo build --release -p agent-h7",
                "agent-h7 (not built yet",
                "onto STM32H743VITx through the only probe attached",
                "USB CDC-ACM port 1209:0001 (re-enumeration waited for up to 10000 ms)",
                "payload hashes kept (deterministic content: test-pattern, uploaded-stream)",
                "frame interval ±2000 µs, replay error ≤ 3000 µs, fps ±5 %, dropped frames not checked",
                "dry run: nothing was built, flashed or opened",
            ],
        );
    }

    #[test]
    fn dry_run_with_an_elf_shows_the_checked_flash_plan() {
        let dir = tempfile::tempdir().unwrap();
        let (mut o, path) = opts_with_elf(dir.path(), "agent.elf", 0x0804_0000, &[0xAA; 300]);
        o.probe.port = Some("/dev/ttyACM7".into());
        o.probe.probe = Some("0483:374f:ABC".parse().unwrap());
        let text = dry_run(&o).unwrap();
        assert_dry_run_mentions(
            &text,
            [
                format!("build:  none (--elf {})", path.display()),
                "300 bytes to flash in 1 segment(s), entry 0x08040001".to_owned(),
                "erases    1 sector(s), nothing else:\n                    bank 1 sector 2 (0x08040000..0x08060000)".to_owned(),
                "chip      STM32H743VITx (flash 0x08000000..0x08200000)".to_owned(),
                "probe     0483:374f:ABC".to_owned(),
                "on /dev/ttyACM7".to_owned(),
            ],
        );
    }

    #[test]
    fn dry_run_refuses_an_image_outside_the_chips_flash() {
        let dir = tempfile::tempdir().unwrap();
        let (o, _) = opts_with_elf(dir.path(), "qemu.elf", 0x0000_0000, &[0; 64]);
        let err = dry_run(&o).unwrap_err().to_string();
        assert!(err.contains("board `h7` could not be set up"), "{err}");
    }

    #[test]
    fn a_missing_board_file_is_a_setup_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = crate::boards::load(NAME, dir.path()).unwrap_err();
        assert!(matches!(err, BoardError::Setup { .. }), "{err:?}");
        let err = err.to_string();
        assert_contains_all(
            &err,
            ["board `h7` could not be set up", "hil/boards/h7.toml"],
        );
    }

    #[test]
    fn dfu_dry_run_names_dfu_util_the_device_and_the_address() {
        let dir = tempfile::tempdir().unwrap();
        let mut o = opts(dir.path());
        o.probe.flash = FlashPath::Dfu;
        let text = dry_run(&o).unwrap();
        assert_dry_run_mentions(
            &text,
            ["as a flat binary from 0x08040000 with dfu-util -d 37c5:9204 -a FIRMWARE"],
        );
        let path = write_elf(dir.path(), "agent.elf", 0x0804_0000, &[0xAA; 300]);
        o.probe.elf = Some(path);
        let text = dry_run(&o).unwrap();
        assert_dry_run_mentions(
            &text,
            [
                "writes    0x08040000..0x0804012c through alt setting FIRMWARE",
                "command   dfu-util -d 37c5:9204 -a FIRMWARE -D ",
                "bank 1 sector 2 (0x08040000..0x08060000)",
            ],
        );
    }

    #[test]
    fn the_probe_dry_run_refuses_the_bootloader_area_unless_asked() {
        let dir = tempfile::tempdir().unwrap();
        let (mut o, _) = opts_with_elf(dir.path(), "stock-layout.elf", 0x0800_0000, &[0; 64]);
        let err = dry_run(&o).unwrap_err().to_string();
        assert_contains_all(&err, ["OpenMV bootloader", "--erase-bootloader"]);
        o.probe.erase_bootloader = true;
        let text = dry_run(&o).unwrap();
        assert_dry_run_mentions(&text, ["bank 1 sector 0 (0x08000000..0x08020000)"]);
    }

    #[test]
    fn the_agent_builds_vector_table_is_checked_in_the_dry_run() {
        let dir = tempfile::tempdir().unwrap();
        let o = opts(dir.path());
        let config = read_config(&h7_file()).unwrap();
        let elf_path = config.firmware_build(dir.path()).elf();
        std::fs::create_dir_all(elf_path.parent().unwrap()).unwrap();
        let agent = |hard_fault: &str| {
            hil_flash::vectors::test_elf_with_vectors(
                0x0804_0000,
                &[0x2001_FFF8, 0x0804_0299, 0x0804_1001, 0x0805_0001],
                &[(hard_fault, 0x0805_0000), ("Reset", 0x0804_0298)],
            )
        };
        std::fs::write(&elf_path, agent("HardFault")).unwrap();
        for flash in [FlashPath::Probe, FlashPath::Dfu] {
            let mut o = opts(dir.path());
            o.probe.flash = flash;
            let text = dry_run(&o).unwrap();
            assert_dry_run_mentions(&text, ["vectors: table at 0x08040000: SP 0x2001fff8, Reset 0x08040298, HardFault 0x08050000 (HardFault)"]);
        }
        std::fs::write(&elf_path, agent("HardFault_")).unwrap();
        let err = dry_run(&o).unwrap_err().to_string();
        assert!(err.contains("cortex-m-rt's default endless loop"), "{err}");
    }
}
