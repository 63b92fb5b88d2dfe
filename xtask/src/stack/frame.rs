//! A function's stack frame, from the instructions that move SP.
//!
//! The frame is the sum of every SP decrement in the function: `push` and
//! `stmdb sp!` (4 bytes per register), `vpush`/`vstmdb sp!` (8 per
//! d-register, 4 per s-register), `sub sp, #imm` in all its encodings, and
//! stores that pre-decrement SP (`str rX, [sp, #-4]!`). Adding them all,
//! rather than following paths, can only overcount (a function with two
//! prologues on two paths counts both). The compiler never moves SP inside
//! a loop except for dynamic allocation, which is `sub sp, rN` here:
//! refused, as is any other SP write whose amount the instruction does not
//! say (`mov sp, rN`, `msr MSP, rN`, `add sp, rN`), except the
//! frame-pointer restores `mov sp, r7` / `sub sp, r7, #imm` in a function
//! that set r7 from SP (they only move SP back up).

use std::fmt;

use super::disasm::{Function, Insn};

/// What one instruction does to SP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// SP is not written, or only moves up (pops, `add sp, #imm`).
    None,
    /// SP moves down by this many bytes.
    Grow(u32),
    /// SP is written by an amount the instruction does not bound.
    Unbounded,
}

/// A function whose frame cannot be bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unbounded {
    /// The function.
    pub function: String,
    /// The instruction's address.
    pub addr: u32,
    /// The instruction.
    pub insn: String,
}

impl fmt::Display for Unbounded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} writes SP by an amount the check cannot bound at {:#x}: `{}` \
             (dynamic stack allocation or a stack switch; remove it, or add the \
             function to the reviewed SWITCHES table with the reason)",
            self.function, self.addr, self.insn
        )
    }
}

/// Registers in an objdump register list `{r4, r5, r7, lr}` or
/// `{d8-d15}`: (count of core/s registers, count of d registers).
fn reg_list(ops: &str) -> Option<(u32, u32)> {
    let list = ops.split_once('{')?.1.split_once('}')?.0;
    let (mut words, mut doubles) = (0, 0);
    for item in list.split(',').map(str::trim) {
        let n = match item.split_once('-') {
            Some((a, b)) => {
                let num = |s: &str| s.get(1..)?.parse::<u32>().ok();
                num(b)?.checked_sub(num(a)?)? + 1
            }
            None => 1,
        };
        if item.starts_with('d') {
            doubles += n;
        } else {
            words += n;
        }
    }
    Some((words, doubles))
}

