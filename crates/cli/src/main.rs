//! `omvstream`: the stream tool. A thin `clap` layer over [`omvstream::cli`].

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = omvstream::cli::Args::parse();
    let code = omvstream::cli::run(args.command);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
