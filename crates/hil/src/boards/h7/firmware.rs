//! Building the agent for the board: `cargo build --release -p agent-h7` in
//! the firmware workspace (its `.cargo/config.toml` sets the target and the
//! linker script), bounded by the board file's `build_timeout_s`.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What to build and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmwareBuild {
    /// The firmware workspace (`<root>/firmware`).
    pub dir: PathBuf,
    /// The package (`agent-h7`).
    pub package: String,
    /// The target triple (`thumbv7em-none-eabihf`).
    pub target: String,
    /// The cargo target directory (`<root>/firmware/target`).
    pub target_dir: PathBuf,
    /// How long the build may take.
    pub timeout: Duration,
}

/// Variables cargo sets for the process running us (xtask) that would
/// leak into the nested build and send it to the host's target directory.
const SCRUBBED_ENV: [&str; 3] = ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET", "RUSTFLAGS"];

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

    /// Build (a no-op when up to date) and return the ELF's path. A build
    /// that outlives the timeout is killed.
    pub fn build(&self) -> Result<PathBuf, String> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(&self.dir)
            .args(["build", "--release", "--quiet", "-p", &self.package])
            .args(["--target", &self.target])
            .arg("--target-dir")
            .arg(&self.target_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for var in SCRUBBED_ENV {
            cmd.env_remove(var);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("could not run `{cargo}`: {e}"))?;
        let stderr = child.stderr.take().map(|mut s| {
            std::thread::spawn(move || {
                let mut text = String::new();
                // A read error only shortens the message.
                let _ = s.read_to_string(&mut text);
                text
            })
        });
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "`{}` did not finish within {:?} and was stopped",
                        self.command_line(),
                        self.timeout
                    ));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(100)),
                Err(e) => return Err(format!("waiting for `{}`: {e}", self.command_line())),
            }
        };
        let text = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
        if !status.success() {
            let hint = if text.contains("target may not be installed") {
                " (run `rustup target add thumbv7em-none-eabihf`)"
            } else {
                ""
            };
            let tail: String = text
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            return Err(format!("`{}` failed{hint}:\n{tail}", self.command_line()));
        }
        let elf = self.elf();
        if !elf.is_file() {
            return Err(format!(
                "the build succeeded but {} does not exist",
                elf.display()
            ));
        }
        Ok(elf)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn spec(dir: PathBuf) -> FirmwareBuild {
        FirmwareBuild {
            target_dir: dir.join("target"),
            dir,
            package: "agent-h7".into(),
            target: "thumbv7em-none-eabihf".into(),
            timeout: Duration::from_secs(60),
        }
    }

    #[test]
    fn the_elf_is_under_the_target_dir() {
        let s = spec(PathBuf::from("/repo/firmware"));
        assert_eq!(
            s.elf(),
            PathBuf::from("/repo/firmware/target/thumbv7em-none-eabihf/release/agent-h7")
        );
        assert!(s.command_line().contains("-p agent-h7"));
    }

    #[test]
    fn a_failing_build_reports_the_command_and_cargos_words() {
        let dir = tempfile::tempdir().unwrap();
        // No Cargo.toml here: cargo fails at once, naming the manifest.
        let err = spec(dir.path().to_owned()).build().unwrap_err();
        assert!(err.contains("cargo build --release -p agent-h7"), "{err}");
        assert!(
            err.to_lowercase().contains("manifest") || err.contains("Cargo.toml"),
            "{err}"
        );
    }
}