/// `#1024` or `#0x400` → 1024.
fn imm(s: &str) -> Option<u32> {
    let s = s.trim().strip_prefix('#')?;
    match s.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn base(mnemonic: &str) -> &str {
    mnemonic
        .strip_suffix(".w")
        .or_else(|| mnemonic.strip_suffix(".n"))
        .unwrap_or(mnemonic)
}

/// What `i` does to SP.
pub fn effect(i: &Insn) -> Effect {
    let m = base(&i.mnemonic);
    let ops: Vec<&str> = i.operands.split(", ").collect();
    let first = ops.first().copied().unwrap_or("");
    let list = || reg_list(&i.operands);
    match m {
        "push" => return list().map_or(Effect::Unbounded, |(w, d)| Effect::Grow(4 * w + 8 * d)),
        "vpush" => return list().map_or(Effect::Unbounded, |(w, d)| Effect::Grow(4 * w + 8 * d)),
        "stmdb" | "stmfd" | "vstmdb" if first == "sp!" => {
            return list().map_or(Effect::Unbounded, |(w, d)| Effect::Grow(4 * w + 8 * d))
        }
        // Loads and increasing stores: SP moves up or stays.
        "pop" | "vpop" | "ldmia" | "ldm" | "ldmfd" | "vldmia" | "stm" | "stmia" | "stmea"
        | "vstmia" => return Effect::None,
        _ => {}
    }
    // Stores that pre-decrement SP: `str rX, [sp, #-4]!`.
    if m.starts_with("str") || m.starts_with("vstr") {
        if let Some(rest) = i.operands.split_once("[sp, #-") {
            if let Some(n) = rest.1.strip_suffix("]!").and_then(|n| n.parse().ok()) {
                return Effect::Grow(n);
            }
        }
        return Effect::None;
    }
    // From here on: instructions whose first operand is their destination.
    if first != "sp" || matches!(m, "cmp" | "cmn" | "tst" | "teq") {
        return if m == "msr" && (i.operands.starts_with("MSP") || i.operands.starts_with("PSP")) {
            Effect::Unbounded
        } else {
            Effect::None
        };
    }
    let rest = &ops[1..];
    match (m, rest) {
        ("sub" | "subw", [n]) | ("sub" | "subw", ["sp", n]) => {
            imm(n).map_or(Effect::Unbounded, Effect::Grow)
        }
        ("add" | "addw", [n]) | ("add" | "addw", ["sp", n]) if imm(n).is_some() => Effect::None,
        // A conditional `add sp, #n` (in an IT block) only moves SP up.
        (m, [n]) | (m, ["sp", n]) if is_conditional_add(m) && imm(n).is_some() => Effect::None,
        _ => Effect::Unbounded,
    }
}

/// `addcc`, `addeq`, ...: `add` with an IT-block condition code.
fn is_conditional_add(m: &str) -> bool {
    const CONDITIONS: [&str; 14] = [
        "eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le",
    ];
    m.strip_prefix("add")
        .is_some_and(|c| CONDITIONS.contains(&c))
}

/// Restores SP from the frame pointer r7 (`mov sp, r7`, `sub sp, r7, #n`).
fn fp_restore(i: &Insn) -> bool {
    let m = base(&i.mnemonic);
    (m == "mov" && i.operands == "sp, r7")
        || ((m == "sub" || m == "subw") && i.operands.starts_with("sp, r7, #"))
}

fn sets_fp(i: &Insn) -> bool {
    let m = base(&i.mnemonic);
    (m == "mov" && i.operands == "r7, sp") || (m == "add" && i.operands.starts_with("r7, sp, #"))
}

/// The frame of `f` in bytes. `switch_ok`: the function is in the
/// reviewed table of stack switches, whose unbounded SP writes load a
/// known stack top (they are then ignored).
pub fn frame(f: &Function, switch_ok: bool) -> Result<u32, Unbounded> {
    let mut total = 0u32;
    let mut fp_set = false;
    for i in &f.insns {
        fp_set |= sets_fp(i);
        match effect(i) {
            Effect::None => {}
            Effect::Grow(n) => total = total.saturating_add(n),
            Effect::Unbounded if (fp_set && fp_restore(i)) || switch_ok => {}
            Effect::Unbounded => {
                return Err(Unbounded {
                    function: f.name.clone(),
                    addr: i.addr,
                    insn: format!("{} {}", i.mnemonic, i.operands),
                })
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insn(m: &str, ops: &str) -> Insn {
        Insn {
            addr: 0x100,
            raw: String::new(),
            mnemonic: m.into(),
            operands: ops.into(),
        }
    }

    fn func(insns: &[(&str, &str)]) -> Function {
        Function {
            name: "f".into(),
            start: 0x100,
            end: 0x200,
            insns: insns.iter().map(|(m, o)| insn(m, o)).collect(),
            pool: vec![],
        }
    }

    #[test]
    fn each_prologue_form_counts() {
        let cases = [
            ("push", "{r4, r5, r6, r7, lr}", 20),
            ("push.w", "{r4, r5, r6, r7, r8, r9, sl, fp, lr}", 36),
            ("stmdb", "sp!, {r8, r9, sl, fp}", 16),
            ("vpush", "{d8-d15}", 64),
            ("vpush", "{d8}", 8),
            ("vpush", "{s16-s17}", 8),
            ("sub", "sp, #148", 148),
            ("sub.w", "sp, sp, #153600", 153_600),
            ("subw", "sp, sp, #1516", 1516),
            ("str.w", "fp, [sp, #-4]!", 4),
        ];
        for (m, o, n) in cases {
            assert_eq!(effect(&insn(m, o)), Effect::Grow(n), "{m} {o}");
        }
    }

    #[test]
    fn pops_loads_and_uses_of_sp_do_not_count() {
        for (m, o) in [
            ("pop", "{r4, r5, r7, pc}"),
            ("ldmia.w", "sp!, {r8, r9, sl, fp}"),
            ("add", "sp, #148"),
            ("addw", "sp, sp, #1516"),
            ("ldr.w", "fp, [sp], #4"),
            ("str", "r0, [sp, #12]"),
            ("add", "r0, sp, #8"),
            ("mov", "r7, sp"),
            ("cmp", "sp, r0"),
            ("msr", "PRIMASK, r0"),
            ("stmia.w", "sp, {r0, r2, r3}"),
        ] {
            assert_eq!(effect(&insn(m, o)), Effect::None, "{m} {o}");
        }
    }

    #[test]
    fn a_frame_is_the_sum_of_its_decrements() {
        let f = func(&[
            ("push", "{r4, r5, r6, r7, lr}"),
            ("add", "r7, sp, #12"),
            ("str.w", "r8, [sp, #-4]!"),
            ("sub", "sp, #40"),
            ("add", "sp, #40"),
            ("pop", "{r4, r5, r6, r7, pc}"),
        ]);
        assert_eq!(frame(&f, false), Ok(64));
    }

    #[test]
    fn dynamic_allocation_and_stack_switches_are_refused() {
        for (m, o) in [
            ("sub", "sp, r0"),
            ("sub.w", "sp, sp, r2"),
            ("mov", "sp, r0"),
            ("add", "sp, r1"),
            ("msr", "MSP, r0"),
        ] {
            let f = func(&[("push", "{r7, lr}"), (m, o)]);
            let e = frame(&f, false).unwrap_err();
            assert_eq!(e.insn, format!("{m} {o}"));
            assert!(e.to_string().contains("cannot bound"), "{e}");
            // A reviewed stack switch is accepted.
            assert_eq!(frame(&f, true), Ok(8));
        }
    }

    #[test]
    fn frame_pointer_restores_are_accepted_only_after_the_frame_pointer_is_set() {
        let ok = func(&[("push", "{r7, lr}"), ("mov", "r7, sp"), ("mov", "sp, r7")]);
        assert_eq!(frame(&ok, false), Ok(8));
        let bad = func(&[("push", "{r7, lr}"), ("mov", "sp, r7")]);
        assert!(frame(&bad, false).is_err());
    }
}
