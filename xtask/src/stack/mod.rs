//! `cargo xtask stack ELF --budget BYTES`: the worst-case stack depth of a
//! Cortex-M firmware, from its machine code. Stable Rust only: no
//! `-Z emit-stack-sizes`; it reads `arm-none-eabi-objdump -d` and the ELF.
//!
//! * Frames: [`frame`] (every SP decrement of each function).
//! * Calls: [`graph`] (direct calls, tail calls, indirect calls bounded by
//!   every address-taken function; recursion fails).
//! * Thread mode is the deepest path from `Reset` (vector 1). Exceptions
//!   come on top: every distinct handler in the vector table is taken to
//!   be its own priority level, so all of them may nest at once (the
//!   bound holds whatever priorities the firmware sets at run time). Each
//!   level adds its handler's deepest path plus the exception frame the
//!   hardware stacks: [`EXCEPTION_FRAME`].
//! * `--same-memory-as OTHER.elf`: the two firmwares must have the same
//!   stack size and the same buffer statics ([`twin`]): agent-qemu is
//!   agent-h7's double and may not be kinder.

mod disasm;
mod elf;
mod frame;
mod graph;
mod report;
mod twin;

use std::path::PathBuf;
use std::process::Command;

use graph::{CallStep, Graph};

/// Bytes the core stacks on exception entry with the FPU context (8 core
/// registers, S0-S15, FPSCR and a reserved word: ARMv7-M ARM B1.5.7) plus
/// 4 bytes of alignment padding (CCR.STKALIGN keeps the frame 8-aligned).
/// Both firmwares are `eabihf` and enable the FPU, so the short 32-byte
/// frame is never assumed.
pub const EXCEPTION_FRAME: u32 = 104 + 4;

/// Functions allowed to write SP with a value the instructions do not
/// bound, because they load a known stack top (reviewed; each says why).
pub const SWITCHES: &[(&str, &str)] = &[
    (
        "Reset",
        "cortex-m-rt's `set-sp` loads MSP with _stack_start, the top of the stack, before anything runs",
    ),
    (
        "HardFault",
        "the fault entry (agent-common's fault.rs, both firmwares) loads SP with the top of its reserved 2 KiB \
         fault stack before any Rust runs, since an overflowed stack cannot be used",
    ),
];

/// Recursion with a bound (reviewed): the (caller, callee) back edge is
/// taken at most once on a path, for the reason given.
pub const BOUNDED_RECURSION: &[(&str, &str, &str)] = &[(
    "core::str::slice_error_fail_rt",
    "core::str::slice_error_fail",
    "the panic message for a bad str slice re-slices the string (twice) at char boundaries it computed \
     (floor_char_boundary), which cannot fail again",
)];

/// Arguments of `cargo xtask stack`.
#[derive(clap::Args, Debug)]
pub struct StackArgs {
    /// The firmware ELF (e.g. firmware/target/thumbv7em-none-eabihf/release/agent-h7).
    pub elf: PathBuf,
    /// Fail if the worst case exceeds this many bytes.
    #[arg(long)]
    pub budget: u32,
    /// Also require the stack size and the `buffers::` statics of this ELF.
    #[arg(long)]
    pub same_memory_as: Option<PathBuf>,
    /// Nested indirect calls counted on one path (see the `graph` module).
    #[arg(long, default_value_t = 3)]
    pub indirect_depth: u32,
    /// The disassembler.
    #[arg(long, default_value = "arm-none-eabi-objdump")]
    pub objdump: String,
}

/// Worst case of one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Depth {
    /// Thread mode: the deepest path from Reset.
    pub thread: (u32, Vec<CallStep>),
    /// Each exception handler (one priority level each): its deepest path.
    pub handlers: Vec<(u32, Vec<CallStep>)>,
    /// Functions an indirect call may reach.
    pub address_taken: usize,
    /// The entries of the reviewed tables ([`SWITCHES`],
    /// [`BOUNDED_RECURSION`]) that this image needs, with their reasons.
    pub reviewed: Vec<String>,
}

