//! `[[step]]` tables -> [`Step`]s: which fields each op accepts, the
//! protocol operation it becomes, and what it must produce.

use std::ops::Range;

use omv_proto::{
    bounded, ErrorName, Fault, Op, Query, ReadArgs, SensorSettings, MAX_MODE, MAX_PATH,
};
use serde::Deserialize;
use toml::Spanned;

use super::{content, dimension, pixformat, positive, rate, Ctx};
use crate::scenario::check::{self, Fit};
use crate::scenario::time::{BoardTime, TimeMark};
use crate::scenario::{Expect, Expected, ScenarioError, Step};

/// Every field any step may have; which ones an op accepts is checked after.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStep {
    op: Spanned<String>,
    path: Option<Spanned<String>>,
    mode: Option<Spanned<String>>,
    shape: Option<Spanned<(u32, u32, String)>>,
    count: Option<Spanned<u32>>,
    frames: Option<Spanned<u32>>,
    copy_to_fb: Option<Spanned<bool>>,
    #[serde(rename = "loop")]
    loop_: Option<Spanned<bool>>,
    pause: Option<Spanned<bool>>,
    offset: Option<Spanned<u32>>,
    ms: Option<Spanned<u32>>,
    width: Option<Spanned<u32>>,
    height: Option<Spanned<u32>>,
    pixformat: Option<Spanned<String>>,
    fps: Option<Spanned<u32>>,
    content: Option<Spanned<String>>,
    threshold: Option<Spanned<u8>>,
    version: Option<Spanned<u8>>,
    blocks: Option<Spanned<u32>>,
    seconds: Option<Spanned<u32>>,
    expect: Option<Spanned<toml::Value>>,
    error: Option<Spanned<String>>,
    /// Free text for the reader; ignored.
    #[allow(dead_code)]
    note: Option<String>,
}

/// The operations and the optional fields each accepts (besides `op`,
/// `expect`, `error`, `note`).
const OPS: &[(&str, &[&str])] = &[
    ("open", &["path", "mode", "version", "shape", "count"]),
    ("write", &[]),
    ("record", &["frames", "seconds"]),
    ("read", &["copy_to_fb", "loop", "pause"]),
    ("replay", &["copy_to_fb", "loop", "pause", "frames"]),
    ("seek", &["offset"]),
    ("sync", &[]),
    ("close", &[]),
    ("count", &[]),
    ("offset", &[]),
    ("size", &[]),
    ("version", &[]),
    ("buffer_size", &[]),
    ("type", &[]),
    ("is_closed", &[]),
    (
        "sensor",
        &["width", "height", "pixformat", "fps", "content"],
    ),
    ("sleep", &["ms"]),
    ("power_cut", &[]),
    ("snapshot", &[]),
    ("diff", &["copy_to_fb", "loop", "pause", "threshold"]),
    ("write_limit", &["blocks"]),
];

