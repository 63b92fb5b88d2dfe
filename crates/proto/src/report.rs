//! What the agent tells the host about itself beyond steps: why it last
//! restarted ([`ResetReport`], carried in [`Hello`](crate::Hello)) and its
//! log lines ([`LogPage`]).

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::types::Message;

/// Longest source path kept for a panic location (the tail is kept).
pub const MAX_PANIC_FILE: usize = 48;
/// Longest log line (bytes, UTF-8); longer lines are cut.
pub const MAX_LOG_LINE: usize = 80;
/// Most log lines in one [`LogPage`].
pub const MAX_LOG_LINES_PER_PAGE: usize = 12;

/// A log line's text.
pub type LogText = heapless::String<MAX_LOG_LINE>;

/// Why the agent restarted, as its firmware recorded it before the reset
/// (in RAM that survives a reset). Reported once, in the next `hello`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResetReport {
    /// A HardFault (or a fault escalated to one).
    Fault(FaultReport),
    /// A Rust panic.
    Panic(PanicReport),
    /// The watchdog expired: the agent stopped feeding it.
    Watchdog {
        /// Where the agent was when the watchdog's early warning came
        /// (`None` when the board has no early warning, e.g. the H7's IWDG).
        pc: Option<u32>,
    },
}

/// The registers a HardFault handler saw (Cortex-M7, ARMv7-M).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FaultReport {
    /// Stacked return address: the faulting instruction (precise faults),
    /// `None` when the exception frame could not be stacked (stack overflow).
    pub pc: Option<u32>,
    /// Stacked LR (`None` with `pc`).
    pub lr: Option<u32>,
    /// Stacked xPSR (`None` with `pc`).
    pub xpsr: Option<u32>,
    /// The stack pointer at the fault (where the frame was, or should have been, stacked).
    pub sp: u32,
    /// Configurable Fault Status Register (MMFSR | BFSR | UFSR).
    pub cfsr: u32,
    /// HardFault Status Register.
    pub hfsr: u32,
    /// MemManage Fault Address Register (valid if CFSR.MMARVALID).
    pub mmfar: u32,
    /// BusFault Address Register (valid if CFSR.BFARVALID).
    pub bfar: u32,
}

/// A panic's message and location.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PanicReport {
    /// The panic message, truncated.
    pub message: Message,
    /// Source file (its tail if long).
    pub file: heapless::String<MAX_PANIC_FILE>,
    /// Source line.
    pub line: u32,
}

/// One agent log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Board time when it was logged (µs).
    pub t_us: u64,
    /// The text, cut at [`MAX_LOG_LINE`] bytes.
    pub text: LogText,
}

/// A page of the agent's log.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LogPage {
    /// Index of `lines[0]`.
    pub first: u32,
    /// Lines logged so far (kept or not): the next index.
    pub total: u32,
    /// The lines.
    pub lines: heapless::Vec<LogLine, MAX_LOG_LINES_PER_PAGE>,
}

/// A deliberate crash, for tests of the fault path (only firmware built
/// with its test feature obeys; others answer `Unsupported`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CrashKind {
    /// Overflow the stack with oversized frames.
    StackOverflow,
    /// Panic with a known message.
    Panic,
    /// Stop feeding the watchdog (spin without waiting).
    Hang,
}

/// CFSR bits and their ARMv7-M names (ARMv7-M ARM, B3.2.15).
const CFSR_BITS: [(u32, &str); 19] = [
    (0, "IACCVIOL"),
    (1, "DACCVIOL"),
    (3, "MUNSTKERR"),
    (4, "MSTKERR"),
    (5, "MLSPERR"),
    (7, "MMARVALID"),
    (8, "IBUSERR"),
    (9, "PRECISERR"),
    (10, "IMPRECISERR"),
    (11, "UNSTKERR"),
    (12, "STKERR"),
    (13, "LSPERR"),
    (15, "BFARVALID"),
    (16, "UNDEFINSTR"),
    (17, "INVSTATE"),
    (18, "INVPC"),
    (19, "NOCP"),
    (24, "UNALIGNED"),
    (25, "DIVBYZERO"),
];
/// HFSR bits (ARMv7-M ARM, B3.2.16).
const HFSR_BITS: [(u32, &str); 3] = [(1, "VECTTBL"), (30, "FORCED"), (31, "DEBUGEVT")];

/// The names of the bits set in `value`, space-separated (`-` if none).
fn bit_names(f: &mut fmt::Formatter<'_>, value: u32, table: &[(u32, &str)]) -> fmt::Result {
    let mut any = false;
    for (bit, name) in table {
        if value & (1 << bit) != 0 {
            if any {
                f.write_str(" ")?;
            }
            f.write_str(name)?;
            any = true;
        }
    }
    if !any {
        f.write_str("-")?;
    }
    Ok(())
}

impl FaultReport {
    /// CFSR.MMARVALID: `mmfar` holds the faulting address.
    pub fn mmfar_valid(&self) -> bool {
        self.cfsr & (1 << 7) != 0
    }

    /// CFSR.BFARVALID: `bfar` holds the faulting address.
    pub fn bfar_valid(&self) -> bool {
        self.cfsr & (1 << 15) != 0
    }

    /// The exception frame could not be pushed (CFSR.STKERR or MSTKERR):
    /// the stack pointer was outside RAM, i.e. the stack overflowed.
    pub fn stacking_failed(&self) -> bool {
        self.cfsr & ((1 << 12) | (1 << 4)) != 0
    }
}

impl fmt::Display for FaultReport {
    /// `HardFault at PC 0x..., CFSR 0x... (bits), HFSR 0x... (bits), ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pc {
            Some(pc) => write!(f, "HardFault at PC {pc:#010x}")?,
            None => write!(f, "HardFault at PC unknown (not stacked)")?,
        }
        if let (Some(lr), Some(xpsr)) = (self.lr, self.xpsr) {
            write!(f, " (LR {lr:#010x}, xPSR {xpsr:#010x})")?;
        }
        write!(f, ", SP {:#010x}, CFSR {:#010x} (", self.sp, self.cfsr)?;
        bit_names(f, self.cfsr, &CFSR_BITS)?;
        write!(f, "), HFSR {:#010x} (", self.hfsr)?;
        bit_names(f, self.hfsr, &HFSR_BITS)?;
        f.write_str(")")?;
        if self.mmfar_valid() {
            write!(f, ", MMFAR {:#010x}", self.mmfar)?;
        }
        if self.bfar_valid() {
            write!(f, ", BFAR {:#010x}", self.bfar)?;
        }
        if self.stacking_failed() {
            f.write_str(": the exception frame could not be stacked (stack overflow?)")?;
        }
        Ok(())
    }
}

impl fmt::Display for ResetReport {
    /// `firmware fault: ...`, `firmware panic: msg at file:line`,
    /// `firmware watchdog reset: ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResetReport::Fault(r) => write!(f, "firmware fault: {r}"),
            ResetReport::Panic(p) => {
                write!(f, "firmware panic: {} at {}:{}", p.message, p.file, p.line)
            }
            ResetReport::Watchdog { pc: Some(pc) } => write!(
                f,
                "firmware watchdog reset: the agent stopped feeding the watchdog (at PC {pc:#010x})"
            ),
            ResetReport::Watchdog { pc: None } => {
                f.write_str("firmware watchdog reset: the agent stopped feeding the watchdog")
            }
        }
    }
}
