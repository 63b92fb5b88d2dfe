//! What can go wrong talking to an agent, each with the message a user needs.

use std::time::Duration;

use omv_proto::{FrameError, ProtoError, ResetReport};

/// A failure of the host side of the link.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The serial port could not be opened.
    #[error("cannot open serial port {path}: {source}")]
    Open {
        /// The port's path.
        path: String,
        /// Why.
        source: serialport::Error,
    },
    /// Nothing (or nothing decodable) came back in time.
    #[error(
        "no answer to {what} within {:.1} s{}",
        waited.as_secs_f64(),
        damaged_hint(*damaged)
    )]
    Timeout {
        /// What we waited for.
        what: String,
        /// How long.
        waited: Duration,
        /// Damaged frames received meanwhile.
        damaged: usize,
    },
    /// The handshake got no answer: the agent is not running or the port is wrong.
    #[error(
        "no handshake answer within {:.1} s: is the agent firmware running, and is this its serial port?",
        waited.as_secs_f64()
    )]
    NoAgent {
        /// How long we waited.
        waited: Duration,
    },
    /// Host and agent speak different protocol versions.
    #[error("protocol version mismatch: host speaks {host}, agent {board:?} speaks {agent}; rebuild the agent firmware from this tree")]
    VersionMismatch {
        /// Our version.
        host: u16,
        /// The agent's.
        agent: u16,
        /// The agent's board name.
        board: String,
    },
    /// The port closed or the device disappeared.
    #[error("serial port gone: {0}")]
    PortGone(std::io::Error),
    /// Another I/O error on the port.
    #[error("serial I/O error: {0}")]
    Io(std::io::Error),
    /// The agent answered with an error.
    #[error("agent error ({:?}): {}", .0.kind, .0.message)]
    Agent(ProtoError),
    /// The agent answered something we did not ask for.
    #[error("unexpected answer to {what}: {got}")]
    Unexpected {
        /// What we asked.
        what: String,
        /// What came back (debug form).
        got: String,
    },
    /// A download arrived incomplete or corrupted, even after retries.
    #[error("download of {path} failed: {reason}")]
    Download {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A request could not be encoded (too large).
    #[error("request cannot be encoded: {0}")]
    Encode(FrameError),
    /// The agent restarted while we waited, and its firmware recorded why
    /// (`firmware fault: HardFault at PC ...`, `firmware panic: ...`).
    #[error("{report} (the agent restarted during {during})")]
    AgentRestarted {
        /// What the firmware recorded.
        report: Box<ResetReport>,
        /// What we were waiting for.
        during: String,
    },
}

fn damaged_hint(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(" ({n} damaged frames received meanwhile: check the baud rate and cabling)")
    }
}

impl LinkError {
    /// Classify an I/O error of the port: a vanished peer is `PortGone`.
    pub fn from_io(e: std::io::Error) -> Self {
        use std::io::ErrorKind as K;
        match e.kind() {
            K::BrokenPipe
            | K::NotConnected
            | K::ConnectionAborted
            | K::ConnectionReset
            | K::UnexpectedEof
            | K::NotFound => LinkError::PortGone(e),
            // EIO: a PTY whose other end closed, a USB device unplugged.
            _ if e.raw_os_error() == Some(5) => LinkError::PortGone(e),
            _ => LinkError::Io(e),
        }
    }
}
