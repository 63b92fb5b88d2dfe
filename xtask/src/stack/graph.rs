//! The call graph and the deepest path through it.
//!
//! Edges: `bl`/`blx` to an address, and branches (`b`, `b<cond>`, `cbz`)
//! that leave the function: tail calls, counted like calls (the caller's
//! frame is usually popped first, so this can only overcount).
//!
//! Indirect calls (`blx rN`, `bx rN` other than `bx lr`, `mov pc, rN`,
//! `ldr pc, …` other than a return from the stack) are bounded by the
//! deepest of every *address-taken* function: each function whose address
//! (with the Thumb bit) appears as a word in a literal pool, in a data
//! section (`.rodata`, `.data`: vtables, function-pointer tables), or is
//! built by a `movw`/`movt` pair. Whatever a function pointer or trait
//! object can call had its address taken somewhere in the image, so the
//! bound holds for every indirect call, at the price of overcounting. The
//! vector table is not scanned: exception handlers are entered by the
//! hardware, and are added on top by the caller of this module.
//!
//! That set is coarse: it holds every `Future::poll` of the executor's
//! tasks and every `Display::fmt`, so through it everything "calls"
//! everything and the graph has cycles that no run can take (an executor
//! task polling the executor, `fmt` formatting itself for ever). Nested
//! indirect calls are therefore counted up to a depth `K` (`--indirect-
//! depth`, printed in the report): every path with at most `K` indirect
//! calls in a row is counted in full, each of them reaching the deepest
//! address-taken function. Direct recursion (a cycle of direct and tail
//! calls) has no bound and fails the check, naming the cycle, unless its
//! back edge is in the reviewed table the caller passes (`bounded`, each
//! with the reason the recursion stops): such an edge is taken at most
//! once on a path, so the cycle's functions count twice.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::disasm::{Function, Insn};

/// Where control goes from one instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Falls through, returns, or branches within the function.
    Local,
    /// Calls or branches to this address.
    To(u32),
    /// Calls through a register or memory.
    Indirect,
}

/// `b` and its conditional forms (`beq` … `bal`).
const BRANCHES: [&str; 18] = [
    "b", "beq", "bne", "bcs", "bhs", "bcc", "blo", "bmi", "bpl", "bvs", "bvc", "bhi", "bls", "bge",
    "blt", "bgt", "ble", "bal",
];

fn target(s: &str) -> Option<u32> {
    let hex = s.split_whitespace().next()?;
    u32::from_str_radix(hex, 16).ok()
}

/// Where `i` sends control.
pub fn flow(i: &Insn) -> Flow {
    let m = i.mnemonic.split('.').next().unwrap_or("");
    let ops = i.operands.as_str();
    if m == "bl" || m == "blx" || BRANCHES.contains(&m) {
        return match target(ops) {
            Some(t) => Flow::To(t),
            None if m == "blx" || m == "bl" => Flow::Indirect,
            None => Flow::Local,
        };
    }
    match m {
        "cbz" | "cbnz" => ops
            .split_once(", ")
            .and_then(|(_, t)| target(t))
            .map_or(Flow::Local, Flow::To),
        "bx" if ops != "lr" => Flow::Indirect,
        "mov" if ops.starts_with("pc, ") => Flow::Indirect,
        "ldr" if ops.starts_with("pc, ") && !ops.starts_with("pc, [sp]") => Flow::Indirect,
        _ => Flow::Local,
    }
}

/// A node: a function (its index) or every indirect call's target set.
type Node = usize;

/// The graph over the functions of one image.
#[derive(Debug)]
pub struct Graph<'f> {
    funcs: &'f [Function],
    frames: Vec<u32>,
    /// Callees of each function; index `funcs.len()` is the indirect node.
    edges: Vec<BTreeSet<Node>>,
    /// Reviewed back edges (caller, callee), each taken once per path.
    bounded: Vec<(Node, Node)>,
}

/// Memo key: node, indirect calls left, reviewed back edges already taken.
type Key = (Node, u32, u32);

/// Why no bound exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphError {
    /// A call or branch to an address that is in no function.
    Dangling {
        /// The caller.
        from: String,
        /// The instruction's address.
        addr: u32,
        /// Where it goes.
        to: u32,
    },
    /// Recursion: the functions of the cycle, in call order.
    Cycle(Vec<String>),
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GraphError::Dangling { from, addr, to } => write!(
                f,
                "{from} at {addr:#x} calls {to:#x}, which is in no function of the image"
            ),
            GraphError::Cycle(c) => write!(
                f,
                "recursion has no stack bound: {} -> (again)",
                c.join(" -> ")
            ),
        }
    }
}

impl std::error::Error for GraphError {}

/// One step of the deepest path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallStep {
    /// Function name (`<indirect call>` for the bound of an indirect call).
    pub name: String,
    /// Its own frame in bytes.
    pub frame: u32,
}

/// The name shown for an indirect call on a path.
pub const INDIRECT: &str = "<indirect call: deepest address-taken function>";

