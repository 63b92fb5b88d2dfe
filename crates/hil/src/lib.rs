//! The hardware-in-the-loop harness: scenarios written once as data
//! (`hil/scenarios/*.toml`), run on any [`Board`] (`sim`, `qemu`, `h7`),
//! captured (stream files, step results, timing trace), summarised as
//! stable text and compared with reviewed golden snapshots
//! (`golden/<board>/<scenario>.snap`, insta's format).
//!
//! `cargo xtask hil` is a thin CLI over [`session::run`] (and `cargo xtask
//! golden` over [`golden::commands`]); [`runner::run_all`] runs scenarios
//! on a board without the session around it.

pub mod board;
pub mod boards;
pub mod capture;
mod escape;
pub mod exit;
pub mod golden;
pub mod heartbeat;
pub mod junit;
pub mod limits;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod select;
pub mod session;
pub mod stream;
pub mod summary;
pub mod timing;
mod watch;

pub use board::{Board, BoardError, Setup, SnapshotPolicy, TimingPolicy};
pub use boards::{BoardFile, BoardOptions, FlashOptions};
pub use runner::{run_all, run_scenario, RunOptions, ScenarioResult, Verdict};
pub use scenario::{Scenario, ScenarioError};
