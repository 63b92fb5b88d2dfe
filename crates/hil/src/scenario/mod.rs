//! Scenarios as data: `hil/scenarios/<name>.toml` parsed into [`Scenario`].
//!
//! A scenario sets up the board (`[sensor]`, `[card]`) and lists steps, one
//! `[[step]]` table each, named after OpenMV's `image.ImageIO` API (every key: docs/scenarios.md):
//!
//! ```toml
//! description = "Record 30 frames to the SD card"
//!
//! [sensor]
//! width = 320
//! height = 240
//! pixformat = "RGB565"
//! fps = 30
//! buffers = 3            # also startup_us, jitter_us (the sensor model)
//!
//! [[step]]
//! op = "open"
//! path = "/sdcard/stream.bin"
//! mode = "w"
//!
//! [[step]]
//! op = "record"          # snapshot + write, `frames` times
//! frames = 30
//!
//! [[step]]
//! op = "count"
//! expect = 30
//! ```
//!
//! Each step becomes one [`omv_proto::Op`], so it means the same on every
//! board. The ops and their fields:
//!
//! | `op` | fields | `omv_proto::Op` |
//! |---|---|---|
//! | `open` | `path`, `mode`, `version` (default 20) | `OpenFile` |
//! | `open` | `shape = [w, h, "PIXFORMAT"]`, `count` | `OpenMemory` |
//! | `write` | | `Write` (snapshot + write) |
//! | `record` | `frames`, or `seconds` (record for that long on the board's clock) | `Record` |
//! | `read` | `copy_to_fb`, `loop`, `pause` (default true each) | `Read` |
//! | `replay` | as `read`, `frames` (needed with `loop = true`) | `Replay` |
//! | `seek` | `offset` | `Seek` |
//! | `sync`, `close` | | `Sync`, `Close` |
//! | `count`, `offset`, `size`, `version`, `buffer_size`, `type`, `is_closed` | | `Query` |
//! | `sensor` | `width`, `height`, `pixformat`, `fps`, `content` | `Sensor` |
//! | `snapshot` | | `Snapshot` |
//! | `diff` | as `read`, `threshold` (default 16) | `Diff` |
//! | `sleep` | `ms` | `Sleep` |
//! | `power_cut` | | `Fault(PowerCut)` |
//! | `write_limit` | `blocks` (absent: lift the limit) | `Fault(WriteLimit)` |
//!
//! Every step may carry an expectation: `expect = <value>` (a query's
//! value; the frame index a `read`/`write` gave or `"none"` at the end; the
//! frames a `record`/`replay` handled; the changed bytes of a `diff`) or
//! `error = "<Name>"` (the step must fail with that
//! [`omv_proto::ErrorName`], e.g. `"EndOfStream"`). Without either, the
//! step must succeed.

mod check;
mod error;
mod names;
mod parse;
mod time;

pub use error::{line_col, ScenarioError};
pub use names::{closest, Capability};
pub use time::{real_time, TimeMark};

use std::path::{Path, PathBuf};

use omv_agent::{SensorConfig, SensorModel};
use omv_proto::{Content, ErrorName, Op, PixFormat, SensorSettings};

/// One scenario file, parsed and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The scenario's name: the file name without `.toml`.
    pub name: String,
    /// Where it was read from.
    pub path: PathBuf,
    /// One line saying what the scenario shows.
    pub description: String,
    /// Seed of the sensor content (overridden by `--seed`).
    pub seed: u64,
    /// `timeout_s`: the wall time the whole scenario may take, overriding
    /// the board file's `scenario_timeout_s`; a step still running then is
    /// cancelled and the scenario fails as timed out.
    pub timeout_s: Option<u64>,
    /// Boards the scenario runs on (each one of [`crate::boards::KNOWN`],
    /// checked when parsed); empty means every board.
    pub boards: Vec<String>,
    /// Board capabilities the scenario needs (e.g. `"power-cut"`); a board
    /// without one skips the scenario. An unknown name is a parse error.
    pub needs: Vec<Capability>,
    /// The camera.
    pub sensor: SensorTable,
    /// The SD card.
    pub card: Card,
    /// `[[upload]]`: host files put on the card before step 1.
    pub uploads: Vec<Upload>,
    /// What to do, in order.
    pub steps: Vec<Step>,
    /// The least board time by the end of each step that takes any, for
    /// [`Scenario::check_timeout`].
    pub board_time: Vec<TimeMark>,
}

/// `[sensor]`: what the camera delivers (every key: docs/scenarios.md §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SensorTable {
    /// Frame width in pixels.
    pub width: u16,
    /// Frame height in pixels.
    pub height: u16,
    /// Pixel format of the snapshots.
    pub pixformat: PixFormat,
    /// Frames per second the sensor delivers (0 = unpaced).
    pub fps: u16,
    /// What the frames show (`color_bars`, `gradient`, `moving_box`, `noise`).
    pub content: Content,
    /// `startup_us`, `jitter_us`, `buffers`: the sensor model's timing and
    /// frame buffers (the agent's defaults unless set; other values need a
    /// board with the `sensor-model` capability).
    pub model: SensorModel,
    /// `source`: a folder of PNG/JPEG pictures the frames show instead of
    /// `content` (cycled, scaled to the frame size, with the frame number
    /// stamped), resolved against the scenario file's folder; needs a
    /// board with the `footage` capability.
    pub source: Option<PathBuf>,
}

