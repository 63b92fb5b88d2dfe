//! `cargo xtask`: the project's command line. A thin `clap` layer; the work
//! is done by the library crates so that every part is testable.
// The clap types' doc comments are the `--help` text, where `<OUT>` and
// `<BOARD>` are placeholders a user reads, not HTML.
#![allow(rustdoc::invalid_html_tags)]

mod bar;
mod flash_cli;
mod hil;
mod out;
mod stack;
mod test;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// The project's tasks.
#[derive(Parser)]
#[command(name = "cargo xtask", about = "omv-imageio project tasks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the container version and one row per frame of a stream file
    /// (the `omvstream inspect` code).
    Inspect(omvstream::cli::InspectArgs),
    /// Write a stream's frames as PNG files or one animated PNG (the
    /// `omvstream export` code).
    Export(omvstream::cli::ExportArgs),
    /// Run the HIL scenarios on a board and compare with golden snapshots.
    Hil(hil::HilArgs),
    /// Review changed golden snapshots (golden/<board>/*.snap.new).
    Golden(hil::GoldenArgs),
    /// Worst-case stack depth of a firmware ELF (fails above the budget).
    Stack(stack::StackArgs),
    /// Run every check CI runs: fmt, clippy, tests, firmware builds, scenarios.
    Test {
        /// Only list the checks, do not run them.
        #[arg(long)]
        list: bool,
        /// Run every check even after one fails; list the failures at the end.
        #[arg(long)]
        keep_going: bool,
        /// Only the checks of one group (fmt, clippy, test, firmware,
        /// hil-sim, hil-qemu): each CI job runs one.
        #[arg(long, value_name = "GROUP")]
        group: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Inspect(a) => omvstream::cli::run(omvstream::cli::Command::Inspect(a)),
        Command::Export(a) => omvstream::cli::run(omvstream::cli::Command::Export(a)),
        Command::Test {
            list,
            keep_going,
            group,
        } => test::run(list, keep_going, group.as_deref()),
        Command::Hil(args) => hil::run(args),
        Command::Golden(args) => hil::golden(args),
        Command::Stack(args) => stack::run(&args),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Parse `args` as one subcommand's flags `T` (a test of its clap derive).
#[cfg(test)]
pub(crate) fn parse_args<T: clap::Args>(args: &[&str]) -> Result<T, clap::Error> {
    let command = T::augment_args(clap::Command::new("xtask"));
    let matches =
        command.try_get_matches_from(std::iter::once("xtask").chain(args.iter().copied()))?;
    T::from_arg_matches(&matches)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn inspect_and_export_take_the_stream_tools_arguments() {
        let cli = Cli::try_parse_from(["cargo xtask", "inspect", "s.bin", "--json"]).unwrap();
        assert!(matches!(cli.command, Command::Inspect(a) if a.json && a.file.ends_with("s.bin")));
        let cli = Cli::try_parse_from([
            "cargo xtask",
            "export",
            "s.bin",
            "--apng",
            "a.png",
            "--frames",
            "2..5",
        ])
        .unwrap();
        let Command::Export(a) = cli.command else {
            panic!("not export")
        };
        assert_eq!(a.frames.map(|r| (r.start, r.end)), Some((2, Some(5))));
        assert!(a.png.is_none() && a.apng.is_some());
        // --png or --apng is required, as for `omvstream export`.
        assert!(Cli::try_parse_from(["cargo xtask", "export", "s.bin"]).is_err());
    }
}
