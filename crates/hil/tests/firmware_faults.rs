//! A firmware that faults mid-scenario: the runner's verdict is an error
//! that quotes the firmware's record (not a timeout), and the agent's log
//! is saved beside the capture with its tail in the failure.
#![cfg(any(feature = "qemu", feature = "h7"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::run_options;

use std::ops::ControlFlow;
use std::path::Path;
use std::time::Duration;

use omv_hil::board::SnapshotPolicy;
use omv_hil::boards::serial::AgentBoard;
use omv_hil::runner::{run_scenario, Verdict};
use omv_hil::Scenario;
use omv_link::test_util::{self, pty_pair, FakeAgent};
use omv_link::Link;
use omv_proto::{
    bounded, EventPage, FaultReport, Hello, LogLine, LogPage, Outcome, RequestBody, ResetReport,
    Response, ResponseBody, Value, PROTOCOL_VERSION,
};
use serialport::TTYPort;

const SCENARIO: &str = include_str!("fixtures/memory-stream.toml");

fn fault() -> ResetReport {
    ResetReport::Fault(FaultReport {
        pc: Some(0x0000_1234),
        lr: Some(0x0000_0abd),
        xpsr: Some(0x2100_0000),
        sp: 0x2001_ff00,
        cfsr: 1 << 16,
        hfsr: 1 << 30,
        mmfar: 0,
        bfar: 0,
    })
}

/// An H7 agent's hello with room for the fixture's memory stream.
fn hello(reset: Option<ResetReport>) -> ResponseBody {
    ResponseBody::Hello(Hello {
        board: bounded("h7"),
        firmware: bounded("fake agent"),
        frame_buffer: 1 << 20,
        memory_buffer: 1 << 20,
        event_capacity: 64,
        reset,
        ..test_util::hello(PROTOCOL_VERSION)
    })
}

/// The log page from `from`, as the agent's ring gives it.
fn logs(from: u32, lines: &[&str]) -> ResponseBody {
    let first = from.min(lines.len() as u32);
    let mut page = LogPage {
        first,
        total: lines.len() as u32,
        lines: Default::default(),
    };
    for (i, l) in lines.iter().enumerate().skip(first as usize) {
        let line = LogLine {
            t_us: i as u64 * 1000,
            text: bounded(l),
        };
        page.lines.push(line).unwrap();
    }
    ResponseBody::Logs(page)
}

/// How the fake agent's second step crashes it.
#[derive(Clone, Copy, PartialEq)]
enum Crash {
    /// It "reboots" and announces why, as the firmware does over a UART.
    Announce,
    /// Its port vanishes, as the H7's USB device does when it resets.
    Vanish,
    /// Already rebooted: its hello carries the report.
    Rebooted,
}

fn crashing_agent(port: TTYPort) -> FakeAgent {
    fake_agent(port, Crash::Announce)
}

fn fake_agent(port: TTYPort, mode: Crash) -> FakeAgent {
    let mut crashed = mode == Crash::Rebooted;
    FakeAgent::spawn_until(port, move |req| {
        let (id, body) = match req.body {
            RequestBody::Hello { .. } if mode == Crash::Rebooted => (req.id, hello(Some(fault()))),
            RequestBody::Hello { .. } => (req.id, hello(None)),
            RequestBody::Run { step: 2, .. } if mode == Crash::Vanish => {
                return ControlFlow::Break(())
            }
            RequestBody::Run { step: 2, .. } => {
                crashed = true;
                (0, hello(Some(fault())))
            }
            RequestBody::Run { step, .. } => (
                req.id,
                ResponseBody::Done {
                    step,
                    outcome: Outcome::Ok(Value::Unit),
                    t_start_us: 0,
                    t_end_us: 1,
                },
            ),
            RequestBody::Events { .. } => (
                req.id,
                ResponseBody::Events(EventPage {
                    first: 0,
                    total: 0,
                    lost: 0,
                    events: Default::default(),
                }),
            ),
            // The restarted agent's log starts afresh.
            RequestBody::Logs { from } if crashed => (
                req.id,
                logs(
                    from,
                    &["restarted: firmware fault: HardFault at PC 0x00001234"],
                ),
            ),
            RequestBody::Logs { from } => (req.id, logs(from, &["booted", "step 1 ok in 0 ms"])),
            _ => (req.id, ResponseBody::Ack),
        };
        ControlFlow::Continue(vec![test_util::encode(&Response { id, body })])
    })
}

