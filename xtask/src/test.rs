//! `cargo xtask test`: every check CI runs, in order, stopping at the first
//! failure (or, with `--keep-going`, running them all and listing the
//! failures at the end). Each check belongs to one group ([`GROUPS`]);
//! `--group NAME` runs only that group's checks, which is how the CI jobs of
//! `.github/workflows/ci.yml` split the same list (one job per group) instead
//! of listing the commands a second time.

use std::process::Command;
use std::time::Instant;

/// The groups, in the order their first check runs; the CI jobs of
/// `.github/workflows/ci.yml` run one group each (xtask's workflow tests
/// check that every group is run exactly once).
pub const GROUPS: &[&str] = &["fmt", "clippy", "test", "firmware", "hil-sim", "hil-qemu"];

/// One check: a name, its group and the command line that runs it.
#[derive(Debug)]
struct Check {
    name: &'static str,
    group: &'static str,
    program: &'static str,
    args: &'static [&'static str],
}

/// A check run by `cargo`.
const fn cargo(group: &'static str, name: &'static str, args: &'static [&'static str]) -> Check {
    Check {
        name,
        group,
        program: "cargo",
        args,
    }
}

/// `cargo xtask stack ELF --budget 65536` (64 KiB: half of the H7's 128 KiB
/// DTCM stack), then `rest`.
macro_rules! stack_check {
    ($name:expr, $elf:literal $(, $rest:literal)*) => {
        cargo("firmware", $name, &["xtask", "stack", $elf, "--budget", "65536" $(, $rest)*])
    };
}

/// `cargo SUBCOMMAND` of the firmware workspace (firmware/), with its own
/// .cargo/config.toml (target, linker script) passed explicitly so these
/// steps run from the repository root like the others.
macro_rules! firmware {
    ($group:literal, $name:expr, $sub:literal $(, $rest:literal)*) => {
        cargo($group, $name, &[
            $sub, "--manifest-path", "firmware/Cargo.toml",
            "--config", "firmware/.cargo/config.toml" $(, $rest)*
        ])
    };
}

/// `cargo xtask hil --board BOARD` with the rest of the flags.
macro_rules! hil {
    ($group:literal, $name:expr, $board:literal $(, $rest:literal)*) => {
        cargo($group, $name, &["xtask", "hil", "--board", $board $(, $rest)*])
    };
}

#[rustfmt::skip]
const CHECKS: &[Check] = &[
    cargo("fmt", "format", &["fmt", "--all", "--", "--check"]),
    cargo("clippy", "clippy (host workspace)",
        &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]),
    cargo("test", "tests (host workspace)", &["test", "--workspace"]),
    // The fuzz targets' bodies on stable: seeds plus a fixed number of
    // proptest cases from a fixed seed (well under a minute); cargo-fuzz
    // runs the same bodies unbounded (fuzz/, README "Fuzzing").
    cargo("test", "fuzz targets, bounded stable run",
        &["test", "-p", "omv-fuzzcheck", "--test", "bounded"]),
    cargo("test", "stream crate for thumbv7em-none-eabihf",
        &["build", "-p", "omv-imageio", "--target", "thumbv7em-none-eabihf"]),
    cargo("test", "pattern and FAT crates (shared with the firmware) for thumbv7em-none-eabihf",
        &["build", "-p", "omv-pattern", "-p", "omv-fatstore", "--features", "omv-pattern/jpeg",
          "--target", "thumbv7em-none-eabihf"]),
    cargo("test", "protocol and agent crates (shared with the firmware) for thumbv7em-none-eabihf",
        &["build", "-p", "omv-proto", "-p", "omv-agent", "--target", "thumbv7em-none-eabihf"]),
    cargo("fmt", "format (firmware workspace)",
        &["fmt", "--manifest-path", "firmware/Cargo.toml", "--all", "--", "--check"]),
    firmware!("clippy", "clippy (agent-h7 firmware, agent-common)", "clippy",
        "--release", "-p", "agent-h7", "-p", "agent-common", "--", "-D", "warnings"),
    firmware!("firmware", "agent-h7 firmware for the OpenMV Cam H7 (thumbv7em-none-eabihf)",
        "build", "--release", "-p", "agent-h7"),
    cargo("firmware", "agent-h7's defmt table: loads in defmt-decoder, has the firmware's log lines",
        &["test", "-p", "hil-flash", "--test", "defmt_table", "--", "--ignored"]),
    firmware!("clippy", "clippy (agent-qemu firmware)", "clippy",
        "--release", "-p", "agent-qemu", "--", "-D", "warnings"),
    firmware!("firmware",
        "agent-qemu firmware for qemu-system-arm -M mps2-an500 (thumbv7em-none-eabihf)",
        "build", "--release", "-p", "agent-qemu"),
    // Worst-case stack depth from the built ELFs; agent-qemu must also
    // have agent-h7's stack and buffer sizes (it is the H7's double).
    stack_check!("stack budget (agent-h7): worst case from the ELF's call graph",
        "firmware/target/thumbv7em-none-eabihf/release/agent-h7"),
    stack_check!(
        "stack budget and H7 memory (agent-qemu): worst case, same stack and buffers as agent-h7",
        "firmware/target/thumbv7em-none-eabihf/release/agent-qemu",
        "--same-memory-as", "firmware/target/thumbv7em-none-eabihf/release/agent-h7"),
    hil!("hil-sim", "the main job: every scenario on the sim board (golden/sim/, JUnit report)",
        "sim", "--junit", "target/hil/sim/junit.xml"),
    hil!("hil-qemu",
        "scenarios on the qemu board (agent-qemu under qemu-system-arm, golden/qemu/)",
        "qemu", "--junit", "target/hil/qemu/junit.xml"),
    // Both h7 flash plans from the agent-h7 ELF built above: each refuses
    // an image over the OpenMV bootloader (below 0x0804_0000).
    hil!("firmware", "h7 probe flash plan from the built ELF (dry run: sectors, bootloader kept)",
        "h7", "--flash", "probe", "--dry-run"),
    hil!("firmware", "h7 DFU flash plan from the built ELF (dry run: dfu-util, address, file)",
        "h7", "--flash", "dfu", "--dry-run"),
];

