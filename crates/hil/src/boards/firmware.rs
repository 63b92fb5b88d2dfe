//! Building a board's agent firmware: `cargo build --release -p <package>`
//! (`agent-qemu`, `agent-h7`) in the firmware workspace, with a timeout.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What to build and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmwareBuild {
    /// The firmware workspace (`<root>/firmware`).
    pub dir: PathBuf,
    /// The package (`agent-qemu`).
    pub package: String,
    /// The target triple (`thumbv7em-none-eabihf`).
    pub target: String,
    /// The cargo target directory (`<root>/firmware/target`).
    pub target_dir: PathBuf,
    /// How long the build may take.
    pub timeout: Duration,
}

impl FirmwareBuild {
    /// Where the ELF is once built (release profile).
    pub fn elf(&self) -> PathBuf {
        self.target_dir
            .join(&self.target)
            .join("release")
            .join(&self.package)
    }

    /// The cargo invocation, for `--dry-run` and messages.
    pub fn command_line(&self) -> String {
        format!(
            "cd {} && cargo build --release -p {} --target {} --target-dir {}",
            self.dir.display(),
            self.package,
            self.target,
            self.target_dir.display()
        )
    }
}

/// The firmware could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// cargo could not be started.
    #[error("could not run `{cargo}`: {source}")]
    Spawn {
        /// The cargo binary.
        cargo: String,
        /// Why.
        source: std::io::Error,
    },
    /// The build failed.
    #[error("`{command}` failed{hint}:\n{stderr}")]
    Failed {
        /// What was run.
        command: String,
        /// A fix, when the failure is a known one.
        hint: String,
        /// The end of cargo's output.
        stderr: String,
    },
    /// The build took too long and was stopped.
    #[error("`{command}` did not finish within {timeout:?} and was stopped")]
    Timeout {
        /// What was run.
        command: String,
        /// The limit.
        timeout: Duration,
    },
    /// cargo succeeded but the ELF is not where expected.
    #[error("the build succeeded but {} does not exist", elf.display())]
    Missing {
        /// The expected ELF.
        elf: PathBuf,
    },
}

/// Environment of an outer cargo (`cargo test`, `cargo xtask`) that must not
/// leak into the firmware build: it would change its target or flags.
const SCRUBBED_ENV: [&str; 7] = [
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_TARGET_DIR",
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "RUSTC_WORKSPACE_WRAPPER",
];

/// Known build failures and their fixes.
fn hint_for(stderr: &str) -> String {
    if stderr.contains("target may not be installed")
        || stderr.contains("can't find crate for `core`")
    {
        " (the target is missing: `rustup target add thumbv7em-none-eabihf`)".into()
    } else {
        String::new()
    }
}

/// Keep the last `max` bytes of `text`, at a character boundary.
fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// Builds the firmware (a no-op when it is up to date) and returns its ELF.
pub fn build(spec: &FirmwareBuild) -> Result<PathBuf, BuildError> {
    build_with(spec, &["--release"], spec.command_line(), spec.elf())
}

/// The firmware's profile and feature for tests of the fault path
/// (`CrashTest` requests overflow the stack, panic or hang).
pub const FAULT_TEST: &str = "fault-test";

/// Builds the package with its `fault-test` feature, under the
/// `fault-test` profile (release settings, its own directory, so the
/// release ELF stays as it is); returns that ELF.
pub fn build_fault_test(spec: &FirmwareBuild) -> Result<PathBuf, BuildError> {
    let elf = spec
        .target_dir
        .join(&spec.target)
        .join(FAULT_TEST)
        .join(&spec.package);
    let line = spec.command_line().replace(
        "--release",
        &format!("--profile {FAULT_TEST} --features {FAULT_TEST}"),
    );
    build_with(
        spec,
        &["--profile", FAULT_TEST, "--features", FAULT_TEST],
        line,
        elf,
    )
}

fn build_with(
    spec: &FirmwareBuild,
    profile: &[&str],
    command: String,
    elf: PathBuf,
) -> Result<PathBuf, BuildError> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(&spec.dir)
        .arg("build")
        .args(profile)
        .args(["--quiet", "-p", &spec.package])
        .args(["--target", &spec.target])
        .arg("--target-dir")
        .arg(&spec.target_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
    }
    let mut child = cmd.spawn().map_err(|source| BuildError::Spawn {
        cargo: cargo.clone(),
        source,
    })?;
    let stderr = child.stderr.take().map(|mut s| {
        std::thread::spawn(move || {
            let mut text = String::new();
            // A read error only shortens the message.
            let _ = s.read_to_string(&mut text);
            text
        })
    });
    let deadline = Instant::now() + spec.timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(BuildError::Timeout {
                    command,
                    timeout: spec.timeout,
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(source) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(BuildError::Spawn { cargo, source });
            }
        }
    };
    let stderr = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    if !status.success() {
        return Err(BuildError::Failed {
            command,
            hint: hint_for(&stderr),
            stderr: tail(&stderr, 4000).to_owned(),
        });
    }
    if !elf.is_file() {
        return Err(BuildError::Missing { elf });
    }
    Ok(elf)
}

/// The firmware workspace of the repository at `root`.
pub fn default_build(root: &Path) -> FirmwareBuild {
    let dir = root.join("firmware");
    FirmwareBuild {
        target_dir: dir.join("target"),
        dir,
        package: "agent-qemu".into(),
        target: "thumbv7em-none-eabihf".into(),
        timeout: Duration::from_secs(900),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::boards::testing::assert_contains_all;

    #[test]
    fn the_elf_is_under_the_target_dir() {
        let spec = default_build(Path::new("/repo"));
        assert_eq!(
            spec.elf(),
            PathBuf::from("/repo/firmware/target/thumbv7em-none-eabihf/release/agent-qemu")
        );
        assert!(spec.command_line().contains("-p agent-qemu"));
    }

    #[test]
    fn a_missing_target_gets_the_rustup_hint() {
        let hint = hint_for("error[E0463]: can't find crate for `core`\n  = note: the `thumbv7em-none-eabihf` target may not be installed");
        assert_contains_all(&hint, ["rustup target add thumbv7em-none-eabihf"]);
        assert_eq!(hint_for("error: linking failed"), "");
    }

    #[test]
    fn tail_keeps_the_end_at_a_char_boundary() {
        assert_eq!(tail("abcdef", 3), "def");
        assert_eq!(tail("ab", 3), "ab");
        assert_eq!(tail("aéé", 3), "é");
    }
}