impl Default for SensorTable {
    /// The agent's own defaults ([`SensorConfig::default`]: QVGA RGB565
    /// colour bars at 30 fps) and sensor model, no footage.
    fn default() -> Self {
        let c = SensorConfig::default();
        SensorTable {
            width: c.width,
            height: c.height,
            pixformat: c.pixformat,
            fps: c.fps,
            content: c.content,
            model: SensorModel::default(),
            source: None,
        }
    }
}

impl SensorTable {
    /// The setup step that puts the sensor in this state with `seed`.
    pub fn op(&self, seed: u64) -> Op {
        Op::Sensor(SensorSettings {
            width: Some(self.width),
            height: Some(self.height),
            pixformat: Some(self.pixformat),
            fps: Some(self.fps),
            content: Some(self.content),
            seed: Some(seed),
        })
    }
}

/// `[card]`: the SD card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// Timing profile name (the simulator's card profiles: `class4`, `class10`, `uhs1_a1`, `worn`, `ideal:<B/s>`).
    pub profile: String,
    /// Capacity in KiB.
    pub capacity_kib: u64,
}

impl Default for Card {
    fn default() -> Self {
        Card {
            profile: "class10".into(),
            capacity_kib: 4 * 1024 * 1024,
        }
    }
}

/// One `[[upload]]`: a host file (e.g. a stream made by `omvstream
/// import`) written to the board's card after it is set up, before step 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The host file, resolved against the scenario file's folder.
    pub from: PathBuf,
    /// The path on the card, e.g. `/sdcard/clip.bin`.
    pub to: String,
}

/// One `[[step]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// 1-based line of the step's `op` in the file, for messages.
    pub line: usize,
    /// What to do: one of the protocol's operations, the same on every board.
    pub op: Op,
    /// What must come out of it.
    pub expect: Expect,
    /// Repeat `op` (a one-frame `record`) until this much board time has
    /// passed since the step began (`record` with `seconds = N`).
    pub for_us: Option<u64>,
}

/// What a step must produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Succeed (any value).
    Ok,
    /// Succeed with this value.
    Value(Expected),
    /// Fail with this error (e.g. `EndOfStream`, `InvalidFrameSize`).
    Error(ErrorName),
}

/// A value as a scenario writes it in `expect = …`; the runner reduces what
/// a step returned ([`omv_proto::Value`]) to this form to compare the two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// `None` (e.g. `read` at the end, `version()` of a memory stream).
    None,
    /// A number.
    Int(i64),
    /// A flag.
    Bool(bool),
    /// A name (`type()` gives `"FILE_STREAM"` or `"MEMORY_STREAM"`).
    Text(String),
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expected::None => f.write_str("none"),
            Expected::Int(i) => write!(f, "{i}"),
            Expected::Bool(b) => write!(f, "{b}"),
            Expected::Text(t) => write!(f, "{t:?}"),
        }
    }
}

impl Scenario {
    /// Parse scenario text; `path` names the file in errors and gives the name.
    pub fn from_toml(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
        parse::parse(text, path)
    }

    /// Read and parse a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::io(path, &e))?;
        Self::from_toml(&text, path)
    }

    /// A definition error (file:line:col of the step) if the steps need
    /// more board time than `timeout_s` seconds — the scenario's own
    /// `timeout_s`, checked when parsed, or else the board file's
    /// `scenario_timeout_s`, checked by the runner before it starts.
    pub fn check_timeout(&self, timeout_s: u64, source: &str) -> Result<(), ScenarioError> {
        time::check(&self.board_time, timeout_s, source)
    }

    /// True if the scenario runs on `board` (its `boards` list is empty or names it).
    pub fn runs_on(&self, board: &str) -> bool {
        self.boards.is_empty() || self.boards.iter().any(|b| b == board)
    }
}

/// Every `*.toml` in `dir`, sorted by name, parsed. Stops at the first
/// broken file: a broken scenario is never silently skipped.
pub fn load_dir(dir: &Path) -> Result<Vec<Scenario>, ScenarioError> {
    scenario_files(dir)?
        .iter()
        .map(|p| Scenario::load(p))
        .collect()
}

/// Every `*.toml` in `dir`, sorted by name, parsed: the scenarios, and the
/// files that do not parse (so one broken file does not stop the others;
/// the caller reports them). Fails only if `dir` cannot be listed.
pub fn load_dir_all(dir: &Path) -> Result<Loaded, ScenarioError> {
    let mut loaded = Loaded::default();
    for p in scenario_files(dir)? {
        match Scenario::load(&p) {
            Ok(s) => loaded.scenarios.push(s),
            Err(e) => loaded.broken.push(e),
        }
    }
    Ok(loaded)
}

/// The scenario files of a directory, parsed or not.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The files that parsed, sorted by name.
    pub scenarios: Vec<Scenario>,
    /// The files that did not, each with its error.
    pub broken: Vec<ScenarioError>,
}

/// The scenario name a file would have: its file name without `.toml`.
pub fn name_of(path: &Path) -> String {
    path.file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
}

fn scenario_files(dir: &Path) -> Result<Vec<PathBuf>, ScenarioError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ScenarioError::io(dir, &e))?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| ScenarioError::io(dir, &e))?;
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "toml") {
            paths.push(p);
        }
    }
    paths.sort();
    Ok(paths)
}
