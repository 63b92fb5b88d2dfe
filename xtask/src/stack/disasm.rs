//! Functions and their instructions, from the text of
//! `arm-none-eabi-objdump -d -C` (Thumb-2).
//!
//! Each symbol header (`08000298 <name>:`) starts a function that runs to
//! the next header. Instruction lines are
//! `addr:<TAB>raw halfwords<TAB>mnemonic<TAB>operands`; literal-pool words
//! (`.word 0x…`, from the `$d` mapping symbols) are kept apart as data.
//! The raw bytes are read for one thing: the linker (lld) fills the gaps
//! between functions with the halfword `d4d4` (its ARM trap fill), which
//! objdump shows as `bmi.n` to a random place; those trailing halfwords
//! are dropped, so they make no false call edge. Everything else (section
//! titles, `...` for zero fill, blank lines) is skipped.

use std::fmt;

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insn {
    /// Its address.
    pub addr: u32,
    /// The raw halfwords, as objdump prints them (`f7ff fb07`).
    pub raw: String,
    /// Mnemonic as objdump prints it (`push`, `sub.w`, `bl`, `bne.n`).
    pub mnemonic: String,
    /// Operands, comment (`@ 0x…`) removed.
    pub operands: String,
}

/// One function symbol and the code up to the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// Demangled name.
    pub name: String,
    /// First address.
    pub start: u32,
    /// One past the last instruction or data word.
    pub end: u32,
    /// The instructions, in address order.
    pub insns: Vec<Insn>,
    /// Literal-pool words inside the function.
    pub pool: Vec<u32>,
}

impl Function {
    /// True if `addr` lies inside the function.
    pub fn contains(&self, addr: u32) -> bool {
        (self.start..self.end).contains(&addr)
    }
}

/// A line that looks like an instruction or a header but is not readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number in objdump's output.
    pub line: usize,
    /// What was expected.
    pub expected: &'static str,
    /// The line.
    pub found: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "objdump output line {}: expected {}, found {:?}",
            self.line, self.expected, self.found
        )
    }
}

impl std::error::Error for ParseError {}

/// What lld fills gaps in Thumb code with.
const LLD_TRAP_FILL: &str = "d4d4";

fn hex(s: &str) -> Option<u32> {
    u32::from_str_radix(s.trim_start_matches("0x"), 16).ok()
}

/// `08000298 <name>:` → (address, name).
fn header(line: &str) -> Option<(u32, &str)> {
    let (addr, rest) = line.split_once(' ')?;
    let name = rest.strip_prefix('<')?.strip_suffix(">:")?;
    Some((hex(addr)?, name))
}

/// Parse objdump's text into functions, ordered by address.
pub fn parse(text: &str) -> Result<Vec<Function>, ParseError> {
    let mut out: Vec<Function> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let err = |expected| ParseError {
            line: i + 1,
            expected,
            found: line.to_owned(),
        };
        if let Some((start, name)) = header(line) {
            out.push(Function {
                name: name.to_owned(),
                start,
                end: start,
                insns: Vec::new(),
                pool: Vec::new(),
            });
            continue;
        }
        let Some(body) = line.strip_prefix(' ').map(str::trim_start) else {
            continue; // titles, blank lines
        };
        let Some((addr, rest)) = body.split_once(":\t") else {
            if body == "..." || body.is_empty() {
                continue;
            }
            return Err(err("`address:<TAB>instruction`"));
        };
        let addr = hex(addr).ok_or_else(|| err("a hexadecimal address"))?;
        let Some(f) = out.last_mut() else {
            return Err(err("a function header before the first instruction"));
        };
        let (raw, rest) = rest
            .split_once('\t')
            .ok_or_else(|| err("raw bytes, then the instruction"))?;
        let rest = rest.split(['@', ';']).next().unwrap_or(rest).trim_end();
        let (mnemonic, operands) = rest.split_once('\t').unwrap_or((rest, ""));
        if mnemonic == ".word" {
            f.pool
                .push(hex(operands.trim()).ok_or_else(|| err("a `.word 0x…` value"))?);
            f.end = f.end.max(addr + 4);
            continue;
        }
        // At most 4 bytes from here; the next header cuts it (below).
        f.end = f.end.max(addr + 4);
        if mnemonic.starts_with('.') {
            // `.short`, `.byte`: padding or odd data, never code.
            continue;
        }
        f.insns.push(Insn {
            raw: raw.trim().to_owned(),
            addr,
            mnemonic: mnemonic.to_owned(),
            operands: operands.trim().to_owned(),
        });
    }
    for f in &mut out {
        while f.insns.last().is_some_and(|i| i.raw == LLD_TRAP_FILL) {
            f.insns.pop();
        }
    }
    // Aliases (two symbols at one address, the first without code) and
    // empty symbols carry nothing: keep the one with code.
    out.retain(|f| !f.insns.is_empty() || !f.pool.is_empty());
    out.sort_by_key(|f| f.start);
    out.dedup_by_key(|f| f.start);
    for i in 1..out.len() {
        let next = out[i].start;
        out[i - 1].end = out[i - 1].end.min(next);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\n\
firmware.elf:     file format elf32-littlearm\n\
\n\
Disassembly of section .text:\n\
\n\
00000400 <Reset>:\n \
 400:\tb580      \tpush\t{r7, lr}\n \
 402:\t466f      \tmov\tr7, sp\n \
 404:\tf000 f804 \tbl\t410 <main>\n \
 408:\t4801      \tldr\tr0, [pc, #4]\t@ (40c <Reset+0xc>)\n \
 40a:\te7fe      \tb.n\t40a <Reset+0xa>\n \
 40c:\t00000411 \t.word\t0x00000411\n\
\n\
00000410 <main>:\n \
 410:\tf5ad 6d80 \tsub.w\tsp, sp, #1024\t@ 0x400\n \
 414:\te7fe      \tb.n\t414 <main+0x4>\n \
 416:\td4d4      \tbmi.n\t3c2 <Reset-0x3e>\n \
\t...\n";

    #[test]
    fn headers_instructions_and_pools() {
        let fs = parse(TEXT).unwrap();
        assert_eq!(fs.len(), 2);
        assert_eq!(fs[0].name, "Reset");
        assert_eq!((fs[0].start, fs[0].end), (0x400, 0x410));
        assert_eq!(fs[0].pool, vec![0x411]);
        assert_eq!(fs[0].insns.len(), 5);
        assert_eq!(fs[0].insns[2].mnemonic, "bl");
        assert_eq!(fs[0].insns[2].operands, "410 <main>");
        assert_eq!(fs[1].insns[0].operands, "sp, sp, #1024");
        assert!(fs[1].contains(0x414) && !fs[1].contains(0x41c));
        // The linker's trap fill after main is not an instruction of it.
        assert_eq!(fs[1].insns.len(), 2);
        assert_eq!(fs[1].insns[1].raw, "e7fe");
    }

    #[test]
    fn names_with_spaces_and_angle_brackets() {
        let t = "08000000 <<T as core::fmt::Display>::fmt>:\n 8000000:\t4770 \tbx\tlr\n";
        assert_eq!(parse(t).unwrap()[0].name, "<T as core::fmt::Display>::fmt");
    }

    #[test]
    fn a_garbled_line_is_an_error_with_its_number() {
        let t = "00000400 <f>:\n 400:\t4770 \tbx\tlr\n zz:\tbf00 \tnop\n";
        let e = parse(t).unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.to_string().contains("hexadecimal"), "{e}");
    }
}