/// The checks of `group` (all of them for `None`), in order; an unknown
/// group is an error naming the known ones.
fn select(group: Option<&str>) -> Result<Vec<&'static Check>, String> {
    match group {
        None => Ok(CHECKS.iter().collect()),
        Some(g) if GROUPS.contains(&g) => Ok(CHECKS.iter().filter(|s| s.group == g).collect()),
        Some(g) => Err(format!(
            "no check group `{g}`; the groups are {}",
            GROUPS.join(", ")
        )),
    }
}

/// Run every step (of `group`, if given); returns the process exit code.
/// With `keep_going` a failed step does not stop the others; the failures
/// are listed at the end. `only_list` prints `[group] name: command` per
/// check instead.
pub fn run(only_list: bool, keep_going: bool, group: Option<&str>) -> i32 {
    let steps = match select(group) {
        Ok(steps) => steps,
        Err(e) => {
            eprintln!("cargo xtask test: {e}");
            return 2;
        }
    };
    if only_list {
        for s in &steps {
            println!(
                "[{}] {}: {} {}",
                s.group,
                s.name,
                s.program,
                s.args.join(" ")
            );
        }
        return 0;
    }
    let total = Instant::now();
    let failed = run_steps(&steps, keep_going);
    if !failed.is_empty() {
        eprintln!(
            "{} of {} checks failed in {:.1} s:",
            failed.len(),
            steps.len(),
            total.elapsed().as_secs_f64()
        );
        for f in &failed {
            eprintln!("  {f}");
        }
        return 1;
    }
    println!(
        "all {} checks passed in {:.1} s",
        steps.len(),
        total.elapsed().as_secs_f64()
    );
    0
}

/// Run `steps` in order; the failures, one line each. Stops at the first
/// failure unless `keep_going`.
fn run_steps(steps: &[&Check], keep_going: bool) -> Vec<String> {
    let mut failed: Vec<String> = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        println!(
            "==> [{}/{}] {}: {} {}",
            i + 1,
            steps.len(),
            s.name,
            s.program,
            s.args.join(" ")
        );
        let started = Instant::now();
        let status = Command::new(s.program)
            .args(s.args)
            .env("CI", "true")
            .env("INSTA_UPDATE", "no")
            .env_remove("INSTA_FORCE_PASS")
            .status();
        match status {
            Ok(st) if st.success() => {
                println!("    ok in {:.1} s", started.elapsed().as_secs_f64());
            }
            Ok(st) => {
                let why = format!("{} ({st})", s.name);
                eprintln!("FAILED: {why}");
                failed.push(why);
            }
            Err(e) => {
                let why = format!("{}: cannot run {}: {e}", s.name, s.program);
                eprintln!("FAILED: {why}");
                failed.push(why);
            }
        }
        if !failed.is_empty() && !keep_going {
            break;
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIXED: &[Check] = &[
        Check {
            name: "first fails",
            group: "test",
            program: "false",
            args: &[],
        },
        Check {
            name: "second passes",
            group: "test",
            program: "true",
            args: &[],
        },
        Check {
            name: "third cannot start",
            group: "test",
            program: "/nonexistent/xtask-check",
            args: &[],
        },
    ];

    fn mixed() -> Vec<&'static Check> {
        MIXED.iter().collect()
    }

    #[test]
    fn every_check_is_in_a_known_group_and_every_group_has_checks() {
        for s in CHECKS {
            assert!(GROUPS.contains(&s.group), "{}: group {}", s.name, s.group);
        }
        for g in GROUPS {
            assert!(!select(Some(g)).unwrap().is_empty(), "group {g} is empty");
        }
        let total: usize = GROUPS.iter().map(|g| select(Some(g)).unwrap().len()).sum();
        assert_eq!(total, CHECKS.len());
        assert_eq!(select(None).unwrap().len(), CHECKS.len());
    }

    #[test]
    fn a_group_keeps_the_order_of_its_checks_and_an_unknown_group_is_refused() {
        // The stack budgets read the ELFs the firmware builds before them write.
        let names: Vec<&str> = select(Some("firmware"))
            .unwrap()
            .iter()
            .map(|s| s.name)
            .collect();
        let at = |needle: &str| names.iter().position(|n| n.contains(needle)).unwrap();
        assert!(
            at("agent-h7 firmware") < at("stack budget (agent-h7)"),
            "{names:?}"
        );
        assert!(
            at("agent-qemu firmware") < at("stack budget and H7 memory"),
            "{names:?}"
        );
        let err = select(Some("lint")).unwrap_err();
        assert!(err.contains("`lint`") && err.contains("hil-qemu"), "{err}");
    }

    #[test]
    fn keep_going_runs_every_check_and_lists_each_failure() {
        let failed = run_steps(&mixed(), true);
        assert_eq!(failed.len(), 2, "{failed:?}");
        assert!(failed[0].starts_with("first fails ("), "{failed:?}");
        assert!(
            failed[1].starts_with("third cannot start: cannot run /nonexistent/xtask-check"),
            "{failed:?}"
        );
    }

    #[test]
    fn without_keep_going_the_first_failure_stops_the_run() {
        assert_eq!(run_steps(&mixed(), false).len(), 1);
    }
}
