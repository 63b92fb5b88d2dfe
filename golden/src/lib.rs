//! Accepted golden snapshots live beside this crate, one folder per board.