impl<'f> Graph<'f> {
    /// The graph of `funcs` (sorted by address, as [`super::disasm::parse`]
    /// returns them), with `frames[i]` the frame of `funcs[i]` and
    /// `data_words` every word of the image's data sections.
    /// `bounded`: reviewed recursive edges by (caller, callee) name.
    pub fn new(
        funcs: &'f [Function],
        frames: Vec<u32>,
        data_words: &[u32],
        bounded: &[(&str, &str)],
    ) -> Result<Self, GraphError> {
        let n = funcs.len();
        let find = |addr: u32| -> Option<Node> {
            let i = funcs.partition_point(|f| f.start <= addr).checked_sub(1)?;
            funcs[i].contains(addr).then_some(i)
        };
        let start = |addr: u32| -> Option<Node> {
            let i = funcs.binary_search_by_key(&(addr & !1), |f| f.start).ok()?;
            (addr & 1 == 1).then_some(i)
        };
        let mut edges = vec![BTreeSet::new(); n + 1];
        let mut taken = BTreeSet::new();
        taken.extend(data_words.iter().filter_map(|&w| start(w)));
        for (k, f) in funcs.iter().enumerate() {
            taken.extend(f.pool.iter().filter_map(|&w| start(w)));
            taken.extend(movw_movt(&f.insns).into_iter().filter_map(start));
            for i in &f.insns {
                match flow(i) {
                    Flow::Local => {}
                    Flow::To(t) if f.contains(t) => {}
                    Flow::To(t) => {
                        let callee = find(t).ok_or_else(|| GraphError::Dangling {
                            from: f.name.clone(),
                            addr: i.addr,
                            to: t,
                        })?;
                        edges[k].insert(callee);
                    }
                    Flow::Indirect => {
                        edges[k].insert(n);
                    }
                }
            }
        }
        edges[n] = taken;
        let named = |name: &str| funcs.iter().position(|f| f.name == name);
        let bounded = bounded
            .iter()
            .filter_map(|(a, b)| Some((named(a)?, named(b)?)))
            .collect();
        Ok(Graph {
            funcs,
            frames,
            edges,
            bounded,
        })
    }

    fn name(&self, v: Node) -> String {
        self.funcs
            .get(v)
            .map_or_else(|| INDIRECT.to_owned(), |f| f.name.clone())
    }

    fn frame(&self, v: Node) -> u32 {
        self.frames.get(v).copied().unwrap_or(0)
    }

    /// The function starting at `addr` (Thumb bit ignored).
    pub fn function_at(&self, addr: u32) -> Option<Node> {
        self.funcs
            .binary_search_by_key(&(addr & !1), |f| f.start)
            .ok()
    }

    /// True if the function named `a` calls the one named `b` directly.
    pub fn calls(&self, a: &str, b: &str) -> bool {
        let named = |n: &str| self.funcs.iter().position(|f| f.name == n);
        matches!((named(a), named(b)), (Some(a), Some(b)) if self.edges[a].contains(&b))
    }

    /// Functions an indirect call may reach.
    pub fn address_taken(&self) -> usize {
        self.edges[self.funcs.len()].len()
    }

    /// The deepest path from `root` with at most `k` nested indirect
    /// calls, and its total in bytes.
    pub fn deepest(&self, root: Node, k: u32) -> Result<(u32, Vec<CallStep>), GraphError> {
        let mut memo = BTreeMap::new();
        let mut on_path = Vec::new();
        self.visit((root, k, 0), &mut memo, &mut on_path)?;
        let mut path = Vec::new();
        let mut at = Some((root, k, 0));
        while let Some(key) = at {
            path.push(CallStep {
                name: self.name(key.0),
                frame: self.frame(key.0),
            });
            at = memo.get(&key).and_then(|m: &(u32, Option<Key>)| m.1);
        }
        Ok((memo.get(&(root, k, 0)).map_or(0, |m| m.0), path))
    }

    fn visit(
        &self,
        key: Key,
        memo: &mut BTreeMap<Key, (u32, Option<Key>)>,
        on_path: &mut Vec<Key>,
    ) -> Result<u32, GraphError> {
        if let Some(&(d, _)) = memo.get(&key) {
            return Ok(d);
        }
        if let Some(pos) = on_path.iter().position(|&u| u == key) {
            let names = on_path[pos..].iter().map(|u| self.name(u.0)).collect();
            return Err(GraphError::Cycle(names));
        }
        let (v, k, taken) = key;
        on_path.push(key);
        let mut best = (0, None);
        for &c in &self.edges[v] {
            let mut next = (c, k, taken);
            if c == self.funcs.len() {
                match k.checked_sub(1) {
                    Some(k) => next.1 = k,
                    None => continue,
                }
            }
            if let Some(bit) = self.bounded.iter().position(|&e| e == (v, c)) {
                next.2 |= 1 << bit;
                if taken & (1 << bit) != 0 {
                    continue;
                }
            }
            let d = self.visit(next, memo, on_path)?;
            if best.1.is_none() || d > best.0 {
                best = (d, Some(next));
            }
        }
        on_path.pop();
        let total = self.frame(v).saturating_add(best.0);
        memo.insert(key, (total, best.1));
        Ok(total)
    }
}

/// Addresses built by `movw rX, #lo` then `movt rX, #hi`.
fn movw_movt(insns: &[Insn]) -> Vec<u32> {
    let mut low: BTreeMap<&str, u32> = BTreeMap::new();
    let mut out = Vec::new();
    for i in insns {
        let Some((reg, v)) = i.operands.split_once(", #") else {
            continue;
        };
        let v = v
            .split_whitespace()
            .next()
            .and_then(|s| match s.strip_prefix("0x") {
                Some(h) => u32::from_str_radix(h, 16).ok(),
                None => s.parse().ok(),
            });
        match (i.mnemonic.as_str(), v) {
            ("movw", Some(v)) => {
                low.insert(reg, v & 0xffff);
            }
            ("movt", Some(v)) => {
                if let Some(lo) = low.remove(reg) {
                    out.push((v & 0xffff) << 16 | lo);
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
#[path = "graph_tests.rs"]
mod tests;
