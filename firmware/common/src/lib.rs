//! What the two agent firmwares share, so that the QEMU stand-in runs the
//! same code as the OpenMV Cam H7 where the boards do not differ:
//!
//! * [`buffers`]: the executor's memory as statics (the same symbols in
//!   both ELFs; `cargo xtask stack --same-memory-as` still reads them from
//!   both).
//! * [`fault`]: the HardFault entry and its stack, the reset record in
//!   no-init RAM, the HardFault report and the reset that leaves it. Each
//!   board keeps its handler (`omv_on_hard_fault`, with its own RAM map)
//!   and any other exception entries.
#![no_std]

pub mod buffers;
pub mod fault;
