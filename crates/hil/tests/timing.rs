//! Measured timing is shown, not hidden: on a board whose golden snapshots
//! redact timing (`qemu`, `h7`), the capture's `summary.txt`, the verdict
//! line and JUnit carry every figure with its tolerance and margin, while
//! the golden text stays redacted and does not change with the figures.
//!
//! The capture is a real one (the `sim` board runs the scenario) made
//! qemu-like: timing redacted as `hil/boards/qemu.toml` asks, judged by the
//! `qemu` board's own code against that file's tolerances, and each replayed
//! frame released `late_us` after its recorded schedule.
#![cfg(feature = "qemu")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::assert_contains_all;

use std::path::{Path, PathBuf};

use omv_hil::board::{Board, BoardError, Setup, SnapshotPolicy};
use omv_hil::boards::qemu::{self, QemuConfig};
use omv_hil::boards::sim::SimHarnessBoard;
use omv_hil::capture::Capture;
use omv_hil::runner::{run_scenario, RunOptions, ScenarioResult, Verdict};
use omv_hil::timing::TimingReport;
use omv_hil::{junit, Scenario, TimingPolicy};
use omv_proto::{Event, EventKind, Op, Outcome};

/// 8 frames at 30 fps, closed, replayed at the recorded pace.
const SCENARIO: &str = r#"description = "record 8 frames, replay them paced"

[sensor]
width = 32
height = 24
pixformat = "GRAYSCALE"
fps = 30

[[step]]
op = "open"
path = "/sdcard/t.bin"
mode = "w"

[[step]]
op = "record"
frames = 8

[[step]]
op = "close"

[[step]]
op = "open"
path = "/sdcard/t.bin"
mode = "r"

[[step]]
op = "replay"
loop = false
pause = true
expect = 8

[[step]]
op = "close"
"#;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The simulator, seen as `qemu` sees its captures.
struct QemuLike {
    sim: SimHarnessBoard,
    config: QemuConfig,
    late_us: u64,
}

impl Board for QemuLike {
    fn name(&self) -> &str {
        "qemu"
    }
    fn snapshot_policy(&self) -> SnapshotPolicy {
        qemu::snapshot_policy(&self.config)
    }
    fn capabilities(&self) -> omv_hil::board::CapabilitySet {
        self.sim.capabilities()
    }
    fn begin(&mut self, setup: &Setup) -> Result<(), BoardError> {
        self.sim.begin(setup)
    }
    fn run(&mut self, step: u32, op: &Op) -> Result<Outcome, BoardError> {
        self.sim.run(step, op)
    }
    fn take_events(&mut self) -> Result<Vec<Event>, BoardError> {
        let mut events = self.sim.take_events()?;
        for e in &mut events {
            if let EventKind::FrameReleased { .. } = e.kind {
                e.t_us += self.late_us;
            }
        }
        Ok(events)
    }
    fn download(&mut self, path: &str) -> Result<Option<Vec<u8>>, BoardError> {
        self.sim.download(path)
    }
    fn timing(&self, scenario: &Scenario, capture: &Capture) -> Option<TimingReport> {
        Some(qemu::timing_report(&self.config.timing, scenario, capture))
    }
    fn end(&mut self) -> Result<(), BoardError> {
        self.sim.end()
    }
}

/// The result of the scenario with replayed frames `late_us` late, and
/// the capture's `summary.txt`.
fn run(late_us: u64) -> (ScenarioResult, String) {
    let config = QemuConfig::load(&root().join("hil/boards/qemu.toml")).unwrap();
    assert_eq!(
        qemu::snapshot_policy(&config).timing,
        TimingPolicy::Redact,
        "hil/boards/qemu.toml redacts timing in golden/qemu/"
    );
    let mut board = QemuLike {
        sim: SimHarnessBoard::new().unwrap(),
        config,
        late_us,
    };
    let dir = tempfile::tempdir().unwrap();
    let scenario = Scenario::from_toml(SCENARIO, &dir.path().join("timing.toml")).unwrap();
    let opts = RunOptions {
        root: dir.path().to_owned(),
        out_dir: dir.path().join("out"),
        seed: None,
        write_new: false,
        scenario_dir: dir.path().join("shipped"),
        scenario_timeout: None,
        review_owner: None,
    };
    let r = run_scenario(&mut board, &scenario, &opts);
    let summary = std::fs::read_to_string(r.capture_dir.as_ref().unwrap().join("summary.txt"))
        .unwrap_or_else(|e| panic!("{e}: {r:?}"));
    (r, summary)
}

