//! TOML text -> [`Scenario`], with spans for every field so that each error
//! names the line, column and field.

use std::ops::Range;
use std::path::Path;

use omv_agent::SensorModel;
use omv_proto::{Content, PixFormat, MAX_PATH};
use serde::Deserialize;
use toml::Spanned;

use super::check::Fit;
use super::names::{self, Capability};
use super::time::BoardTime;
use super::{Card, Scenario, ScenarioError, SensorTable, Upload};

mod steps;
#[cfg(test)]
mod tests;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    description: Option<Spanned<String>>,
    seed: Option<Spanned<u64>>,
    timeout_s: Option<Spanned<u64>>,
    #[serde(default)]
    boards: Vec<Spanned<String>>,
    #[serde(default)]
    needs: Vec<Spanned<String>>,
    sensor: Option<RawSensor>,
    card: Option<RawCard>,
    #[serde(default)]
    upload: Vec<RawUpload>,
    #[serde(default)]
    step: Vec<Spanned<steps::RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpload {
    from: Spanned<String>,
    to: Spanned<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSensor {
    width: Option<Spanned<u32>>,
    height: Option<Spanned<u32>>,
    pixformat: Option<Spanned<String>>,
    fps: Option<Spanned<u32>>,
    content: Option<Spanned<String>>,
    startup_us: Option<Spanned<u64>>,
    jitter_us: Option<Spanned<u64>>,
    buffers: Option<Spanned<u8>>,
    source: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCard {
    profile: Option<Spanned<String>>,
    capacity_kib: Option<Spanned<u64>>,
}

struct Ctx<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Ctx<'_> {
    fn err(
        &self,
        span: Range<usize>,
        field: impl Into<String>,
        msg: impl Into<String>,
    ) -> ScenarioError {
        ScenarioError::at(self.path, self.text, Some(span), Some(field.into()), msg)
    }

    /// An optional field read by `check` (given this context and `field`
    /// for its errors): `None` when the field is absent.
    fn optional<T, U>(
        &self,
        field: &str,
        v: &Option<Spanned<T>>,
        check: impl Fn(&Self, &str, &Spanned<T>) -> Result<U, ScenarioError>,
    ) -> Result<Option<U>, ScenarioError> {
        v.as_ref().map(|v| check(self, field, v)).transpose()
    }
}

pub(super) fn parse(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let (field, message) = split_toml_message(e.message());
        // toml gives no span for a key missing from the top-level table:
        // point at its first key rather than at 1:1 of a comment.
        let span = e.span().or_else(|| Some(first_key(text)));
        ScenarioError::at(path, text, span, field, message)
    })?;
    let cx = Ctx { text, path };
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario")
        .to_owned();
    let description = match raw.description {
        Some(d) if d.get_ref().trim().is_empty() => {
            return Err(cx.err(d.span(), "description", "must not be empty"))
        }
        Some(d) => d.into_inner(),
        None => {
            return Err(ScenarioError::at(
                path,
                text,
                Some(first_key(text)),
                Some("description".into()),
                "missing from the top-level table: add `description = \"...\"` saying in one line what the scenario shows",
            ))
        }
    };
    let sensor = sensor(&cx, raw.sensor.unwrap_or_default())?;
    let card = card(&cx, raw.card)?;
    if raw.step.is_empty() {
        return Err(ScenarioError::at(
            path,
            text,
            Some(text.len()..text.len()),
            Some("step".into()),
            "no steps: add at least one [[step]] table with an `op`",
        ));
    }
    let boards = raw
        .boards
        .iter()
        .map(|b| board_name(&cx, b))
        .collect::<Result<Vec<_>, _>>()?;
    let mut needs = raw
        .needs
        .iter()
        .map(|n| capability(&cx, n))
        .collect::<Result<Vec<_>, _>>()?;
    // A sensor model other than the agent's default runs only where the
    // board can set one: needed without being named.
    let implied = [
        (
            sensor.model != SensorModel::default(),
            Capability::SensorModel,
        ),
        (sensor.source.is_some(), Capability::Footage),
        (!raw.upload.is_empty(), Capability::Upload),
        (!raw.upload.is_empty(), Capability::Files),
    ];
    for (used, cap) in implied {
        if used && !needs.contains(&cap) {
            needs.push(cap);
        }
    }
    let uploads = raw
        .upload
        .iter()
        .map(|u| upload(&cx, u, &card))
        .collect::<Result<Vec<_>, _>>()?;
    let mut fit = Fit::new(sensor.clone(), &card);
    let mut time = BoardTime::new(sensor.fps, sensor.model.startup_us);
    let mut board_time = Vec::new();
    let steps = raw
        .step
        .into_iter()
        .enumerate()
        .map(|(i, s)| steps::step(&cx, i + 1, s, &mut fit, &mut time, &mut board_time))
        .collect::<Result<Vec<_>, _>>()?;
    let timeout_s = match raw.timeout_s {
        Some(t) if t.get_ref() == &0 => {
            return Err(cx.err(t.span(), "timeout_s", "must be at least 1 (seconds)"))
        }
        Some(t) => {
            if boards.is_empty() || boards.iter().any(|b| super::real_time(b)) {
                super::time::check(&board_time, *t.get_ref(), "its `timeout_s`")?;
            }
            Some(t.into_inner())
        }
        None => None,
    };
    Ok(Scenario {
        name,
        path: path.to_owned(),
        description,
        seed: raw.seed.map_or(1, Spanned::into_inner),
        timeout_s,
        boards,
        needs,
        sensor,
        card,
        uploads,
        steps,
        board_time,
    })
}

