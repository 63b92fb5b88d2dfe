//! One firmware as another's double: the same stack size and the same
//! buffer statics, read from both ELFs (not from constants in comments).
//!
//! The buffers are the statics `buffers::FRAME`, `buffers::AUX`,
//! `buffers::REGION` and `buffers::TRACE` (both firmwares link them from
//! `firmware/common`); their symbol sizes must be equal in the two ELFs. The stack is
//! `_stack_start - _stack_end` (both set in each `memory.x`).

use super::elf::StackElf;

/// The statics compared, in `buffers`.
pub const BUFFERS: [&str; 4] = ["FRAME", "AUX", "REGION", "TRACE"];

/// One compared figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// What it is.
    pub what: String,
    /// In the checked ELF (`None`: not found).
    pub mine: Option<u64>,
    /// In the reference ELF.
    pub theirs: Option<u64>,
}

impl Row {
    /// Both found and equal.
    pub fn ok(&self) -> bool {
        self.mine.is_some() && self.mine == self.theirs
    }
}

fn stack(img: &StackElf) -> Option<u64> {
    img.address("_stack_start")?
        .checked_sub(img.address("_stack_end")?)
}

/// Compare `mine` with `theirs`.
pub fn compare(mine: &StackElf, theirs: &StackElf) -> Vec<Row> {
    let mut rows = vec![Row {
        what: "stack bytes (_stack_start - _stack_end)".into(),
        mine: stack(mine),
        theirs: stack(theirs),
    }];
    for b in BUFFERS {
        rows.push(Row {
            what: format!("buffers::{b} bytes"),
            mine: mine.sized("buffers", b).map(|s| s.1),
            theirs: theirs.sized("buffers", b).map(|s| s.1),
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(stack: (u64, u64), frame: u64) -> StackElf {
        StackElf {
            symbols: vec![
                ("_stack_start".into(), stack.0, 0),
                ("_stack_end".into(), stack.1, 0),
                (
                    "_ZN8agent_h77buffers5FRAME17h0123456789abcdefE".into(),
                    0x2400_0000,
                    frame,
                ),
                (
                    "_ZN8agent_h77buffers3AUX17h0123456789abcdefE".into(),
                    0x2400_0000,
                    frame,
                ),
                (
                    "_ZN8agent_h77buffers6REGION17h0123456789abcdefE".into(),
                    0,
                    139_265,
                ),
                (
                    "_ZN8agent_h77buffers5TRACE17h0123456789abcdefE".into(),
                    0,
                    49_160,
                ),
            ],
            ..StackElf::default()
        }
    }

    #[test]
    fn equal_layouts_pass() {
        let h7 = image((0x2002_0000, 0x2000_0000), 153_604);
        let rows = compare(&h7, &h7.clone());
        assert_eq!(rows.len(), 5);
        assert!(rows.iter().all(Row::ok), "{rows:?}");
        assert_eq!(rows[0].mine, Some(128 * 1024));
    }

    #[test]
    fn a_kinder_double_fails_on_the_figure_that_differs() {
        let h7 = image((0x2002_0000, 0x2000_0000), 153_604);
        let qemu = image((0x2040_0000, 0x2000_0000), 614_404);
        let rows = compare(&qemu, &h7);
        let bad: Vec<&str> = rows
            .iter()
            .filter(|r| !r.ok())
            .map(|r| r.what.as_str())
            .collect();
        assert_eq!(
            bad,
            [
                "stack bytes (_stack_start - _stack_end)",
                "buffers::FRAME bytes",
                "buffers::AUX bytes"
            ]
        );
    }

    #[test]
    fn a_missing_static_fails() {
        let h7 = image((0x2002_0000, 0x2000_0000), 153_604);
        let mut qemu = h7.clone();
        qemu.symbols.retain(|s| !s.0.contains("5TRACE"));
        let rows = compare(&qemu, &h7);
        assert!(!rows[4].ok());
        assert_eq!(rows[4].mine, None);
    }
}
