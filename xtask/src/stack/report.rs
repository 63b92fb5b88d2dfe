//! What `cargo xtask stack` prints.

use std::fmt::Write;
use std::path::Path;

use super::graph::CallStep;
use super::twin::Row;
use super::{Depth, EXCEPTION_FRAME};

fn path(out: &mut String, steps: &[CallStep]) {
    for s in steps {
        let _ = writeln!(out, "      {:>6} B  {}", s.frame, s.name);
    }
}

/// The report: the deepest thread-mode path, each handler level, the total
/// against the budget.
pub fn render(elf: &Path, d: &Depth, budget: u32, k: u32) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "stack: {}", elf.display());
    let _ = writeln!(
        out,
        "  indirect calls: the deepest of {} address-taken functions, up to {k} nested on a path",
        d.address_taken
    );
    for r in &d.reviewed {
        let _ = writeln!(out, "  reviewed: {r}");
    }
    let _ = writeln!(
        out,
        "  thread mode, deepest path from Reset: {} B",
        d.thread.0
    );
    path(&mut out, &d.thread.1);
    let _ = writeln!(
        out,
        "  exception handlers, each its own priority level (+ {EXCEPTION_FRAME} B exception frame each):"
    );
    for (total, steps) in &d.handlers {
        let name = steps.first().map_or("?", |s| s.name.as_str());
        let _ = writeln!(out, "    {total:>6} B  {name}");
    }
    if let Some((_, steps)) = d.handlers.first() {
        let _ = writeln!(out, "  deepest handler's path:");
        path(&mut out, steps);
    }
    let total = d.total();
    let verdict = if total <= budget { "ok" } else { "OVER BUDGET" };
    let _ = writeln!(
        out,
        "  worst case: {total} B of a {budget} B budget ({:.1} %): {verdict}",
        f64::from(total) * 100.0 / f64::from(budget.max(1))
    );
    out
}

/// Print the comparison with the reference ELF; `true` if all equal.
pub fn print_twin(mine: &Path, theirs: &Path, rows: &[Row]) -> bool {
    println!("same memory as {}:", theirs.display());
    let show = |v: Option<u64>| v.map_or_else(|| "missing".to_owned(), |v| v.to_string());
    for r in rows {
        println!(
            "  {:<42} {:>10} {:>10}  {}",
            r.what,
            show(r.mine),
            show(r.theirs),
            if r.ok() { "ok" } else { "DIFFERS" }
        );
    }
    let ok = rows.iter().all(Row::ok);
    if !ok {
        println!(
            "  {} is not {}'s double: make the figures above equal",
            mine.display(),
            theirs.display()
        );
    }
    ok
}
