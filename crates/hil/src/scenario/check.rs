//! Checks that need more than one field: is an `expect` the kind of value
//! its op gives, and can a recording fit on the scenario's card at all.
//! Both run when the scenario is parsed, so a scenario that cannot pass is
//! an error naming its line, not a failure found minutes into a run.

use omv_proto::Op;

use super::{Card, Expect, Expected, SensorTable};

/// What kind of value an op gives, for its `expect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gives {
    /// Nothing (`open`, `seek`, `close`, ...): only `error = ...` applies.
    Nothing,
    /// A number (`count`, the frames of a `record`, a frame's index).
    Int,
    /// A number, or `"none"` (`read` at the end, `version()` of a memory stream).
    IntOrNone,
    /// `true` or `false` (`is_closed`).
    Bool,
    /// `"FILE_STREAM"` or `"MEMORY_STREAM"` (`type`).
    StreamType,
}

fn gives(op: &str) -> Gives {
    match op {
        "write" | "record" | "replay" | "snapshot" | "count" | "offset" | "size" => Gives::Int,
        "read" | "diff" | "version" | "buffer_size" => Gives::IntOrNone,
        "is_closed" => Gives::Bool,
        "type" => Gives::StreamType,
        _ => Gives::Nothing,
    }
}

/// `Err(why)` if op `op` can never give `v`.
pub(super) fn expect_fits(op: &str, v: &Expected) -> Result<(), String> {
    let kind = gives(op);
    let ok = match (kind, v) {
        (Gives::Int | Gives::IntOrNone, Expected::Int(i)) => *i >= 0,
        (Gives::IntOrNone, Expected::None) => true,
        (Gives::Bool, Expected::Bool(_)) => true,
        (Gives::StreamType, Expected::Text(t)) => t == "FILE_STREAM" || t == "MEMORY_STREAM",
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let wanted = match kind {
        Gives::Nothing => {
            return Err(format!(
                "op {op:?} gives no value, so it cannot meet `expect = {v}`; leave `expect` out (the step must succeed) or give `error = \"<Name>\"`"
            ))
        }
        Gives::Int => "a count or index (an integer >= 0)",
        Gives::IntOrNone => "an integer >= 0 or \"none\"",
        Gives::Bool => "true or false",
        Gives::StreamType => "\"FILE_STREAM\" or \"MEMORY_STREAM\"",
    };
    Err(format!("op {op:?} gives {wanted}, found {v}"))
}

/// Follows the sensor and the open stream through the steps, to find a
/// `record` that must succeed but cannot fit on the card.
#[derive(Debug)]
pub(super) struct Fit {
    sensor: SensorTable,
    card_bytes: u64,
    /// Payload bytes recorded so far into the file stream open for writing.
    writing: Option<u64>,
}

impl Fit {
    pub(super) fn new(sensor: SensorTable, card: &Card) -> Fit {
        Fit {
            sensor,
            card_bytes: card.capacity_kib.saturating_mul(1024),
            writing: None,
        }
    }

    /// Account for one step; `Err(why)` if it is a recording expected to
    /// succeed whose frame payloads alone exceed the card. Headers, padding
    /// and the file system only add to that, so the check never refuses a
    /// scenario that could run.
    pub(super) fn step(
        &mut self,
        op: &Op,
        for_us: Option<u64>,
        expect: &Expect,
    ) -> Result<(), String> {
        match op {
            Op::Sensor(s) => {
                let d = &mut self.sensor;
                d.width = s.width.unwrap_or(d.width);
                d.height = s.height.unwrap_or(d.height);
                d.pixformat = s.pixformat.unwrap_or(d.pixformat);
                d.fps = s.fps.unwrap_or(d.fps);
                d.model
                    .check(d.fps)
                    .map_err(|m| format!("at {} fps the sensor model cannot run: {m}", d.fps))?;
            }
            Op::OpenFile { mode, .. } => {
                self.writing = (mode.as_str() == "w").then_some(0);
            }
            Op::OpenMemory { .. } | Op::Close => self.writing = None,
            Op::Write => self.add(1, expect)?,
            Op::Record { frames } => {
                let frames = match for_us {
                    // `seconds = N`: what the sensor delivers in that time.
                    Some(us) => us.saturating_mul(u64::from(self.sensor.fps)) / 1_000_000,
                    None => u64::from(*frames),
                };
                self.add(frames, expect)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn add(&mut self, frames: u64, expect: &Expect) -> Result<(), String> {
        let Some(written) = self.writing.as_mut() else {
            return Ok(());
        };
        let s = &self.sensor;
        let pf = s.pixformat;
        let Some(frame) = pf.raw_payload_len(u32::from(s.width), u32::from(s.height)) else {
            return Ok(()); // JPEG/PNG: the size is known only once captured
        };
        *written = written.saturating_add(frames.saturating_mul(frame));
        if *written > self.card_bytes && !matches!(expect, Expect::Error(_)) {
            let fit = self.card_bytes / frame.max(1);
            return Err(format!(
                "{frames} frame(s) of {}x{} {} ({frame} bytes each) bring the stream to {written} bytes, more than the {} KiB card holds (at most {fit} such frames): lower the count, enlarge `[card] capacity_kib`, or expect the failure with `error = \"Io\"`",
                s.width, s.height, pf, self.card_bytes / 1024
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations_follow_the_value_each_op_gives() {
        assert!(expect_fits("count", &Expected::Int(3)).is_ok());
        assert!(expect_fits("count", &Expected::Int(-1)).is_err());
        assert!(expect_fits("count", &Expected::Bool(true)).is_err());
        assert!(expect_fits("read", &Expected::None).is_ok());
        assert!(expect_fits("write", &Expected::None).is_err());
        assert!(expect_fits("is_closed", &Expected::Bool(false)).is_ok());
        assert!(expect_fits("is_closed", &Expected::Int(0)).is_err());
        assert!(expect_fits("type", &Expected::Text("FILE_STREAM".into())).is_ok());
        assert!(expect_fits("type", &Expected::Text("file".into())).is_err());
        let e = expect_fits("seek", &Expected::Int(0)).unwrap_err();
        assert!(e.contains("gives no value"), "{e}");
    }
}