/// The h7 serial board on `host`, with a 5 s handshake and `step` per step.
fn board(host: TTYPort, step: Duration) -> AgentBoard<TTYPort> {
    AgentBoard::connect(
        "h7",
        Link::new(host),
        Duration::from_secs(5),
        step,
        SnapshotPolicy::default(),
    )
    .unwrap()
}

#[test]
fn a_fault_mid_step_fails_the_scenario_with_the_firmware_report_and_the_log_tail() {
    let (host, dev) = pty_pair();
    let agent = crashing_agent(dev);
    let mut board = board(host, Duration::from_secs(30));
    let dir = tempfile::tempdir().unwrap();
    let opts = run_options(dir.path(), "hil/scenarios", false);
    let scenario = Scenario::from_toml(SCENARIO, Path::new("hil/scenarios/crash.toml")).unwrap();
    let started = std::time::Instant::now();
    let r = run_scenario(&mut board, &scenario, &opts);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "not the 30 s step deadline"
    );
    assert_eq!(r.verdict, Verdict::Error, "{:?}", r.failures);
    assert!(
        r.failures[0].starts_with(
            "board `h7`: firmware fault: HardFault at PC 0x00001234 (LR 0x00000abd, xPSR 0x21000000), \
             SP 0x2001ff00, CFSR 0x00010000 (UNDEFINSTR), HFSR 0x40000000 (FORCED) \
             (the agent restarted during step 2 (Record"
        ),
        "{}",
        r.failures[0]
    );
    assert!(!r.failures[0].contains("no answer"), "{}", r.failures[0]);
    let tail = &r.failures[1];
    assert!(
        tail.starts_with("agent log, last 3 of 3 lines (saved in "),
        "{tail}"
    );
    assert!(
        tail.ends_with("restarted: firmware fault: HardFault at PC 0x00001234"),
        "{tail}"
    );
    // No probe: the log is the one carried over USB only, no RTT log.
    let saved = opts.out_dir.join(&scenario.name);
    assert!(saved.join("agent.log").is_file());
    assert!(!saved.join("agent-rtt.log").exists());
    assert_eq!(r.failures.len(), 2, "{:?}", r.failures);
    let saved = std::fs::read_to_string(dir.path().join("out/crash/agent.log")).unwrap();
    assert_eq!(saved.lines().count(), 3, "{saved}");
    assert!(
        saved.lines().next().unwrap().ends_with("] booted"),
        "{saved}"
    );
    drop(board);
    agent.join().unwrap();
}

#[test]
fn a_port_that_vanishes_mid_step_is_reopened_and_the_report_found() {
    let (host, dev) = pty_pair();
    let first = fake_agent(dev, Crash::Vanish);
    // The re-enumerated port: another PTY, an agent that has rebooted.
    let (host2, dev2) = pty_pair();
    let second = fake_agent(dev2, Crash::Rebooted);
    let mut spare = Some(host2);
    let mut board = board(host, Duration::from_secs(5)).with_reopen(Box::new(move || {
        spare
            .take()
            .map(Link::new)
            .ok_or_else(|| omv_link::LinkError::PortGone(std::io::Error::other("no port yet")))
    }));
    let dir = tempfile::tempdir().unwrap();
    let opts = run_options(dir.path(), "hil/scenarios", false);
    let scenario = Scenario::from_toml(SCENARIO, Path::new("hil/scenarios/vanish.toml")).unwrap();
    let r = run_scenario(&mut board, &scenario, &opts);
    assert_eq!(r.verdict, Verdict::Error, "{:?}", r.failures);
    assert!(
        r.failures[0].starts_with("board `h7`: firmware fault: HardFault at PC 0x00001234")
            && r.failures[0]
                .ends_with("(the agent restarted: its USB port went away and came back)"),
        "{}",
        r.failures[0]
    );
    drop(board);
    first.join().unwrap();
    second.join().unwrap();
}
