//! The tool's one error type: what failed, on which file, where in it.

use std::path::PathBuf;

/// Why a subcommand failed. Every variant names the file and, where there
/// is one, the byte offset or line and what was expected against what was found.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file or folder could not be read, created or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The input is not a stream: its 16-byte header is bad (or it is empty).
    #[error("{}: {source}", path.display())]
    NotAStream {
        /// The stream file.
        path: PathBuf,
        /// The reader's error (`at byte 0: ...`).
        source: omv_imageio::Error,
    },
    /// The stream reader or writer failed.
    #[error("{}: {source}", path.display())]
    Stream {
        /// The stream file.
        path: PathBuf,
        /// The error, with its byte offset.
        source: omv_imageio::Error,
    },
    /// A frame's payload could not be turned into pixels.
    #[error("{}: frame {index} at byte {offset} ({pixformat} {width}x{height}): {reason}", path.display())]
    Frame {
        /// The stream file.
        path: PathBuf,
        /// Frame index.
        index: u32,
        /// Byte offset of the frame's chunk header.
        offset: u64,
        /// The frame's pixformat name.
        pixformat: &'static str,
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// What went wrong.
        reason: String,
    },
    /// An image to import could not be read.
    #[error("{}: {reason}", path.display())]
    Image {
        /// The image file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A timing file's line is not what it should be.
    #[error("{}: line {line}: expected {expected}, found {found:?}", path.display())]
    Timing {
        /// The CSV file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What the line should hold.
        expected: String,
        /// What it holds.
        found: String,
    },
    /// A command-line value is out of range or inconsistent with the input.
    #[error("{what}: expected {expected}, found {found}")]
    Usage {
        /// The option or argument.
        what: &'static str,
        /// What is accepted.
        expected: String,
        /// What was given.
        found: String,
    },
}

impl CliError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CliError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result with [`CliError`].
pub type Result<T> = std::result::Result<T, CliError>;
