//! Each step and its result as the snapshot text says them, in OpenMV's
//! `image.ImageIO` vocabulary.

use omv_proto::{
    Fault, FrameSummary, Op, OpError, Outcome, Query, ReadArgs, SensorSettings, Value,
};

use super::Fmt;

/// A step as text, with its repetition (`record for 30 s`).
pub fn step_text(op: &Op, for_us: Option<u64>) -> String {
    match (op, for_us) {
        (Op::Record { .. }, Some(us)) => format!("record for {} s", us / 1_000_000),
        (op, Some(us)) => format!("{} for {} s", op_text(op), us / 1_000_000),
        (op, None) => op_text(op),
    }
}

/// A step as text, in OpenMV's `image.ImageIO` vocabulary (docs/api.md §3).
pub fn op_text(op: &Op) -> String {
    match op {
        Op::Sensor(s) => format!("sensor {}", sensor_text(s)),
        Op::OpenFile {
            path,
            mode,
            write_version,
        } => match write_version {
            Some(v) => format!("open {:?} {:?} version {v}", path.as_str(), mode.as_str()),
            None => format!("open {:?} {:?}", path.as_str(), mode.as_str()),
        },
        Op::OpenMemory {
            width,
            height,
            pixformat,
            count,
        } => format!(
            "open ({width}, {height}, {}) count {count}",
            pixformat.name()
        ),
        Op::Write => "write".into(),
        Op::Record { frames } => format!("record {frames}"),
        Op::Read(a) => format!("read({})", args_text(a)),
        Op::Replay { frames, args } => match frames {
            Some(n) => format!("replay({}) {n} frames", args_text(args)),
            None => format!("replay({}) until the end", args_text(args)),
        },
        Op::Seek { offset } => format!("seek {offset}"),
        Op::Sync => "sync".into(),
        Op::Close => "close".into(),
        Op::Query(q) => format!("{}()", query_name(*q)),
        Op::Snapshot => "snapshot".into(),
        Op::Diff { args, threshold } => {
            format!("diff({}) threshold {threshold}", args_text(args))
        }
        Op::Sleep { us } => format!("sleep {} ms", us / 1000),
        Op::Fault(Fault::PowerCut) => "power_cut".into(),
        Op::Fault(Fault::WriteLimit { blocks: Some(b) }) => format!("write_limit {b} blocks"),
        Op::Fault(Fault::WriteLimit { blocks: None }) => "write_limit none".into(),
    }
}

fn query_name(q: Query) -> &'static str {
    q.name()
}

fn sensor_text(s: &SensorSettings) -> String {
    let mut parts = Vec::new();
    match (s.width, s.height) {
        (Some(w), Some(h)) => parts.push(format!("{w}x{h}")),
        (Some(w), None) => parts.push(format!("width {w}")),
        (None, Some(h)) => parts.push(format!("height {h}")),
        (None, None) => {}
    }
    if let Some(p) = s.pixformat {
        parts.push(p.name().to_owned());
    }
    if let Some(fps) = s.fps {
        parts.push(format!("{fps} fps"));
    }
    if let Some(c) = s.content {
        parts.push(c.name().to_owned());
    }
    if let Some(seed) = s.seed {
        parts.push(format!("seed {seed}"));
    }
    parts.join(" ")
}

fn args_text(a: &ReadArgs) -> String {
    format!(
        "copy_to_fb={}, loop={}, pause={}",
        a.copy_to_fb, a.loop_, a.pause
    )
}

/// A step's result as text, through the board's policy. Frames that
/// were written or captured (`write`, `snapshot`) show no elapsed time:
/// it belongs to frames read back (the file tables show what was recorded).
pub fn outcome_text(op: &Op, o: &Outcome, f: &Fmt) -> String {
    match (op, o) {
        (Op::Write | Op::Snapshot, Outcome::Ok(Value::Frame(fr))) => frame_text(fr, f, false),
        (_, Outcome::Ok(v)) => value_text(v, f),
        (_, Outcome::Err(e)) => error_text(e),
    }
}

fn error_text(e: &OpError) -> String {
    match e.offset {
        Some(off) => format!("error {} at byte {off}: {}", e.name, e.message),
        None => format!("error {}: {}", e.name, e.message),
    }
}

/// A frame: index, shape, size, crc32, its elapsed time if `elapsed`, and
/// when.
fn frame_text(fr: &FrameSummary, f: &Fmt, elapsed: bool) -> String {
    let elapsed = if elapsed {
        format!(" elapsed {}", f.us(fr.elapsed_us))
    } else {
        String::new()
    };
    format!(
        "frame {}: {}x{} {} {} B crc32 {}{elapsed} at {}",
        fr.index,
        fr.width,
        fr.height,
        fr.pixformat.name(),
        fr.payload_len,
        f.hash(&format!("{:08x}", fr.crc32), 8),
        f.at(fr.t_us)
    )
}

fn value_text(v: &Value, f: &Fmt) -> String {
    match v {
        Value::Unit => "ok".into(),
        Value::None => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Number(n) => n.to_string(),
        Value::Stream(k) => k.name().into(),
        Value::Frame(fr) => frame_text(fr, f, true),
        Value::Record(r) => format!(
            "{} frames from #{}, {} dropped, {} .. {}",
            r.frames,
            r.first_index,
            r.dropped,
            f.at(r.t_start_us),
            f.at(r.t_end_us)
        ),
        Value::Replay(r) => format!(
            "{} frames from {}, {}, max schedule error {}, {} .. {}",
            r.frames,
            r.first_index.map_or("none".to_owned(), |i| format!("#{i}")),
            if r.reached_end {
                "reached the end"
            } else {
                "stopped before the end"
            },
            f.us(r.max_lateness_us),
            f.at(r.t_start_us),
            f.at(r.t_end_us)
        ),
        Value::Diff(d) => format!(
            "{} bytes of {} changed (mean |diff| {}.{:03}) between stream {} and snapshot seq {}",
            d.changed,
            d.compared,
            d.mean_abs_diff_milli / 1000,
            d.mean_abs_diff_milli % 1000,
            frame_text(&d.frame, f, true),
            d.snapshot_seq
        ),
    }
}
