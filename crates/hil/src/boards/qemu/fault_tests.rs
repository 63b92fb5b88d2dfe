//! The fault path end to end under QEMU, with agent-qemu built with its
//! `fault-test` feature: a stack overflow, a panic and a hang each reset
//! the firmware, and the harness reports what the firmware recorded — a
//! firmware fault or panic or watchdog reset, never a timeout.
//! Skipped (with a message) where `qemu-system-arm` is not installed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::OnceLock;

use omv_proto::{CrashKind, Op, Query};

use super::tests::{config, root};
use super::*;
use crate::board::{Board, BoardError, Setup};

/// `None` (and a note on stderr) if QEMU is not installed.
fn fault_test_elf() -> Option<PathBuf> {
    let installed = std::process::Command::new(&config().qemu.program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        eprintln!(
            "skipped: `{}` is not installed ({INSTALL_HINT})",
            config().qemu.program
        );
        return None;
    }
    static ELF: OnceLock<PathBuf> = OnceLock::new();
    Some(
        ELF.get_or_init(|| {
            firmware::build_fault_test(&config().firmware_build(&root()))
                .unwrap_or_else(|e| panic!("the fault-test firmware must build: {e}"))
        })
        .clone(),
    )
}

/// Boot the fault-test agent, run one step, crash it with `kind`.
fn crash(kind: CrashKind) -> Option<(BoardError, QemuBoard, tempfile::TempDir)> {
    let elf = fault_test_elf()?;
    let out = tempfile::tempdir().unwrap();
    let mut board = QemuBoard::start(config(), elf, out.path().to_owned()).unwrap();
    assert!(
        board.hello().unwrap().reset.is_none(),
        "a cold boot has no report"
    );
    board
        .begin(&Setup {
            scenario: format!("crash-{kind:?}"),
            seed: 1,
            card: crate::scenario::Card::default(),
        })
        .unwrap();
    board.run(1, &Op::Query(Query::IsClosed)).unwrap();
    let err = board.crash_test(kind).unwrap_err();
    Some((err, board, out))
}

fn assert_firmware_error(err: &BoardError, starts: &str) -> String {
    let text = err.to_string();
    assert!(matches!(err, BoardError::Firmware { .. }), "{text}");
    assert!(text.starts_with(starts), "{text}");
    assert!(!text.contains("no answer"), "not a timeout: {text}");
    text
}

#[test]
fn a_stack_overflow_is_reported_as_a_hardfault_not_a_timeout() {
    let Some((err, mut board, _out)) = crash(CrashKind::StackOverflow) else {
        return;
    };
    let text = assert_firmware_error(&err, "board `qemu`: firmware fault: HardFault at PC ");
    // The frame could not be stacked below RAM: CFSR says so.
    assert!(text.contains("STKERR"), "{text}");
    assert!(text.contains("stack overflow?"), "{text}");
    assert!(text.contains("during crash test StackOverflow"), "{text}");
    // What the agent logged before and after the reset came over the link.
    let log = board.take_log().join("\n");
    assert!(log.contains("step 1 ok"), "{log}");
    assert!(
        log.contains("restarted: firmware fault: HardFault"),
        "{log}"
    );
    // The board restarts cleanly for the next scenario.
    board
        .begin(&Setup {
            scenario: "after".into(),
            seed: 1,
            card: crate::scenario::Card::default(),
        })
        .unwrap();
    assert!(board.run(1, &Op::Query(Query::IsClosed)).is_ok());
    assert!(board.hello().unwrap().reset.is_none());
}

/// A panic and a hang: the firmware's own report, from `starts`.
#[rstest::rstest]
#[case::a_panic_is_reported_with_its_message_and_location(
    CrashKind::Panic,
    "board `qemu`: firmware panic: crash test: a deliberate panic at qemu/src/fault.rs:"
)]
#[case::a_hung_agent_is_reset_by_the_watchdog_and_says_where_it_was(
    CrashKind::Hang,
    "board `qemu`: firmware watchdog reset: the agent stopped feeding the watchdog (at PC 0x"
)]
fn a_crash_is_reported_with_the_firmwares_record(#[case] kind: CrashKind, #[case] starts: &str) {
    let Some((err, _board, _out)) = crash(kind) else {
        return;
    };
    let text = assert_firmware_error(&err, starts);
    let during = format!("during crash test {kind:?}");
    assert!(text.contains(&during), "{text}");
}
