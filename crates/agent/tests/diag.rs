//! The command loop's diagnostics: a reset report is announced unasked at
//! start, given in one `hello` only; the log is fetched with `Logs`;
//! crash tests need a hook.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use omv_agent::{serve_with, BoardInfo, Diag};
use omv_proto::{
    CrashKind, FaultReport, FrameDecoder, Op, ProtoErrorKind, RequestBody, ResetReport, Response,
    ResponseBody, PROTOCOL_VERSION,
};

fn session(diag: &mut Diag<16>, bodies: Vec<RequestBody>) -> Vec<Response> {
    let mut rig = Rig::new();
    let mut ex = rig.exec();
    let mut pipe = Pipe::new(wire(bodies).0);
    let info = BoardInfo {
        board: "test",
        firmware: "omv-agent tests",
    };
    serve_with(&mut pipe, &mut ex, &info, diag).unwrap();
    let mut dec = <FrameDecoder>::new();
    pipe.output
        .iter()
        .filter_map(|&b| dec.push::<Response>(b))
        .map(|r| r.unwrap())
        .collect()
}

fn hello() -> RequestBody {
    RequestBody::Hello {
        protocol: PROTOCOL_VERSION,
    }
}

fn reset_in(r: &Response) -> Option<&ResetReport> {
    match &r.body {
        ResponseBody::Hello(h) => h.reset.as_ref(),
        other => panic!("not a hello: {other:?}"),
    }
}

#[test]
fn a_stored_fault_is_announced_then_reported_in_one_hello_only() {
    let fault = ResetReport::Fault(FaultReport {
        pc: Some(0x1234),
        cfsr: 1 << 12,
        hfsr: 1 << 30,
        ..FaultReport::default()
    });
    let mut diag = Diag::<16>::new(Some(fault.clone()));
    let resp = session(&mut diag, vec![hello(), hello()]);
    assert_eq!(resp.len(), 3, "{resp:?}");
    // Unasked, before any request: id 0.
    assert_eq!(resp[0].id, 0);
    assert_eq!(reset_in(&resp[0]), Some(&fault));
    assert_eq!((resp[1].id, reset_in(&resp[1])), (1, Some(&fault)));
    assert_eq!((resp[2].id, reset_in(&resp[2])), (2, None));
    assert!(diag.pending_reset().is_none());
    // The next boot of the loop has nothing to announce.
    let resp = session(&mut diag, vec![hello()]);
    assert_eq!(resp.len(), 1);
    assert_eq!((resp[0].id, reset_in(&resp[0])), (1, None));
}

#[test]
fn without_a_report_nothing_is_sent_unasked() {
    let mut diag = Diag::<16>::new(None);
    let resp = session(&mut diag, vec![hello()]);
    assert_eq!(resp.len(), 1);
    assert_eq!((resp[0].id, reset_in(&resp[0])), (1, None));
}

#[test]
fn the_log_names_each_request_and_pages_from_an_index() {
    let mut diag = Diag::<16>::new(Some(ResetReport::Watchdog { pc: None }));
    diag.log(0, format_args!("booted"));
    let resp = session(
        &mut diag,
        vec![
            hello(),
            RequestBody::Run {
                step: 7,
                op: sensor(32, 24, omv_proto::PixFormat::Grayscale, 0),
            },
            RequestBody::Run {
                step: 8,
                op: Op::Write,
            },
            RequestBody::Logs { from: 0 },
            RequestBody::Logs { from: 4 },
        ],
    );
    let ResponseBody::Logs(all) = &resp[resp.len() - 2].body else {
        panic!("{resp:?}")
    };
    let texts: Vec<&str> = all.lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(texts.len(), 5, "{texts:?}");
    assert_eq!(texts[0], "booted");
    assert!(
        texts[1].starts_with("restarted: firmware watchdog reset"),
        "{texts:?}"
    );
    assert!(texts[2].starts_with("hello (host protocol"), "{texts:?}");
    assert!(texts[3].starts_with("step 7 ok in "), "{texts:?}");
    // No stream is open: the write fails, and the log says so.
    assert!(texts[4].starts_with("step 8 error in "), "{texts:?}");
    assert_eq!((all.first, all.total), (0, 5));
    let ResponseBody::Logs(tail) = &resp[resp.len() - 1].body else {
        panic!("{resp:?}")
    };
    assert_eq!(tail.first, 4);
    assert_eq!(tail.lines.len(), 1);
}

#[test]
fn crash_tests_are_unsupported_without_a_hook_and_reported_if_the_hook_returns() {
    let crash = RequestBody::CrashTest {
        kind: CrashKind::Panic,
    };
    let mut diag = Diag::<16>::new(None);
    let resp = session(&mut diag, vec![crash.clone()]);
    let ResponseBody::Error(e) = &resp[0].body else {
        panic!("{resp:?}")
    };
    assert_eq!(e.kind, ProtoErrorKind::Unsupported);
    assert!(e.message.contains("test feature"), "{e:?}");

    fn no_crash(_: CrashKind) {}
    diag.set_crash_hook(no_crash);
    let resp = session(&mut diag, vec![crash]);
    let ResponseBody::Error(e) = &resp[0].body else {
        panic!("{resp:?}")
    };
    assert!(e.message.contains("did not crash"), "{e:?}");
}
