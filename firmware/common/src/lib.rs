//! What the two agent firmwares share, so that the QEMU stand-in runs the
//! same code as the OpenMV Cam H7 where the boards do not differ:
//!
//! * [`buffers`]: the executor's memory as statics (the same symbols in
//!   both ELFs; `cargo xtask stack --same-memory-as` still reads them from
//!   both).
//! * [`fault`]: the reset record in no-init RAM, the HardFault report and
//!   the reset that leaves it. Each board keeps its own exception entries
//!   (where the fault stack is) and its own RAM map.
#![no_std]

pub mod buffers;
pub mod fault;
