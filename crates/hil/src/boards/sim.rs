//! The `sim` board: the agent's executor running in-process over the
//! simulator's clock, sensor and SD card.

use crate::board::{Board, BoardError};
use crate::boards::BoardOptions;

/// Start the `sim` board.
pub fn open(_opts: &BoardOptions) -> Result<Box<dyn Board>, BoardError> {
    Err(BoardError::NotSupported {
        board: "sim".into(),
        reason: "waiting for omv-agent's Executor and imageio-sim".into(),
    })
}

/// What `--dry-run` would do on the `sim` board.
pub fn dry_run(_opts: &BoardOptions) -> Result<String, BoardError> {
    Ok("sim: in-process simulator; nothing to flash or start".into())
}
