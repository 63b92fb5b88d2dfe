//! The `qemu` board against the real firmware under the real emulator.
//! Needs `qemu-system-arm` and the `thumbv7em-none-eabihf` target (installed
//! by `.ci/run`); the firmware is built once per test run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::*;
use crate::boards::testing::assert_dry_run_mentions;
use crate::stream::StreamTable;

/// The repository's root.
pub(super) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The repository's qemu board file.
pub(super) fn config() -> QemuConfig {
    QemuConfig::load(&root().join("hil/boards/qemu.toml")).unwrap()
}

/// The firmware ELF, built once (cargo makes it a no-op when fresh).
fn elf() -> PathBuf {
    static ELF: OnceLock<PathBuf> = OnceLock::new();
    ELF.get_or_init(|| {
        firmware::build(&config().firmware_build(&root()))
            .unwrap_or_else(|e| panic!("the qemu firmware must build: {e}"))
    })
    .clone()
}

/// One frame row of a snapshot's file table without its timing:
/// (index, offset, size, pixformat, bytes, sha256 prefix).
type Row = (String, String, String, String, String, String);

/// The file tables of a snapshot: file line -> rows.
fn snapshot_tables(text: &str) -> Vec<(String, Vec<Row>)> {
    let mut out: Vec<(String, Vec<Row>)> = Vec::new();
    let mut in_table = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("file ") {
            out.push((rest.to_owned(), Vec::new()));
            in_table = true;
            continue;
        }
        if line.trim().is_empty() {
            in_table = false;
            continue;
        }
        let t: Vec<&str> = line.split_whitespace().collect();
        if !in_table || t.len() < 6 || t[0] == "index" {
            continue;
        }
        let n = t.len();
        let row = (t[0], t[1], t[2], t[3], t[n - 2], t[n - 1]);
        if let Some((_, rows)) = out.last_mut() {
            let (a, b, c, d, e, f) = row;
            rows.push((a.into(), b.into(), c.into(), d.into(), e.into(), f.into()));
        }
    }
    out
}

/// The "N dropped" counts of a snapshot's step results, in order.
fn dropped_counts(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.contains("  ->  "))
        .flat_map(|l| l.split(", "))
        .filter_map(|part| part.strip_suffix(" dropped"))
        .map(|n| n.rsplit(' ').next().unwrap_or(n).to_owned())
        .collect()
}

/// Which sensor frames a recording keeps depends on the timing alone when
/// no frame was dropped and no recording failed: only then must the
/// payloads match. Both boards time the card by the same model, but the
/// firmware's own instructions take guest time on qemu, so where the card
/// drops frames the two may keep different ones.
fn timing_independent(text: &str) -> bool {
    dropped_counts(text).iter().all(|n| n == "0")
        && !text
            .lines()
            .any(|l| l.contains("  record ") && l.contains("  ->  error"))
}

