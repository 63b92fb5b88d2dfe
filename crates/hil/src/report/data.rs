//! What the report reads back from a capture directory: the timing trace
//! (`trace.csv`, written by [`crate::capture::Capture::save`]) turned into
//! the series the plots show, and the board file's tolerances.

use crate::boards::sections::TimingSection;
use crate::boards::BoardFile;
use crate::scenario::Scenario;

/// One row of `trace.csv` the report uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceRow {
    /// A frame reached the stream at `t_us`; the sensor captured it at
    /// `captured_us` (absent in traces written before that column existed).
    Written {
        /// Board time written, µs.
        t_us: u64,
        /// Step number.
        step: u32,
        /// Sensor frame number.
        seq: u32,
        /// Board time of the snapshot, µs.
        captured_us: Option<u64>,
    },
    /// A replayed frame was released at `t_us`, due at `scheduled_us`.
    Released {
        /// Board time released, µs.
        t_us: u64,
        /// Step number.
        step: u32,
        /// When the recorded timing said it was due, µs.
        scheduled_us: u64,
    },
    /// The sensor produced `count` frames that were not written.
    Dropped {
        /// Board time, µs.
        t_us: u64,
        /// Frames dropped.
        count: u32,
    },
}

/// A line of `trace.csv` that does not parse: which line and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("trace.csv line {line}: {what}")]
pub struct TraceError {
    /// 1-based line number.
    pub line: usize,
    /// What was expected and found.
    pub what: String,
}

/// Parse `trace.csv` (`t_us,step,event,index,seq_or_scheduled_us,payload_len,crc32[,captured_us]`).
/// `failed` rows are skipped (the steps table shows failures).
pub fn parse_trace(text: &str) -> Result<Vec<TraceRow>, TraceError> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        let num = |k: usize, name: &str| -> Result<u64, TraceError> {
            let s = f.get(k).copied().unwrap_or("");
            s.trim().parse::<u64>().map_err(|_| TraceError {
                line: n,
                what: format!("column {} ({name}): expected a number, found {s:?}", k + 1),
            })
        };
        let small = |v: u64, name: &str| {
            u32::try_from(v).map_err(|_| TraceError {
                line: n,
                what: format!("{name} {v} does not fit 32 bits"),
            })
        };
        let t_us = num(0, "t_us")?;
        let step = small(num(1, "step")?, "step")?;
        match f.get(2).copied().unwrap_or("") {
            "written" => rows.push(TraceRow::Written {
                t_us,
                step,
                seq: small(num(4, "seq")?, "seq")?,
                captured_us: match f.get(7).map(|s| s.trim()) {
                    None | Some("") => None,
                    Some(_) => Some(num(7, "captured_us")?),
                },
            }),
            "released" => rows.push(TraceRow::Released {
                t_us,
                step,
                scheduled_us: num(4, "scheduled_us")?,
            }),
            "dropped" => rows.push(TraceRow::Dropped {
                t_us,
                count: small(num(3, "count")?, "count")?,
            }),
            "failed" => {}
            other => {
                return Err(TraceError {
                    line: n,
                    what: format!(
                        "column 3 (event): expected written, released, dropped or failed, found {other:?}"
                    ),
                })
            }
        }
    }
    Ok(rows)
}

/// The board file's `[timing]` tolerances the plots draw (absent ones are
/// not drawn: the simulator's file has none, its timing is exact).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tolerance {
    /// Allowed deviation of a written frame's interval from the sensor grid, µs.
    pub frame_interval_us: Option<u64>,
    /// Allowed lateness of a replayed frame against the recorded schedule, µs.
    pub replay_error_us: Option<u64>,
    /// Allowed dropped frames per scenario.
    pub dropped_frames: Option<u32>,
}

impl Tolerance {
    /// The `[timing]` section of a board file, read as the boards read it
    /// (its defaults for keys left out); none if the file has no such
    /// section. A section that does not parse is an error.
    pub fn read(file: &BoardFile) -> Result<Tolerance, String> {
        let timing: Option<TimingSection> =
            file.optional_section("timing").map_err(|e| e.to_string())?;
        Ok(Tolerance::of(timing.as_ref()))
    }

    /// The tolerances of a `[timing]` section (none without one).
    pub fn of(timing: Option<&TimingSection>) -> Tolerance {
        timing.map_or_else(Tolerance::default, |t| Tolerance {
            frame_interval_us: Some(t.frame_interval_us),
            replay_error_us: Some(t.replay_error_us),
            dropped_frames: t.dropped_frames,
        })
    }
}

/// A point of a plot: seconds of board time, and a value.
pub type Point = (f64, f64);

/// The timing series of one scenario's trace.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// Interval between consecutive written frames of a step (capture
    /// times), ms, at the later frame's capture time.
    pub intervals: Vec<Point>,
    /// What the sensor grid says that interval should be (frames advanced
    /// × period), ms; empty when the sensor is unpaced.
    pub expected: Vec<Point>,
    /// Capture to written, ms, at the capture time.
    pub latency: Vec<Point>,
    /// Dropped frames so far, at board time.
    pub drops: Vec<Point>,
    /// Lateness of each released frame against the recorded schedule, ms.
    pub lateness: Vec<Point>,
}

impl Series {
    /// True if the trace had frames written (a recording scenario).
    pub fn records(&self) -> bool {
        !self.latency.is_empty() || !self.intervals.is_empty()
    }
}

