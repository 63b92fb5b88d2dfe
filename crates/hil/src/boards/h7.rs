//! The `h7` board: an OpenMV Cam H7 flashed with probe-rs, driven over
//! USB serial. Owned by the H7 helper; this stub only reports that the board is
//! not available yet.

use crate::board::{Board, BoardError};
use crate::boards::BoardOptions;

/// Flash and connect the `h7` board.
pub fn open(_opts: &BoardOptions) -> Result<Box<dyn Board>, BoardError> {
    Err(BoardError::NotSupported {
        board: "h7".into(),
        reason: "the h7 board is not implemented yet (crates/hil/src/boards/h7.rs)".into(),
    })
}

/// What `--dry-run` would do on the `h7` board.
pub fn dry_run(opts: &BoardOptions) -> Result<String, BoardError> {
    open(opts).map(|_| String::new())
}