/// golden/qemu/ against golden/sim/: every accepted qemu snapshot has the
/// simulator's file tables (offsets, sizes, formats), timing aside; payload
/// hashes too wherever the kept frames cannot depend on timing
/// ([`timing_independent`]).
#[test]
fn golden_qemu_frame_tables_equal_the_simulators() {
    let dir = root().join("golden/qemu");
    let mut compared = 0;
    let mut same_content = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("snap") {
            continue;
        }
        let name = path.file_name().unwrap().to_owned();
        let sim_path = root().join("golden/sim").join(&name);
        let Ok(sim) = std::fs::read_to_string(&sim_path) else {
            continue;
        };
        let qemu = std::fs::read_to_string(&path).unwrap();
        let (q, s) = (snapshot_tables(&qemu), snapshot_tables(&sim));
        let layout = |t: &[(String, Vec<Row>)]| {
            t.iter()
                .map(|(file, rows)| {
                    let rows: Vec<_> = rows
                        .iter()
                        .map(|r| {
                            (
                                r.0.clone(),
                                r.1.clone(),
                                r.2.clone(),
                                r.3.clone(),
                                r.4.clone(),
                            )
                        })
                        .collect();
                    (file.clone(), rows)
                })
                .collect::<Vec<_>>()
        };
        let independent = timing_independent(&qemu) && timing_independent(&sim);
        if independent {
            assert_eq!(
                layout(&q),
                layout(&s),
                "{}: file layout differs from the simulator's",
                path.display()
            );
        } else {
            // Kept frame counts may differ: the rows both have must agree.
            let (lq, ls) = (layout(&q), layout(&s));
            assert_eq!(lq.len(), ls.len(), "{}: files differ", path.display());
            for ((_, rq), (_, rs)) in lq.iter().zip(&ls) {
                let n = rq.len().min(rs.len());
                assert!(n > 0, "{}: a file has no frames", path.display());
                assert_eq!(rq[..n], rs[..n], "{}: layout differs", path.display());
            }
        }
        if independent {
            assert_eq!(
                q,
                s,
                "{}: same sensor frames, different content",
                path.display()
            );
            same_content += 1;
        }
        compared += 1;
    }
    assert!(
        compared >= 10,
        "only {compared} qemu snapshots have a sim counterpart"
    );
    assert!(
        same_content >= 10,
        "{same_content} of {compared} with equal content"
    );
}

#[test]
fn snapshot_tables_and_drop_counts_are_read_from_the_text() {
    let text = "steps:\n   #2  record 30  ->  30 frames from #0, 237 dropped, 1 us .. 2 us\n\n\
                file /sdcard/a.bin: 100 bytes, V2.0, 1 frames\n  index offset size pixformat elapsed bytes sha256\n      \
                0 16 32x24 GRAYSCALE 295000 us 768 0db2d6bf\n\ntiming:\n";
    let t = snapshot_tables(text);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].1.len(), 1);
    assert_eq!(t[0].1[0].3, "GRAYSCALE");
    assert_eq!(t[0].1[0].5, "0db2d6bf");
    assert_eq!(dropped_counts(text), vec!["237"]);
}

/// QEMU with a fresh 8 MiB card and the agent behind an `omv-link` link,
/// for tests that speak the protocol directly.
fn raw_session(config: &QemuConfig) -> (omv_link::Link<QemuPort>, QemuProcess, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("card.img");
    std::fs::write(&card, card::image(8 * 1024, config.card.max_kib).unwrap()).unwrap();
    let mut qemu = QemuProcess::spawn(&config.command(&elf(), Some(&card), dir.path())).unwrap();
    let stdout = qemu.take_stdout();
    let port = QemuPort::open(qemu.pty(), config.serial.baud, stdout).unwrap();
    (omv_link::Link::new(port), qemu, dir)
}

/// A request that arrives while a step waits cancels the wait. Bytes the
/// agent read together with the step's own (one read of its UART ring)
/// are not "arriving" and cancel nothing, so the request is sent again
/// every half second until the step answers: on a loaded host QEMU may
/// not have read the step before the first one comes.
#[test]
fn a_request_during_a_wait_cancels_it() {
    use std::time::{Duration, Instant};
    let (mut link, _qemu, _dir) = raw_session(&config());
    link.handshake(Duration::from_secs(10)).unwrap();
    let started = Instant::now();
    let id = link
        .send(omv_proto::RequestBody::Run {
            step: 1,
            op: Op::Sleep { us: 50_000_000 },
        })
        .unwrap();
    // Far below the 50 s the sleep would take uncancelled.
    let give_up = started + Duration::from_secs(30);
    let answer = loop {
        match link.wait_for(id, Instant::now() + Duration::from_millis(500), "the sleep") {
            Err(omv_link::LinkError::Timeout { .. }) if Instant::now() < give_up => {
                link.send(omv_proto::RequestBody::ClearEvents).unwrap();
            }
            other => break other.unwrap(),
        }
    };
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the 50 s sleep was not cut short"
    );
    let text = format!("{answer:?}");
    assert!(text.contains("Cancelled"), "{text}");
}

