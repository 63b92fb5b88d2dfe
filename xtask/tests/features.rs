//! A library user of the `sim` board does not build probe-rs: with
//! omv-hil's default features (`qemu`, `h7`) off, `cargo tree` shows no
//! probe-rs among its normal dependencies; with them on (what `cargo xtask
//! hil` and the tests build), the `h7` board brings it in.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

/// `cargo tree -p omv-hil -e normal` with `extra` arguments, run in the
/// workspace.
fn tree(extra: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(cargo)
        .current_dir(&root)
        .args(["tree", "-p", "omv-hil", "-e", "normal"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn omv_hil_without_its_board_features_has_no_probe_rs() {
    let tree = tree(&["--no-default-features"]);
    assert!(tree.starts_with("omv-hil "), "{tree}");
    let found: Vec<&str> = tree
        .lines()
        .filter(|l| l.contains("probe-rs") || l.contains("hil-flash"))
        .collect();
    assert!(
        found.is_empty(),
        "omv-hil --no-default-features pulls in:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_default_features_bring_the_h7_boards_probe_rs() {
    let tree = tree(&[]);
    assert!(tree.lines().any(|l| l.contains("probe-rs v")), "{tree}");
}
