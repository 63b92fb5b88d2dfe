//! The `qemu` board against the `sim` board: the same agent code under the
//! emulator and in-process writes the same streams, and a stream recorded
//! on the simulator replays under QEMU. Here rather than under
//! `boards/qemu/`, because a board module never imports another board.
//! Needs `qemu-system-arm` (installed by `.ci/run`).
#![cfg(feature = "qemu")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

mod common;

use common::qemu::{config, elf, root};
use omv_hil::board::{Board, Setup, SnapshotPolicy, TimingPolicy};
use omv_hil::boards::qemu::QemuBoard;
use omv_hil::boards::sim::SimHarnessBoard;
use omv_hil::capture::Capture;
use omv_hil::runner;
use omv_hil::scenario::Scenario;
use omv_hil::stream::StreamTable;
use omv_hil::summary::{outcome_text, Fmt};
use omv_proto::{EventKind, Op};

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.contains(") Z "))
        .unwrap_or(false)
}

fn scenario(name: &str) -> Scenario {
    Scenario::load(&root().join(format!("hil/scenarios/{name}.toml"))).unwrap()
}

/// seq -> (payload sha256) of every frame a capture wrote to `path`,
/// from the trace (index -> sensor frame number) and the file's table.
fn content_by_seq(c: &Capture, path: &str) -> BTreeMap<u32, String> {
    let file = c.files.iter().find(|f| f.board_path == path).unwrap();
    let table = file.table().unwrap();
    c.events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::FrameWritten { index, seq, .. } => Some((index, seq)),
            _ => None,
        })
        .filter_map(|(index, seq)| {
            let row = table.frames.iter().find(|r| r.index == index)?;
            Some((seq, row.sha256.clone()))
        })
        .collect()
}

/// The sensor content is one function of (seed, frame number) on every
/// board, and the agent's container writing is the same code: the files
/// have the same layout, and every sensor frame both boards captured has
/// the same payload. (Which sensor frames a board captures depends on its
/// timing: the simulator's card model is slower than QEMU's RAM disk and
/// drops frames at 30 fps QVGA.)
#[test]
fn the_agent_under_qemu_writes_what_the_simulator_writes() {
    let scenario = scenario("seed-record");
    let seed = 7;
    let path = "/sdcard/stream.bin";
    let mut sim = SimHarnessBoard::new().unwrap();
    let on_sim = runner::capture(&mut sim, &scenario, seed).unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut board = QemuBoard::start(config(), elf(), out.path().to_owned()).unwrap();
    let pid = board.qemu_pid().unwrap();
    assert_eq!(board.hello().unwrap().board.as_str(), "qemu");
    let on_qemu = runner::capture(&mut board, &scenario, seed).unwrap();
    assert!(!alive(pid), "QEMU must be stopped at the end of a scenario");
    assert!(on_qemu.failures().is_empty(), "{:?}", on_qemu.failures());
    assert!(out.path().join("seed-record.qemu.log").is_file());

    // Same layout: version, length, offsets, sizes, formats.
    let table = |c: &Capture| {
        let f = c.files.iter().find(|f| f.board_path == path).unwrap();
        f.table().unwrap()
    };
    let (st, qt) = (table(&on_sim), table(&on_qemu));
    assert_eq!((qt.version, qt.len), (st.version, st.len));
    let layout = |t: &StreamTable| {
        t.frames
            .iter()
            .map(|f| {
                (
                    f.index,
                    f.offset,
                    f.width,
                    f.height,
                    f.pixformat,
                    f.payload_len,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(layout(&qt), layout(&st));
    assert_eq!(qt.frames.len(), 30);

    // Same content for the same sensor frame.
    let (s, q) = (
        content_by_seq(&on_sim, path),
        content_by_seq(&on_qemu, path),
    );
    assert_eq!(
        q.len(),
        30,
        "under -icount QEMU keeps up with 30 fps: {q:?}"
    );
    let common: Vec<u32> = q.keys().filter(|k| s.contains_key(k)).copied().collect();
    assert!(common.contains(&0), "both boards capture sensor frame 0");
    for seq in common {
        assert_eq!(q[&seq], s[&seq], "sensor frame {seq}");
    }

    // Same results, timing aside (how many sensor frames passed unrecorded
    // is timing too).
    let fmt = Fmt::new(SnapshotPolicy {
        timing: TimingPolicy::Redact,
        content_hashes: true,
    });
    let results = |c: &Capture| {
        c.steps
            .iter()
            .map(|s| {
                outcome_text(&s.op, &s.outcome, &fmt)
                    .split(", ")
                    .filter(|part| !part.ends_with(" dropped"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(results(&on_qemu), results(&on_sim));
}

/// A stream recorded elsewhere (here: on the simulator) is put on the qemu
/// card by the host, and the agent replays it.
#[test]
fn a_preloaded_stream_is_replayed_by_the_agent() {
    let on_sim = runner::capture(
        &mut SimHarnessBoard::new().unwrap(),
        &scenario("seek-forward-back"),
        3,
    )
    .unwrap();
    let file = on_sim.files[0].bytes.clone().unwrap();
    let frames = StreamTable::parse(&file).frames.len();
    assert!(frames >= 5);
    let out = tempfile::tempdir().unwrap();
    let mut board = QemuBoard::start(config(), elf(), out.path().to_owned()).unwrap();
    board.preload("/sdcard/replay.bin", file.clone());
    let setup = Setup {
        scenario: "preloaded".into(),
        seed: 3,
        card: omv_hil::scenario::Card::default(),
    };
    board.begin(&setup).unwrap();
    let open = Op::OpenFile {
        path: omv_proto::bounded("/sdcard/replay.bin"),
        mode: omv_proto::bounded("r"),
        write_version: None,
    };
    assert!(board.run(1, &open).unwrap().is_ok());
    let replay = Op::Replay {
        frames: None,
        args: omv_proto::ReadArgs {
            copy_to_fb: true,
            loop_: false,
            pause: false,
        },
    };
    let text = format!("{:?}", board.run(2, &replay).unwrap());
    assert!(text.contains(&format!("frames: {frames}")), "{text}");
    assert!(board.run(3, &Op::Close).unwrap().is_ok());
    assert_eq!(board.download("/sdcard/replay.bin").unwrap(), Some(file));
    board.end().unwrap();
}