/// The plain serial path (responses over the PTY too) works end to end:
/// handshake, steps, a checked download.
#[test]
fn responses_over_the_uart_carry_a_whole_session() {
    let mut config = config();
    config.serial.responses = Responses::Uart;
    let (mut link, _qemu, _dir) = raw_session(&config);
    assert!(!link.port_mut().is_semihosting());
    let hello = link.handshake(std::time::Duration::from_secs(10)).unwrap();
    assert_eq!(hello.board.as_str(), "qemu");
    let t = std::time::Duration::from_secs(10);
    let open = Op::OpenFile {
        path: omv_proto::bounded("/sdcard/uart.bin"),
        mode: omv_proto::bounded("w"),
        write_version: None,
    };
    for (step, op) in [open, Op::Record { frames: 3 }, Op::Close]
        .iter()
        .enumerate()
    {
        let r = link.run(step as u32, op, t).unwrap();
        assert!(r.outcome.is_ok(), "{op:?}: {:?}", r.outcome);
    }
    let bytes = link.download("/sdcard/uart.bin").unwrap();
    let table = StreamTable::parse(&bytes);
    assert_eq!(table.frames.len(), 3, "{table:?}");
    assert_eq!(table.error, None);
}

/// The firmware's flash and RAM use, split into the stream crate and the
/// rest (printed with `--nocapture`); it must fit mps2-an500's 4 MiB + 4 MiB.
#[test]
fn the_firmware_fits_and_its_size_is_split_by_crate() {
    let s = size::measure_file(&elf(), "omv_imageio", "crates/imageio/").unwrap();
    println!("agent-qemu:\n{}", s.table());
    assert!(s.total.flash < 4 << 20 && s.total.ram < 4 << 20, "{s:?}");
    assert!(
        s.from_line_table,
        "release builds keep debug info (debug = 2)"
    );
    // Measured: ~4.3 KB of the stream crate's own code (core-library code
    // it inlines is counted where the line table puts it: rest).
    assert!(
        s.stream_crate.flash > 2_000,
        "the stream crate's code is found: {s:?}"
    );
    assert!(s.stream_crate.flash < s.total.flash / 2);
    assert!(s.text > 0 && s.bss > 0);
}

#[test]
fn dry_run_shows_the_build_and_the_emulator_command_and_starts_nothing() {
    let out = tempfile::tempdir().unwrap();
    let opts = BoardOptions {
        root: root(),
        out_dir: out.path().to_owned(),
        ..Default::default()
    };
    let file = crate::boards::load("qemu", &root()).unwrap();
    let text = dry_run(&file, &opts).unwrap();
    assert_dry_run_mentions(
        &text,
        [
            "cargo build --release -p agent-qemu",
            "qemu-system-arm -M mps2-an500 -display none -monitor none -serial pty",
            "-device loader,file=<scratch>/card.img,addr=0x60000000",
            "arg=link=semihosting",
            "-icount shift=0,sleep=on",
            "responses from QEMU's stdout (semihosting)",
            "dry run: nothing was built or started",
        ],
    );
}

