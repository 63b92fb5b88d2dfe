//! An agent that restarts during a step (fault, panic, watchdog) is
//! reported with the firmware's record, not as a timeout: whether it
//! announces itself as it boots or is found by the handshake afterwards.
//! (A live agent that is silent and reports no restart stays a timeout:
//! `silent_steps_are_timeouts` in pty.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use omv_link::test_util::{encode, hello, pty_pair, reply, FakeAgent};
use omv_link::{Link, LinkError};
use omv_proto::{
    CrashKind, FaultReport, Hello, Op, PanicReport, RequestBody, ResetReport, Response,
    ResponseBody, PROTOCOL_VERSION,
};

fn hello_with(reset: Option<ResetReport>) -> Hello {
    Hello {
        reset,
        ..hello(PROTOCOL_VERSION)
    }
}

fn overflow() -> ResetReport {
    ResetReport::Fault(FaultReport {
        sp: 0x1fff_ffe0,
        cfsr: 1 << 12,
        hfsr: 1 << 30,
        ..FaultReport::default()
    })
}

#[test]
fn an_agent_that_announces_its_restart_fails_the_step_at_once_with_the_fault() {
    let (host, dev) = pty_pair();
    let f = FakeAgent::spawn(dev, |req| match req.body {
        RequestBody::Hello { .. } => vec![reply(req, ResponseBody::Hello(hello_with(None)))],
        // The step crashes the agent; it boots and says why, unasked.
        _ => vec![encode(&Response {
            id: 0,
            body: ResponseBody::Hello(hello_with(Some(overflow()))),
        })],
    });
    let mut link = Link::new(host);
    link.handshake(Duration::from_secs(5)).unwrap();
    let start = Instant::now();
    let e = link
        .run(3, &Op::Record { frames: 10 }, Duration::from_secs(30))
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "no waiting for the deadline"
    );
    let text = e.to_string();
    assert!(matches!(e, LinkError::AgentRestarted { .. }), "{text}");
    assert!(
        text.starts_with("firmware fault: HardFault at PC unknown") && text.contains("STKERR"),
        "{text}"
    );
    assert!(text.contains("during step 3 (Record"), "{text}");
    drop(link);
    f.join().unwrap();
}

fn oops() -> ResetReport {
    ResetReport::Panic(PanicReport {
        message: omv_proto::bounded("oops"),
        file: omv_proto::bounded("src/main.rs"),
        line: 9,
    })
}

/// An agent that the crash test restarts silently (its announcement was
/// lost): as the firmware does, the first hello after that carries the
/// report (answered `late` after it arrives) and later ones do not. Keyed
/// to the crash request, not to a count of hellos: a handshake resends its
/// hello every 500 ms, so on a loaded host a count says nothing about
/// which hello follows the crash.
fn restarting_agent(dev: serialport::TTYPort, late: Duration) -> FakeAgent {
    let mut pending = None;
    FakeAgent::spawn(dev, move |req| match req.body {
        RequestBody::Hello { .. } => {
            let reset = pending.take();
            if reset.is_some() {
                std::thread::sleep(late);
            }
            vec![reply(req, ResponseBody::Hello(hello_with(reset)))]
        }
        RequestBody::CrashTest { .. } => {
            pending = Some(oops());
            vec![]
        }
        _ => vec![],
    })
}

/// The crash test gets no answer; the handshake after its deadline finds
/// the panic. `late`: how long the agent takes to answer that handshake's
/// first hello — past the handshake's 500 ms resend, the answer to the
/// first hello (the one with the report) still counts.
#[rstest::rstest]
#[case::a_silent_step_is_followed_by_a_handshake_that_finds_the_panic(0)]
#[case::a_late_answer_to_a_resent_hello_still_brings_the_report(600)]
fn the_handshake_after_a_silent_step_finds_the_panic(#[case] late_ms: u64) {
    let (host, dev) = pty_pair();
    let f = restarting_agent(dev, Duration::from_millis(late_ms));
    let mut link = Link::new(host);
    link.handshake(Duration::from_secs(5)).unwrap();
    let e = link
        .crash_test(CrashKind::Panic, Duration::from_millis(300))
        .unwrap_err();
    let text = e.to_string();
    assert!(
        matches!(&e, LinkError::AgentRestarted { report, .. } if **report == oops()),
        "{text}"
    );
    assert!(
        text.starts_with(
            "firmware panic: oops at src/main.rs:9 (the agent restarted during crash test Panic)"
        ),
        "{text}"
    );
    assert_eq!(link.hello().unwrap().reset.as_ref(), Some(&oops()));
    drop(link);
    f.join().unwrap();
}

#[test]
fn the_log_is_fetched_in_pages_from_the_real_agent_loop() {
    use omv_agent::{serve_with, BoardInfo, Buffers, Diag, Executor, NoCard, PatternSensor};
    let (host, dev) = pty_pair();
    let agent = std::thread::spawn(move || {
        let (mut frame, mut aux, mut mem) = (vec![0; 4096], vec![], vec![]);
        let mut ex: Executor<'_, NoCard, omv_imageio::ManualClock, PatternSensor> = Executor::new(
            omv_imageio::ManualClock::new(0),
            PatternSensor::new(),
            None,
            Buffers {
                frame: &mut frame,
                aux: &mut aux,
                memory: &mut mem,
            },
        );
        let mut diag = Diag::<32>::new(None);
        for i in 0..20 {
            diag.log(i, format_args!("boot line {i}"));
        }
        let info = BoardInfo {
            board: "pty",
            firmware: "omv-link tests",
        };
        let _ = serve_with(&mut omv_link::EmbeddedIo(dev), &mut ex, &info, &mut diag);
    });
    let mut link = Link::new(host);
    link.handshake(Duration::from_secs(5)).unwrap();
    let (lines, next) = link.logs(0).unwrap();
    // 20 boot lines (two pages' worth) and the hello.
    assert_eq!(lines.len(), 21);
    assert_eq!(next, 21);
    assert_eq!(lines[19].text.as_str(), "boot line 19");
    let (more, next) = link.logs(next).unwrap();
    // Only the logs request itself is not logged: nothing new.
    assert!(more.is_empty(), "{more:?}");
    assert_eq!(next, 21);
    drop(link);
    agent.join().unwrap();
}