impl Depth {
    /// Thread mode plus every handler level with its exception frame.
    pub fn total(&self) -> u32 {
        self.handlers.iter().fold(self.thread.0, |t, h| {
            t.saturating_add(h.0).saturating_add(EXCEPTION_FRAME)
        })
    }
}

/// Analyse an image given objdump's text and the ELF's facts.
pub fn analyse(objdump: &str, img: &elf::StackElf, k: u32) -> Result<Depth, String> {
    let funcs = disasm::parse(objdump).map_err(|e| e.to_string())?;
    let mut reviewed = Vec::new();
    let frames = funcs
        .iter()
        .map(|f| {
            let switch = SWITCHES.iter().find(|(n, _)| *n == f.name);
            if let (Some((n, why)), Err(_)) = (switch, frame::frame(f, false)) {
                reviewed.push(format!("{n} writes SP: {why}"));
            }
            frame::frame(f, switch.is_some()).map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let bounded: Vec<(&str, &str)> = BOUNDED_RECURSION.iter().map(|b| (b.0, b.1)).collect();
    let g = Graph::new(&funcs, frames, &img.data_words, &bounded).map_err(|e| e.to_string())?;
    let node = |v: u32, what: &str| {
        g.function_at(v)
            .ok_or_else(|| format!("vector {what} ({v:#x}) is not the start of a function"))
    };
    for (a, b, why) in BOUNDED_RECURSION {
        if g.calls(a, b) {
            reviewed.push(format!("{a} -> {b} taken at most once: {why}"));
        }
    }
    let reset = node(img.vectors[1], "1 (Reset)")?;
    let thread = g.deepest(reset, k).map_err(|e| e.to_string())?;
    let mut seen = std::collections::BTreeSet::from([reset]);
    let mut handlers = Vec::new();
    for (i, &v) in img.vectors.iter().enumerate().skip(2) {
        if v == 0 {
            continue; // reserved entry
        }
        let h = node(v, &i.to_string())?;
        if seen.insert(h) {
            handlers.push(g.deepest(h, k).map_err(|e| e.to_string())?);
        }
    }
    handlers.sort_by_key(|h| std::cmp::Reverse(h.0));
    Ok(Depth {
        thread,
        handlers,
        address_taken: g.address_taken(),
        reviewed,
    })
}

/// Run the check; returns the process exit code.
pub fn run(args: &StackArgs) -> i32 {
    match check(args) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            eprintln!("stack check failed: {e}");
            1
        }
    }
}

fn disassemble(objdump: &str, elf: &std::path::Path) -> Result<String, String> {
    let out = Command::new(objdump)
        .args(["-d", "-C"])
        .arg(elf)
        .output()
        .map_err(|e| {
            format!(
                "cannot run {objdump}: {e} (install it: apt-get install binutils-arm-none-eabi)"
            )
        })?;
    if !out.status.success() {
        return Err(format!(
            "{objdump} {} failed ({}): {}",
            elf.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("{objdump} printed non-UTF-8 text: {e}"))
}

fn check(args: &StackArgs) -> Result<bool, String> {
    let img = elf::read(&args.elf)?;
    let text = disassemble(&args.objdump, &args.elf)?;
    let depth = analyse(&text, &img, args.indirect_depth)?;
    print!(
        "{}",
        report::render(&args.elf, &depth, args.budget, args.indirect_depth)
    );
    let mut ok = depth.total() <= args.budget;
    if let Some(other) = &args.same_memory_as {
        let theirs = elf::read(other)?;
        let diffs = twin::compare(&img, &theirs);
        ok &= report::print_twin(&args.elf, other, &diffs);
    }
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handlers_add_their_depth_and_an_exception_frame_each_and_the_budget_fails() {
        let d = Depth {
            thread: (1000, vec![]),
            handlers: vec![(200, vec![]), (100, vec![])],
            address_taken: 0,
            reviewed: vec![],
        };
        assert_eq!(d.total(), 1000 + 200 + 100 + 2 * EXCEPTION_FRAME);
        let text = report::render(std::path::Path::new("fw"), &d, 1200, 3);
        assert!(text.contains("OVER BUDGET"), "{text}");
        let text = report::render(std::path::Path::new("fw"), &d, 2000, 3);
        assert!(text.contains(": ok"), "{text}");
    }
}