/// The sensor rate in force at each step of `scenario`: its `[sensor]`
/// rate, changed by `sensor` steps that set `fps` (0 = unpaced).
pub fn fps_at(scenario: &Scenario, step: u32) -> u16 {
    let mut fps = scenario.sensor.fps;
    for (i, st) in scenario.steps.iter().enumerate() {
        if i + 1 > step as usize {
            break;
        }
        if let omv_proto::Op::Sensor(s) = &st.op {
            if let Some(f) = s.fps {
                fps = f;
            }
        }
    }
    fps
}

const S: f64 = 1e-6;
const MS: f64 = 1e-3;

/// The series of `rows`; `fps_at(step)` gives the sensor rate of a step.
pub fn series(rows: &[TraceRow], fps_at: impl Fn(u32) -> u16) -> Series {
    let mut out = Series::default();
    let mut prev: Option<(u32, u32, u64)> = None;
    let mut dropped = 0u64;
    for r in rows {
        match *r {
            TraceRow::Written {
                t_us,
                step,
                seq,
                captured_us,
            } => {
                let at = captured_us.unwrap_or(t_us);
                if let Some(c) = captured_us {
                    out.latency
                        .push((c as f64 * S, t_us.saturating_sub(c) as f64 * MS));
                }
                if let Some((ps, pseq, pat)) = prev {
                    if ps == step && seq > pseq {
                        let x = at as f64 * S;
                        out.intervals.push((x, at.saturating_sub(pat) as f64 * MS));
                        let fps = fps_at(step);
                        if fps > 0 {
                            let period = 1e3 / f64::from(fps);
                            out.expected.push((x, f64::from(seq - pseq) * period));
                        }
                    }
                }
                prev = Some((step, seq, at));
            }
            TraceRow::Released {
                t_us, scheduled_us, ..
            } => {
                let late = t_us as f64 - scheduled_us as f64;
                out.lateness.push((t_us as f64 * S, late * MS));
            }
            TraceRow::Dropped { t_us, count } => {
                if out.drops.is_empty() {
                    out.drops.push((t_us as f64 * S, 0.0));
                }
                dropped += u64::from(count);
                out.drops.push((t_us as f64 * S, dropped as f64));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::path::Path;

    const TRACE: &str = "t_us,step,event,index,seq_or_scheduled_us,payload_len,crc32,captured_us\n\
        1500,2,written,0,0,100,0000abcd,1000\n\
        35000,2,written,1,1,100,0000abcd,34333\n\
        40000,2,dropped,2,3,,,\n\
        110000,2,written,2,3,100,0000abcd,101000\n\
        200000,3,released,0,199000,100,0000abcd,\n\
        200500,3,failed,1,,,,\n";

    #[test]
    fn a_trace_reads_back_and_gives_intervals_latency_drops_and_lateness() {
        let rows = parse_trace(TRACE).unwrap();
        assert_eq!(rows.len(), 5);
        let s = series(&rows, |_| 30);
        assert_eq!(s.latency.len(), 3);
        assert!((s.latency[0].1 - 0.5).abs() < 1e-9);
        // 34333 - 1000 µs between the first two, then 3 - 1 = 2 sensor periods.
        assert_eq!(s.intervals.len(), 2);
        assert!((s.intervals[0].1 - 33.333).abs() < 1e-9);
        assert!((s.expected[1].1 - 2000.0 / 30.0).abs() < 1e-9);
        assert_eq!(s.drops.last().unwrap().1, 2.0);
        assert!((s.lateness[0].1 - 1.0).abs() < 1e-9);
        assert!(s.records());
        // Unpaced: no grid to compare with.
        assert!(series(&rows, |_| 0).expected.is_empty());
    }

    #[test]
    fn a_bad_trace_line_names_its_line_and_column() {
        let e = parse_trace("header\n1,2,written,0,x,1,0,\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.to_string().contains("column 5 (seq)"), "{e}");
        let e = parse_trace("header\n1,2,sneezed,0,0,1,0,\n").unwrap_err();
        assert!(e.to_string().contains("sneezed"), "{e}");
        // The old trace without captured_us still reads: no latency points.
        let rows = parse_trace("h\n5,1,written,0,0,1,0\n").unwrap();
        assert_eq!(
            rows,
            [TraceRow::Written {
                t_us: 5,
                step: 1,
                seq: 0,
                captured_us: None
            }]
        );
    }

    fn load(path: &Path) -> Result<Tolerance, String> {
        Tolerance::read(&BoardFile::load(path).map_err(|e| e.to_string())?)
    }

    #[test]
    fn tolerances_come_from_the_board_files_timing_section() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(format!("{name}.toml"));
            std::fs::write(&p, text).unwrap();
            p
        };
        let q = write(
            "q",
            "name = \"q\"\ndescription = \"d\"\n[timing]\nframe_interval_us = 800\nreplay_error_us = 20000\nfps_percent = 1.0\n",
        );
        let t = load(&q).unwrap();
        assert_eq!(t.frame_interval_us, Some(800));
        assert_eq!(t.replay_error_us, Some(20000));
        assert_eq!(t.dropped_frames, None);
        let sim = write("sim", "name = \"sim\"\ndescription = \"d\"\n");
        assert_eq!(load(&sim).unwrap(), Tolerance::default());
        let bad = write(
            "bad",
            "name = \"bad\"\ndescription = \"d\"\n[timing]\nframe_interval_us = -3\n",
        );
        assert!(load(&bad).is_err());
        // The repository's qemu board file has tolerances, sim's has none.
        let boards = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hil/boards");
        assert!(load(&boards.join("qemu.toml"))
            .unwrap()
            .frame_interval_us
            .is_some());
        assert_eq!(
            load(&boards.join("sim.toml")).unwrap(),
            Tolerance::default()
        );
    }
}
