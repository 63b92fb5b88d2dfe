//! The `qemu` board: the agent firmware under `qemu-system-arm`, driven over
//! a PTY. Owned by the QEMU helper; this stub only reports that the board is
//! not available yet.

use crate::board::{Board, BoardError};
use crate::boards::BoardOptions;

/// Start the `qemu` board.
pub fn open(_opts: &BoardOptions) -> Result<Box<dyn Board>, BoardError> {
    Err(BoardError::NotSupported {
        board: "qemu".into(),
        reason: "the qemu board is not implemented yet (crates/hil/src/boards/qemu.rs)".into(),
    })
}

/// What `--dry-run` would do on the `qemu` board.
pub fn dry_run(opts: &BoardOptions) -> Result<String, BoardError> {
    open(opts).map(|_| String::new())
}