/// QEMU dying under a scenario is a board error that says so (with its exit
/// status), and the board is left with nothing running.
#[test]
fn an_emulator_that_dies_mid_scenario_is_reported_and_cleaned_up() {
    let out = tempfile::tempdir().unwrap();
    let mut board = QemuBoard::start(config(), elf(), out.path().to_owned()).unwrap();
    let setup = Setup {
        scenario: "dies".into(),
        seed: 1,
        card: crate::scenario::Card::default(),
    };
    board.begin(&setup).unwrap();
    let pid = board.qemu_pid().unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // `kill` returns once the signal is sent; the board is asked once QEMU
    // is dead (a zombie: only the board can reap it), so the step cannot
    // race the emulator's exit and the board's 200 ms wait for it.
    let dead = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| s.contains(") Z "))
    {
        assert!(std::time::Instant::now() < dead, "QEMU survived kill -9");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let err = board
        .run(1, &Op::Query(omv_proto::Query::IsClosed))
        .unwrap_err()
        .to_string();
    assert!(err.contains("QEMU exited"), "{err}");
    assert!(board.qemu_pid().is_none(), "the board stopped its session");
    assert!(out.path().join("dies.qemu.log").is_file());
    // The next scenario gets a fresh emulator.
    board.begin(&setup).unwrap();
    assert!(board.run(1, &Op::Query(omv_proto::Query::IsClosed)).is_ok());
}

#[test]
fn a_board_without_qemu_installed_says_how_to_install_it() {
    let mut config = config();
    config.qemu.program = "qemu-system-arm-not-installed".into();
    let out = tempfile::tempdir().unwrap();
    let err = QemuBoard::start(
        config,
        PathBuf::from("agent-qemu.elf"),
        out.path().to_owned(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("board `qemu` could not be set up"), "{err}");
    assert!(err.contains("apt-get install qemu-system-arm"), "{err}");
}

/// A scenario whose `timeout_s` is shorter than its work: an unpaced
/// looping replay of 4 000 000 000 frames (no board time the definition
/// check could count, and a step budget of years), but the step is
/// cancelled at the scenario's deadline and the scenario fails with a
/// timeout that says so; QEMU is stopped and the next scenario gets a
/// fresh one. The deadline also covers starting QEMU and the four steps
/// before the replay (they fit in 1 s here, with six busy loops beside
/// them too): 10 s, so that on a loaded host they are not what it cuts.
#[test]
fn a_step_past_the_scenarios_timeout_is_cancelled_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Scenario::from_toml(
        "description = \"an unpaced looping replay that would run for days\"\n\
         timeout_s = 10\n\
         [sensor]\nwidth = 8\nheight = 8\npixformat = \"GRAYSCALE\"\nfps = 0\n\
         [[step]]\nop = \"open\"\npath = \"/sdcard/loop.bin\"\nmode = \"w\"\n\
         [[step]]\nop = \"record\"\nframes = 2\n\
         [[step]]\nop = \"close\"\n\
         [[step]]\nop = \"open\"\npath = \"/sdcard/loop.bin\"\nmode = \"r\"\n\
         [[step]]\nop = \"replay\"\nloop = true\npause = false\nframes = 4000000000\n",
        &dir.path().join("too-long.toml"),
    )
    .unwrap();
    let out = dir.path().join("out");
    let opts = crate::runner::RunOptions {
        root: dir.path().to_owned(),
        out_dir: out.clone(),
        seed: None,
        write_new: false,
        scenario_dir: dir.path().join("elsewhere"),
        scenario_timeout: None,
        review_owner: None,
    };
    let mut board = QemuBoard::start(config(), elf(), out.clone()).unwrap();
    let results = crate::runner::run_all(
        &mut board,
        std::slice::from_ref(&scenario),
        &opts,
        &mut crate::runner::Quiet,
    );
    let r = &results[0];
    assert_eq!(r.verdict, crate::runner::Verdict::Error, "{r:?}");
    let text = r.failures.join("\n");
    assert!(
        text.contains("step 5: cancelled at the scenario's overall timeout (timeout_s)"),
        "{text}"
    );
    assert!(
        board.qemu_pid().is_none(),
        "QEMU is stopped after the timeout"
    );
    // The board is usable again: a fresh emulator for the next scenario.
    let setup = Setup {
        scenario: "after".into(),
        seed: 1,
        card: crate::scenario::Card::default(),
    };
    board.set_deadline(None);
    board.begin(&setup).unwrap();
    assert!(board.run(1, &Op::Query(omv_proto::Query::IsClosed)).is_ok());
    board.end().unwrap();
}