/// A host file relative to the scenario file's folder.
fn host_path(cx: &Ctx<'_>, rel: &str) -> std::path::PathBuf {
    cx.path.parent().unwrap_or(Path::new("")).join(rel)
}

/// `[[upload]]`: a host file that exists and fits the card, to a card path.
fn upload(cx: &Ctx<'_>, u: &RawUpload, card: &Card) -> Result<Upload, ScenarioError> {
    let from = host_path(cx, u.from.get_ref());
    let len = std::fs::metadata(&from)
        .map_err(|e| {
            cx.err(
                u.from.span(),
                "upload.from",
                format!(
                    "cannot read {} (relative to the scenario file's folder): {e}",
                    from.display()
                ),
            )
        })?
        .len();
    if len > card.capacity_kib.saturating_mul(1024) {
        return Err(cx.err(
            u.from.span(),
            "upload.from",
            format!(
                "{} has {len} bytes, more than the {} KiB card holds",
                from.display(),
                card.capacity_kib
            ),
        ));
    }
    let to = u.to.get_ref();
    if to.len() > MAX_PATH || !to.starts_with('/') {
        return Err(cx.err(
            u.to.span(),
            "upload.to",
            format!("a card path such as \"/sdcard/clip.bin\" of at most {MAX_PATH} bytes, found {to:?}"),
        ));
    }
    Ok(Upload {
        from,
        to: to.clone(),
    })
}

/// The span of the first line that is neither blank nor a comment (the
/// top-level table's first key), or the start of the file.
fn first_key(text: &str) -> Range<usize> {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if !t.is_empty() && !t.starts_with('#') {
            let start = at + (line.len() - t.len());
            return start..start;
        }
        at += line.len();
    }
    0..0
}

/// toml's messages for unknown fields read "unknown field `x`, expected
/// one of `a`, `b`"; pull the field name out so it is shown like our own
/// errors, and add a did-you-mean when one of the expected names is close.
fn split_toml_message(msg: &str) -> (Option<String>, String) {
    let mut msg = msg.trim_end().to_owned();
    let Some((field, rest)) = msg
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
    else {
        return (None, msg);
    };
    let field = field.to_owned();
    let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    if let Some(near) = names::closest(&field, expected.iter().copied()) {
        let rest = rest.trim_start_matches(", ");
        msg = format!("unknown field `{field}`; did you mean `{near}`? ({rest})");
    }
    (Some(field), msg)
}

/// A board named in `boards = [...]`: one the harness has code for.
fn board_name(cx: &Ctx<'_>, v: &Spanned<String>) -> Result<String, ScenarioError> {
    let known = crate::boards::KNOWN;
    if known.contains(&v.get_ref().as_str()) {
        Ok(v.get_ref().clone())
    } else {
        Err(cx.err(
            v.span(),
            "boards",
            names::unknown("board", v.get_ref(), &known),
        ))
    }
}

/// A capability named in `needs = [...]`.
fn capability(cx: &Ctx<'_>, v: &Spanned<String>) -> Result<Capability, ScenarioError> {
    Capability::from_name(v.get_ref()).ok_or_else(|| {
        let all: Vec<&str> = Capability::ALL.iter().map(|c| c.name()).collect();
        cx.err(
            v.span(),
            "needs",
            names::unknown("capability", v.get_ref(), &all),
        )
    })
}

fn pixformat(cx: &Ctx<'_>, field: &str, v: &Spanned<String>) -> Result<PixFormat, ScenarioError> {
    PixFormat::from_name(v.get_ref()).ok_or_else(|| {
        let names: Vec<&str> = omv_imageio::PixFormat::ALL
            .iter()
            .map(|p| p.name())
            .collect();
        cx.err(
            v.span(),
            field,
            format!(
                "unknown pixformat {:?}; expected one of {}",
                v.get_ref(),
                names.join(", ")
            ),
        )
    })
}

fn content(cx: &Ctx<'_>, field: &str, v: &Spanned<String>) -> Result<Content, ScenarioError> {
    Content::from_name(v.get_ref()).ok_or_else(|| {
        let names: Vec<&str> = Content::ALL.iter().map(|c| c.name()).collect();
        cx.err(
            v.span(),
            field,
            format!(
                "unknown content {:?}; expected one of {}",
                v.get_ref(),
                names.join(", ")
            ),
        )
    })
}

