//! `cargo xtask test`: every check CI runs, in order, stopping at the first
//! failure (or, with `--keep-going`, running them all and listing the
//! failures at the end).

use std::process::Command;
use std::time::Instant;

/// One check: a name and the command line that runs it.
struct Step {
    name: &'static str,
    program: &'static str,
    args: &'static [&'static str],
}

const STEPS: &[Step] = &[
    Step {
        name: "format",
        program: "cargo",
        args: &["fmt", "--all", "--", "--check"],
    },
    Step {
        name: "clippy (host workspace)",
        program: "cargo",
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    },
    Step {
        name: "tests (host workspace)",
        program: "cargo",
        args: &["test", "--workspace"],
    },
    Step {
        name: "stream crate for thumbv7em-none-eabihf",
        program: "cargo",
        args: &[
            "build",
            "-p",
            "omv-imageio",
            "--target",
            "thumbv7em-none-eabihf",
        ],
    },
    Step {
        name: "pattern and FAT crates (shared with the firmware) for thumbv7em-none-eabihf",
        program: "cargo",
        args: &[
            "build",
            "-p",
            "omv-pattern",
            "-p",
            "omv-fatstore",
            "--features",
            "omv-pattern/jpeg",
            "--target",
            "thumbv7em-none-eabihf",
        ],
    },
    Step {
        name: "protocol and agent crates (shared with the firmware) for thumbv7em-none-eabihf",
        program: "cargo",
        args: &[
            "build",
            "-p",
            "omv-proto",
            "-p",
            "omv-agent",
            "--target",
            "thumbv7em-none-eabihf",
        ],
    },
    // The firmware workspace (firmware/) is built with its own
    // .cargo/config.toml (target, linker script), passed explicitly so these
    // steps run from the repository root like the others.
    Step {
        name: "format (firmware workspace)",
        program: "cargo",
        args: &[
            "fmt",
            "--manifest-path",
            "firmware/Cargo.toml",
            "--all",
            "--",
            "--check",
        ],
    },
    Step {
        name: "clippy (agent-h7 firmware)",
        program: "cargo",
        args: &[
            "clippy",
            "--manifest-path",
            "firmware/Cargo.toml",
            "--config",
            "firmware/.cargo/config.toml",
            "--release",
            "-p",
            "agent-h7",
            "--",
            "-D",
            "warnings",
        ],
    },
    Step {
        name: "agent-h7 firmware for the OpenMV Cam H7 (thumbv7em-none-eabihf)",
        program: "cargo",
        args: &[
            "build",
            "--manifest-path",
            "firmware/Cargo.toml",
            "--config",
            "firmware/.cargo/config.toml",
            "--release",
            "-p",
            "agent-h7",
        ],
    },
    Step {
        name: "clippy (agent-qemu firmware)",
        program: "cargo",
        args: &[
            "clippy",
            "--manifest-path",
            "firmware/Cargo.toml",
            "--config",
            "firmware/.cargo/config.toml",
            "--release",
            "-p",
            "agent-qemu",
            "--",
            "-D",
            "warnings",
        ],
    },
    Step {
        name: "agent-qemu firmware for qemu-system-arm -M mps2-an500 (thumbv7em-none-eabihf)",
        program: "cargo",
        args: &[
            "build",
            "--manifest-path",
            "firmware/Cargo.toml",
            "--config",
            "firmware/.cargo/config.toml",
            "--release",
            "-p",
            "agent-qemu",
        ],
    },
    // Worst-case stack depth from the built ELFs (64 KiB budget: half of
    // the H7's 128 KiB DTCM stack); agent-qemu must also have agent-h7's
    // stack and buffer sizes (it is the H7's double).
    Step {
        name: "stack budget (agent-h7): worst case from the ELF's call graph",
        program: "cargo",
        args: &[
            "xtask",
            "stack",
            "firmware/target/thumbv7em-none-eabihf/release/agent-h7",
            "--budget",
            "65536",
        ],
    },
    Step {
        name: "stack budget and H7 memory (agent-qemu): worst case, same stack and buffers as agent-h7",
        program: "cargo",
        args: &[
            "xtask",
            "stack",
            "firmware/target/thumbv7em-none-eabihf/release/agent-qemu",
            "--budget",
            "65536",
            "--same-memory-as",
            "firmware/target/thumbv7em-none-eabihf/release/agent-h7",
        ],
    },
    Step {
        name: "the main job: every scenario on the sim board (golden/sim/, JUnit report)",
        program: "cargo",
        args: &[
            "xtask",
            "hil",
            "--board",
            "sim",
            "--junit",
            "target/hil/sim/junit.xml",
        ],
    },
    Step {
        name: "scenarios on the qemu board (agent-qemu under qemu-system-arm, golden/qemu/)",
        program: "cargo",
        args: &["xtask", "hil", "--board", "qemu"],
    },
    // Both h7 flash plans from the agent-h7 ELF built above: each refuses
    // an image over the OpenMV bootloader (below 0x0804_0000).
    Step {
        name: "h7 probe flash plan from the built ELF (dry run: sectors, bootloader kept)",
        program: "cargo",
        args: &[
            "xtask",
            "hil",
            "--board",
            "h7",
            "--flash",
            "probe",
            "--dry-run",
        ],
    },
    Step {
        name: "h7 DFU flash plan from the built ELF (dry run: dfu-util, address, file)",
        program: "cargo",
        args: &[
            "xtask",
            "hil",
            "--board",
            "h7",
            "--flash",
            "dfu",
            "--dry-run",
        ],
    },
];

/// Run every step; returns the process exit code. With `keep_going` a
/// failed step does not stop the others; the failures are listed at the end.
pub fn run(only_list: bool, keep_going: bool) -> i32 {
    if only_list {
        for s in STEPS {
            println!("{}: {} {}", s.name, s.program, s.args.join(" "));
        }
        return 0;
    }
    let total = Instant::now();
    let failed = run_steps(STEPS, keep_going);
    if !failed.is_empty() {
        eprintln!(
            "{} of {} checks failed in {:.1} s:",
            failed.len(),
            STEPS.len(),
            total.elapsed().as_secs_f64()
        );
        for f in &failed {
            eprintln!("  {f}");
        }
        return 1;
    }
    println!(
        "all {} checks passed in {:.1} s",
        STEPS.len(),
        total.elapsed().as_secs_f64()
    );
    0
}

/// Run `steps` in order; the failures, one line each. Stops at the first
/// failure unless `keep_going`.
fn run_steps(steps: &[Step], keep_going: bool) -> Vec<String> {
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

    const MIXED: &[Step] = &[
        Step {
            name: "first fails",
            program: "false",
            args: &[],
        },
        Step {
            name: "second passes",
            program: "true",
            args: &[],
        },
        Step {
            name: "third cannot start",
            program: "/nonexistent/xtask-check",
            args: &[],
        },
    ];

    #[test]
    fn keep_going_runs_every_check_and_lists_each_failure() {
        let failed = run_steps(MIXED, true);
        assert_eq!(failed.len(), 2, "{failed:?}");
        assert!(failed[0].starts_with("first fails ("), "{failed:?}");
        assert!(
            failed[1].starts_with("third cannot start: cannot run /nonexistent/xtask-check"),
            "{failed:?}"
        );
    }

    #[test]
    fn without_keep_going_the_first_failure_stops_the_run() {
        assert_eq!(run_steps(MIXED, false).len(), 1);
    }
}
