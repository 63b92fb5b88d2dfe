//! The host side of the agent protocol (`omv-proto`).
//!
//! [`Link`] talks to an agent over a serial port ([`Link::open_serial`]:
//! a QEMU PTY, the H7's USB CDC port) or any `Read + Write` whose reads
//! time out: a version [`handshake`](Link::handshake), steps with a
//! deadline each ([`run`](Link::run)), the trace ([`events`](Link::events)),
//! chunked [`download`](Link::download)s that resume after damage, and
//! [`upload`](Link::upload)s. Garbage, damaged or truncated frames are
//! skipped and counted ([`Link::damaged`]); no wait is unbounded.
//!
//! ```no_run
//! use std::time::Duration;
//! use omv_link::Link;
//! use omv_proto::{Op, Query};
//!
//! let mut link = Link::open_serial("/dev/pts/5", 115_200)?;
//! let hello = link.handshake(Duration::from_secs(5))?;
//! println!("agent on {}", hello.board);
//! let r = link.run(0, &Op::Query(Query::IsClosed), Duration::from_secs(2))?;
//! println!("{:?}", r.outcome);
//! let bytes = link.download("/sdcard/stream.bin")?;
//! # Ok::<(), omv_link::LinkError>(())
//! ```

pub mod adapter;
pub mod client;
pub mod error;
#[cfg(feature = "test-util")]
pub mod test_util;

pub use adapter::{EmbeddedIo, IoError};
pub use client::{
    Link, StepResult, Trace, CHUNK_TIMEOUT, DEFAULT_TIMEOUT, DOWNLOAD_ATTEMPTS, LOG_TIMEOUT,
    REQUEST_ATTEMPTS, RESTART_PROBE,
};
pub use error::LinkError;