fn positive(cx: &Ctx<'_>, field: &str, v: &Spanned<u32>) -> Result<u32, ScenarioError> {
    match *v.get_ref() {
        0 => Err(cx.err(v.span(), field, "must be at least 1")),
        n => Ok(n),
    }
}

/// A frame dimension: 1 ..= 32767 (the container's limit).
fn dimension(cx: &Ctx<'_>, field: &str, v: &Spanned<u32>) -> Result<u16, ScenarioError> {
    match u16::try_from(*v.get_ref()) {
        Ok(n) if (1..=32767).contains(&n) => Ok(n),
        _ => Err(cx.err(
            v.span(),
            field,
            format!("must be 1 to 32767 pixels, found {}", v.get_ref()),
        )),
    }
}

fn rate(cx: &Ctx<'_>, field: &str, v: &Spanned<u32>) -> Result<u16, ScenarioError> {
    u16::try_from(*v.get_ref()).map_err(|_| {
        cx.err(
            v.span(),
            field,
            format!("must be at most 65535, found {}", v.get_ref()),
        )
    })
}

fn sensor(cx: &Ctx<'_>, raw: RawSensor) -> Result<SensorTable, ScenarioError> {
    let d = SensorTable::default();
    let fps = cx.optional("sensor.fps", &raw.fps, rate)?.unwrap_or(d.fps);
    let num = |v: &Option<Spanned<u64>>, d: u64| v.as_ref().map_or(d, |v| *v.get_ref());
    let model = SensorModel {
        startup_us: num(&raw.startup_us, d.model.startup_us),
        jitter_us: num(&raw.jitter_us, d.model.jitter_us),
        buffers: raw
            .buffers
            .as_ref()
            .map_or(d.model.buffers, |v| *v.get_ref()),
    };
    if let Err(m) = model.check(fps) {
        // Point at the knob the message is about.
        let (field, span) = if m.starts_with("buffers") {
            ("sensor.buffers", raw.buffers.as_ref().map(Spanned::span))
        } else if m.starts_with("startup") {
            (
                "sensor.startup_us",
                raw.startup_us.as_ref().map(Spanned::span),
            )
        } else {
            (
                "sensor.jitter_us",
                raw.jitter_us.as_ref().map(Spanned::span),
            )
        };
        let period = 1_000_000u64.checked_div(u64::from(fps)).unwrap_or(0);
        return Err(cx.err(
            span.unwrap_or(0..0),
            field,
            format!("{m} (at {fps} fps the period is {period} us)"),
        ));
    }
    let source = match &raw.source {
        None => None,
        Some(v) => {
            let dir = host_path(cx, v.get_ref());
            match imageio_sim::image_files(&dir) {
                Ok(files) if !files.is_empty() => Some(dir),
                Ok(_) => {
                    return Err(cx.err(
                        v.span(),
                        "sensor.source",
                        format!("{} has no .png, .jpg or .jpeg files", dir.display()),
                    ))
                }
                Err(e) => {
                    return Err(cx.err(
                        v.span(),
                        "sensor.source",
                        format!("{e} (a folder relative to the scenario file's folder)"),
                    ))
                }
            }
        }
    };
    Ok(SensorTable {
        width: cx
            .optional("sensor.width", &raw.width, dimension)?
            .unwrap_or(d.width),
        height: cx
            .optional("sensor.height", &raw.height, dimension)?
            .unwrap_or(d.height),
        pixformat: cx
            .optional("sensor.pixformat", &raw.pixformat, pixformat)?
            .unwrap_or(d.pixformat),
        fps,
        content: cx
            .optional("sensor.content", &raw.content, content)?
            .unwrap_or(d.content),
        model,
        source,
    })
}

fn card(cx: &Ctx<'_>, raw: Option<RawCard>) -> Result<Card, ScenarioError> {
    let d = Card::default();
    let Some(raw) = raw else { return Ok(d) };
    let capacity_kib = match raw.capacity_kib {
        Some(c) if *c.get_ref() < 64 => {
            return Err(cx.err(c.span(), "card.capacity_kib", "must be at least 64"))
        }
        Some(c) => c.into_inner(),
        None => d.capacity_kib,
    };
    let profile = match raw.profile {
        Some(p) if imageio_sim::CardProfile::by_name(p.get_ref()).is_none() => {
            let named = imageio_sim::card::profile::NAMED.map(|c| c.name);
            let hint = names::closest(p.get_ref(), named)
                .map(|c| format!("; did you mean {c:?}?"))
                .unwrap_or_default();
            return Err(cx.err(
                p.span(),
                "card.profile",
                format!(
                    "unknown card profile {:?}{hint} (expected one of {})",
                    p.get_ref(),
                    crate::boards::sim::PROFILES
                ),
            ));
        }
        Some(p) => p.into_inner(),
        None => d.profile,
    };
    Ok(Card {
        profile,
        capacity_kib,
    })
}
