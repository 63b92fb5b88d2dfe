//! The command line: `clap` arguments and one function per subcommand, used
//! by the `omvstream` binary and by `cargo xtask inspect` / `cargo xtask export`.
//!
//! Exit status: 0 done; 1 bad input (not a stream, damaged stream, bad
//! image or timing file, out-of-range `--frames`) or a failed write, with
//! the reason on standard error; 2 a command-line usage error (clap).

use crate::error::CliError;
use crate::export::{self, FrameRange};
use crate::import::{self, Timing};
use crate::{inspect, recover};
use clap::{ArgGroup, Parser, Subcommand};
use omv_imageio::PixFormat;
use std::path::PathBuf;

/// Inspect, export, import and recover OpenMV image streams (OMV IMG STR V1.0–V2.1).
#[derive(Debug, Parser)]
#[command(name = "omvstream", version)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the container version and one row per frame (exit 1 if damaged).
    Inspect(InspectArgs),
    /// Write frames as PNG files or as one animated PNG at the recorded pace.
    Export(ExportArgs),
    /// Make a V2.0 stream from PNG/JPEG images with the given timing.
    Import(ImportArgs),
    /// Copy every complete frame of a damaged or truncated stream to a new one.
    Recover(RecoverArgs),
}

/// `inspect FILE [--json]`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The stream file (OMV IMG STR V1.0, V1.1, V2.0 or V2.1).
    pub file: PathBuf,
    /// Print JSON (also for a file with a bad header) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `export FILE --png DIR | --apng FILE [--frames A..B]`.
#[derive(Debug, clap::Args)]
#[command(group(ArgGroup::new("out").required(true).multiple(true).args(["png", "apng"])))]
pub struct ExportArgs {
    /// The stream file.
    pub file: PathBuf,
    /// Write one file per frame (000000.png, ...; JPEG frames as .jpg) and timing.csv here.
    #[arg(long, value_name = "DIR")]
    pub png: Option<PathBuf>,
    /// Write one animated PNG whose frame delays are the recorded intervals.
    #[arg(long, value_name = "FILE")]
    pub apng: Option<PathBuf>,
    /// Only these frames: A..B (B excluded), A.., ..B or N.
    #[arg(long, value_name = "A..B")]
    pub frames: Option<FrameRange>,
}

/// `import DIR_OR_FILES -o FILE --fps N | --timing FILE.csv`.
#[derive(Debug, clap::Args)]
#[command(group(ArgGroup::new("time").required(true).args(["fps", "timing"])))]
pub struct ImportArgs {
    /// Folders (their .png/.jpg/.jpeg files, sorted by name) or image files, in order.
    #[arg(required = true, value_name = "DIR_OR_FILES")]
    pub inputs: Vec<PathBuf>,
    /// The stream file to write.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Frames per second.
    #[arg(long)]
    pub fps: Option<f64>,
    /// CSV with a header and an elapsed_us or elapsed_ms column, one row per image.
    #[arg(long, value_name = "FILE.csv")]
    pub timing: Option<PathBuf>,
    /// Frame format: GRAYSCALE, RGB565, BAYER_xxxx, YUV422, YVU422, BINARY, JPEG or PNG.
    #[arg(long, default_value = "RGB565", value_parser = parse_pixformat)]
    pub pixformat: PixFormat,
}

/// `recover FILE -o FILE`.
#[derive(Debug, clap::Args)]
pub struct RecoverArgs {
    /// The damaged stream file.
    pub file: PathBuf,
    /// The stream file to write.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

fn parse_pixformat(s: &str) -> Result<PixFormat, String> {
    PixFormat::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = PixFormat::ALL.iter().map(|p| p.name()).collect();
        format!("expected one of {}, found {s:?}", names.join(", "))
    })
}

/// Run a subcommand; returns the exit status.
pub fn run(command: Command) -> i32 {
    match command {
        Command::Inspect(a) => inspect::run(&a.file, a.json),
        Command::Export(a) => run_export(&a),
        Command::Import(a) => done(run_import(&a)),
        Command::Recover(a) => done(run_recover(&a)),
    }
}

/// Print an error and give exit status 1, or 0.
fn done(r: Result<(), CliError>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// `export`: returns the exit status. With both `--png` and `--apng`, a
/// failure of the first stops before the second.
pub fn run_export(a: &ExportArgs) -> i32 {
    let range = a.frames.unwrap_or(FrameRange::ALL);
    let mut code = 0;
    if let Some(dir) = &a.png {
        match export::to_png_dir(&a.file, dir, range) {
            Ok(e) => code = export::report(&e, std::io::stdout(), std::io::stderr()),
            Err(e) => return done(Err(e)),
        }
    }
    if let Some(file) = &a.apng {
        match export::to_apng(&a.file, file, range) {
            Ok(e) => code = code.max(export::report(&e, std::io::stdout(), std::io::stderr())),
            Err(e) => return done(Err(e)),
        }
    }
    code
}

fn run_import(a: &ImportArgs) -> Result<(), CliError> {
    let images = import::images(&a.inputs)?;
    let timing = match (&a.timing, a.fps) {
        (Some(csv), _) => Timing::Elapsed(import::read_timing(csv, &images)?),
        (None, Some(fps)) => Timing::Fps(fps),
        (None, None) => {
            return Err(CliError::Usage {
                what: "timing",
                expected: "--fps N or --timing FILE.csv".into(),
                found: "neither".into(),
            })
        }
    };
    let times = import::schedule(&timing, images.len())?;
    let n = import::import(&images, &times, a.pixformat, &a.output)?;
    println!(
        "imported {n} frames ({}) to {}, last at {} ms",
        a.pixformat,
        a.output.display(),
        times.last().copied().unwrap_or(0) / 1000
    );
    Ok(())
}

fn run_recover(a: &RecoverArgs) -> Result<(), CliError> {
    let bytes = std::fs::read(&a.file).map_err(|e| CliError::io(&a.file, e))?;
    let r = recover::recover(&a.file, &bytes, &a.output)?;
    print!("{}", recover::report(&r, &a.output));
    Ok(())
}
