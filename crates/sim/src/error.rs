//! The simulator's errors.

use omv_pattern::PatternError;

/// What went wrong in the simulator (outside the card's block errors,
/// which are [`CardError`](crate::CardError)).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A sensor or card setting is out of range.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A frame could not be rendered (e.g. the buffer is too small).
    #[error("frame: {0}")]
    Pattern(#[from] PatternError),
    /// The sensor refused a snapshot (the agent's sensor error: a frame
    /// that does not fit, or cannot be rendered).
    #[error("sensor: {0}")]
    Sensor(Box<omv_proto::OpError>),
    /// A PNG source file could not be read.
    #[error("PNG source: {0}")]
    Png(String),
    /// The card could not be formatted or mounted.
    #[error("card: {0}")]
    Card(String),
    /// A stream operation failed.
    #[error("stream: {0}")]
    Stream(#[from] omv_imageio::Error),
    /// Host file I/O (saving or opening a card image) failed.
    #[error("host I/O: {0}")]
    Io(#[from] std::io::Error),
}