type Span = Option<(&'static str, Range<usize>)>;

/// The names and spans of the optional fields a raw step has.
fn present(s: &RawStep) -> Vec<(&'static str, Range<usize>)> {
    fn sp<T>(name: &'static str, v: &Option<Spanned<T>>) -> Span {
        v.as_ref().map(|v| (name, v.span()))
    }
    [
        sp("path", &s.path),
        sp("mode", &s.mode),
        sp("shape", &s.shape),
        sp("count", &s.count),
        sp("frames", &s.frames),
        sp("copy_to_fb", &s.copy_to_fb),
        sp("loop", &s.loop_),
        sp("pause", &s.pause),
        sp("offset", &s.offset),
        sp("ms", &s.ms),
        sp("width", &s.width),
        sp("height", &s.height),
        sp("pixformat", &s.pixformat),
        sp("fps", &s.fps),
        sp("content", &s.content),
        sp("threshold", &s.threshold),
        sp("version", &s.version),
        sp("blocks", &s.blocks),
        sp("seconds", &s.seconds),
    ]
    .into_iter()
    .flatten()
    .collect()
}

pub(super) fn step(
    cx: &Ctx<'_>,
    n: usize,
    raw: Spanned<RawStep>,
    fit: &mut Fit,
    time: &mut BoardTime,
    marks: &mut Vec<TimeMark>,
) -> Result<Step, ScenarioError> {
    let s = raw.into_inner();
    let at = |f: &str| format!("step[{n}].{f}");
    let Some((op_name, allowed)) = OPS.iter().find(|(name, _)| *name == s.op.get_ref()) else {
        let names: Vec<&str> = OPS.iter().map(|(n, _)| *n).collect();
        return Err(cx.err(
            s.op.span(),
            at("op"),
            format!(
                "unknown op {:?}; expected one of {}",
                s.op.get_ref(),
                names.join(", ")
            ),
        ));
    };
    for (field, span) in present(&s) {
        if !allowed.contains(&field) {
            let accepted = if allowed.is_empty() {
                "none".to_owned()
            } else {
                allowed.join(", ")
            };
            return Err(cx.err(
                span,
                at(field),
                format!("not a field of op {op_name:?} (its fields: {accepted})"),
            ));
        }
    }
    let (op, for_us) = match (&s.frames, &s.seconds) {
        (Some(f), Some(_)) if *op_name == "record" => {
            return Err(cx.err(
                f.span(),
                at("frames"),
                "give `frames` (a count) or `seconds` (a duration), not both",
            ))
        }
        (None, Some(secs)) => (
            Op::Record { frames: 1 },
            Some(u64::from(positive(cx, &at("seconds"), secs)?) * 1_000_000),
        ),
        _ => (op(cx, &s, op_name, &at)?, None),
    };
    if let Some(e) = &s.expect {
        if let Ok(v) = value(cx, &at("expect"), e) {
            check::expect_fits(op_name, &v).map_err(|m| cx.err(e.span(), at("expect"), m))?;
        }
    }
    let counted = s.seconds.as_ref().or(s.frames.as_ref()).map(Spanned::span);
    let expect = expect(cx, s.expect, s.error, &at)?;
    fit.step(&op, for_us, &expect).map_err(|m| {
        let field = if s.seconds.is_some() {
            "seconds"
        } else {
            "frames"
        };
        cx.err(counted.unwrap_or(s.op.span()), at(field), m)
    })?;
    let before = time.total_us;
    time.step(&op, for_us);
    if time.total_us > before {
        let (field, span) = [("seconds", &s.seconds), ("frames", &s.frames)]
            .into_iter()
            .find_map(|(f, v)| v.as_ref().map(|v| (f, v.span())))
            .or_else(|| s.ms.as_ref().map(|v| ("ms", v.span())))
            .unwrap_or(("op", s.op.span()));
        marks.push(TimeMark {
            end_us: time.total_us,
            at: cx.err(span, at(field), String::new()),
        });
    }
    let line = crate::scenario::line_col(cx.text, s.op.span().start).0;
    Ok(Step {
        line,
        op,
        expect,
        for_us,
    })
}

fn op(
    cx: &Ctx<'_>,
    s: &RawStep,
    name: &str,
    at: &dyn Fn(&str) -> String,
) -> Result<Op, ScenarioError> {
    let missing = |field: &str| {
        cx.err(
            s.op.span(),
            at(field),
            format!("op {name:?} needs `{field}`"),
        )
    };
    let flag = |v: &Option<Spanned<bool>>, d: bool| v.as_ref().map_or(d, |v| *v.get_ref());
    let d = ReadArgs::default();
    let args = ReadArgs {
        copy_to_fb: flag(&s.copy_to_fb, d.copy_to_fb),
        loop_: flag(&s.loop_, d.loop_),
        pause: flag(&s.pause, d.pause),
    };
    Ok(match name {
        "open" => open(cx, s, at, &missing)?,
        "write" => Op::Write,
        "record" => match &s.frames {
            Some(f) => Op::Record {
                frames: positive(cx, &at("frames"), f)?,
            },
            None => {
                return Err(cx.err(
                    s.op.span(),
                    at("frames"),
                    "op \"record\" needs `frames` (a count) or `seconds` (a duration)",
                ))
            }
        },
        "read" => Op::Read(args),
        "replay" => {
            let frames = cx.optional(&at("frames"), &s.frames, positive)?;
            if args.loop_ && frames.is_none() {
                return Err(cx.err(
                    s.op.span(),
                    at("frames"),
                    "a replay with loop = true never ends: give `frames`, or set loop = false",
                ));
            }
            Op::Replay { frames, args }
        }
        "seek" => match &s.offset {
            Some(o) => Op::Seek {
                offset: *o.get_ref(),
            },
            None => return Err(missing("offset")),
        },
        "sync" => Op::Sync,
        "close" => Op::Close,
        "sensor" => Op::Sensor(SensorSettings {
            width: cx.optional(&at("width"), &s.width, dimension)?,
            height: cx.optional(&at("height"), &s.height, dimension)?,
            pixformat: cx.optional(&at("pixformat"), &s.pixformat, pixformat)?,
            fps: cx.optional(&at("fps"), &s.fps, rate)?,
            content: cx.optional(&at("content"), &s.content, content)?,
            seed: None,
        }),
        "snapshot" => Op::Snapshot,
        "diff" => Op::Diff {
            args,
            threshold: s.threshold.as_ref().map_or(16, |t| *t.get_ref()),
        },
        "sleep" => match &s.ms {
            Some(ms) => Op::Sleep {
                us: u64::from(*ms.get_ref()) * 1000,
            },
            None => return Err(missing("ms")),
        },
        "power_cut" => Op::Fault(Fault::PowerCut),
        "write_limit" => Op::Fault(Fault::WriteLimit {
            blocks: s.blocks.as_ref().map(|b| *b.get_ref()),
        }),
        q => match Query::from_name(q) {
            Some(q) => Op::Query(q),
            None => return Err(cx.err(s.op.span(), at("op"), format!("op {q:?} is not handled"))),
        },
    })
}

fn open(
    cx: &Ctx<'_>,
    s: &RawStep,
    at: &dyn Fn(&str) -> String,
    missing: &dyn Fn(&str) -> ScenarioError,
) -> Result<Op, ScenarioError> {
    match (&s.path, &s.mode, &s.shape, &s.count) {
        (Some(path), Some(mode), None, None) => {
            if path.get_ref().len() > MAX_PATH {
                return Err(cx.err(
                    path.span(),
                    at("path"),
                    format!("longer than {MAX_PATH} bytes"),
                ));
            }
            if mode.get_ref().len() > MAX_MODE {
                return Err(cx.err(
                    mode.span(),
                    at("mode"),
                    format!("longer than {MAX_MODE} bytes"),
                ));
            }
            let write_version = match &s.version {
                Some(v) if ![20, 21].contains(v.get_ref()) => {
                    return Err(cx.err(
                        v.span(),
                        at("version"),
                        format!(
                            "writers emit 20 (V2.0) or 21 (V2.1), found {}",
                            v.get_ref()
                        ),
                    ))
                }
                v => v.as_ref().map(|v| *v.get_ref()),
            };
            Ok(Op::OpenFile {
                path: bounded(path.get_ref()),
                mode: bounded(mode.get_ref()),
                write_version,
            })
        }
        (Some(_), None, None, None) => Err(missing("mode")),
        (None, None, Some(shape), Some(count)) => {
            let (w, h, pf) = shape.get_ref();
            let pf = Spanned::new(shape.span(), pf.clone());
            Ok(Op::OpenMemory {
                width: *w,
                height: *h,
                pixformat: pixformat(cx, &at("shape"), &pf)?,
                count: *count.get_ref(),
            })
        }
        (None, None, Some(_), None) => Err(missing("count")),
        (None, None, None, _) => Err(cx.err(
            s.op.span(),
            at("op"),
            "op \"open\" needs `path` and `mode` (a file stream) or `shape = [w, h, \"PIXFORMAT\"]` and `count` (a memory stream)",
        )),
        _ => {
            let span = s
                .shape
                .as_ref()
                .map(Spanned::span)
                .or(s.count.as_ref().map(Spanned::span))
                .unwrap_or(s.op.span());
            Err(cx.err(
                span,
                at("shape"),
                "a stream is either a file (`path`, `mode`) or memory (`shape`, `count`), not both",
            ))
        }
    }
}

fn expect(
    cx: &Ctx<'_>,
    expect: Option<Spanned<toml::Value>>,
    error: Option<Spanned<String>>,
    at: &dyn Fn(&str) -> String,
) -> Result<Expect, ScenarioError> {
    match (expect, error) {
        (Some(e), Some(_)) => Err(cx.err(
            e.span(),
            at("expect"),
            "give `expect` (a value on success) or `error` (a failure), not both",
        )),
        (Some(e), None) => Ok(Expect::Value(value(cx, &at("expect"), &e)?)),
        (None, Some(err)) => match ErrorName::from_name(err.get_ref()) {
            Some(name) => Ok(Expect::Error(name)),
            None => {
                let names: Vec<&str> = ErrorName::ALL.iter().map(|n| n.as_str()).collect();
                Err(cx.err(
                    err.span(),
                    at("error"),
                    format!(
                        "unknown error {:?}; expected one of {}",
                        err.get_ref(),
                        names.join(", ")
                    ),
                ))
            }
        },
        (None, None) => Ok(Expect::Ok),
    }
}

fn value(cx: &Ctx<'_>, field: &str, v: &Spanned<toml::Value>) -> Result<Expected, ScenarioError> {
    match v.get_ref() {
        toml::Value::Integer(i) => Ok(Expected::Int(*i)),
        toml::Value::Boolean(b) => Ok(Expected::Bool(*b)),
        toml::Value::String(s) if s == "none" => Ok(Expected::None),
        toml::Value::String(s) => Ok(Expected::Text(s.clone())),
        other => Err(cx.err(
            v.span(),
            field,
            format!(
                "expected an integer, a boolean, a name or \"none\", found {}",
                other.type_str()
            ),
        )),
    }
}