#[test]
fn the_capture_summary_shows_figures_and_margins_while_the_golden_text_stays_redacted() {
    let (r, summary) = run(9_800);
    assert_eq!(r.verdict, Verdict::Pass, "{:?}", r.failures);
    // The capture's own summary: measured, with tolerances and margins.
    assert_contains_all(
        &summary,
        [
            "timing against hil/boards/qemu.toml [timing]",
            "  frame interval error 0 ms ≤ ±1 ms tolerance (margin 1 ms)\n",
            "  replay lateness 9.8 ms ≤ 25 ms tolerance (margin 15.2 ms)\n",
            "  fps deviation 0.001 % (30.000 fps for 30) ≤ ±1 % tolerance (margin 0.999 %)\n",
            "  dropped frames 0 (not judged: no tolerance in the board file)\n",
            "  all within tolerance\n",
        ],
    );
    assert!(!summary.contains("[redacted]"), "{summary}");
    // The golden text: timing redacted, no figure.
    let golden = r.summary.clone().unwrap();
    assert!(golden.contains("max schedule error [redacted]"), "{golden}");
    assert!(!golden.contains("lateness"), "{golden}");
    assert!(!golden.contains("tolerance"), "{golden}");
    // Everything else is the same text.
    assert!(summary.starts_with(&golden[..golden.find("steps:").unwrap()]));
    // The pass line names the figure closest to its tolerance.
    assert_contains_all(
        &r.line(),
        ["tightest: replay lateness 9.8 ms ≤ 25 ms tolerance (margin 15.2 ms)"],
    );
    let x = junit::report("qemu", std::slice::from_ref(&r));
    assert_contains_all(
        &x,
        [
            "<property name=\"timing.source\" value=\"hil/boards/qemu.toml [timing]\"/>",
            "<property name=\"timing.replay_lateness.measured_us\" value=\"9800\"/>",
            "<property name=\"timing.replay_lateness.tolerance_us\" value=\"25000\"/>",
            "<property name=\"timing.replay_lateness.margin_us\" value=\"15200\"/>",
            "<property name=\"timing.replay_lateness.within\" value=\"true\"/>",
            "<property name=\"timing.frame_interval_error.tolerance_us\" value=\"1000\"/>",
            "<property name=\"timing.fps_deviation.expected_fps\" value=\"30\"/>",
            "<property name=\"timing.dropped_frames.measured_frames\" value=\"0\"/>",
        ],
    );
    assert_eq!(x.matches("<properties>").count(), 1, "{x}");
}

#[test]
fn a_figure_outside_its_tolerance_names_itself_in_the_verdict() {
    let (late, summary) = run(49_800);
    assert_eq!(late.verdict, Verdict::Fail);
    assert_eq!(
        late.failures,
        ["replay lateness 49.8 ms > 25 ms tolerance (margin -24.8 ms), from hil/boards/qemu.toml [timing]"]
    );
    let line = late.line();
    assert!(line.starts_with("FAIL"), "{line}");
    assert_contains_all(
        &line,
        ["replay lateness 49.8 ms > 25 ms tolerance (margin -24.8 ms)"],
    );
    assert_contains_all(&summary, ["  OUTSIDE tolerance: replay lateness\n"]);
    let x = junit::report("qemu", std::slice::from_ref(&late));
    assert_contains_all(
        &x,
        [
            "<failure type=\"FAIL\" message=\"replay lateness 49.8 ms &gt; 25 ms tolerance (margin -24.8 ms)",
            "<property name=\"timing.replay_lateness.margin_us\" value=\"-24800\"/>",
            "<property name=\"timing.replay_lateness.within\" value=\"false\"/>",
        ],
    );
    // The golden text does not move with the figures.
    assert_eq!(late.summary, run(9_800).0.summary);
}
